//! Copies: of a tensor in the graph (`deep_clone`, `to_dtype`), and between
//! tensors and nalgebra matrices. nalgebra stores
//! column-major, tensors row-major: every conversion copies.

use super::dtype::DType;
use super::dtype::Element;
use super::handle::Tensor;
use super::op::Op;
use crate::error::Result;
use crate::Error;
use nalgebra::{DMatrix, DVector, SMatrix, Scalar};

impl Tensor {
    /// A copy with fresh storage, in the graph (`t.clone()` in PyTorch, whose
    /// backward is `CloneBackward0`). `Tensor::clone` copies the handle instead.
    #[track_caller]
    pub fn deep_clone(&self) -> Tensor {
        self.unary(|v| v, |_| Op::Clone)
    }

    /// The same data in dtype `dtype` (`t.to(dtype)`, `ToCopyBackward0`).
    /// Returns this tensor when it already has that dtype.
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let s = self.data().to_dtype(dtype);
        let from = self.dtype();
        Tensor::record(s, self.shape(), &[self], |_| Op::ToDtype { from })
    }

    /// A `(rows, cols)` tensor holding the matrix.
    #[track_caller]
    pub fn from_dmatrix<T: Element + Scalar>(m: &DMatrix<T>) -> Tensor {
        Tensor::from_vec(m.transpose().as_slice().to_vec(), &[m.nrows(), m.ncols()])
    }

    /// A `(rows, cols)` tensor holding the matrix.
    #[track_caller]
    pub fn from_smatrix<T: Element + Scalar, const R: usize, const C: usize>(
        m: &SMatrix<T, R, C>,
    ) -> Tensor {
        Tensor::from_vec(m.transpose().as_slice().to_vec(), &[R, C])
    }

    /// A rank-1 tensor holding the vector.
    #[track_caller]
    pub fn from_dvector<T: Element + Scalar>(v: &DVector<T>) -> Tensor {
        Tensor::from_vec(v.as_slice().to_vec(), &[v.len()])
    }

    #[track_caller]
    fn matrix_dims(&self, op: &'static str) -> Result<(usize, usize)> {
        match *self.shape() {
            [r, c] => Ok((r, c)),
            [n] => Ok((n, 1)),
            _ => Err(Error::Conversion {
                op,
                shape: self.shape().to_vec(),
                reason: "only tensors of rank 1 (a column) or 2 convert to a matrix".into(),
            }),
        }
    }

    /// The data as a matrix; a rank-1 tensor becomes a column.
    ///
    /// # Errors
    /// If the rank is not 1 or 2.
    #[track_caller]
    pub fn to_dmatrix<T: Element + Scalar>(&self) -> Result<DMatrix<T>> {
        let (r, c) = self.matrix_dims("to_dmatrix")?;
        Ok(DMatrix::from_row_slice(r, c, &self.to_vec::<T>()))
    }

    /// The data as a statically sized matrix.
    ///
    /// # Errors
    /// If the shape is not `(R, C)` (or `(R)` for `C == 1`).
    #[track_caller]
    pub fn to_smatrix<T: Element + Scalar, const R: usize, const C: usize>(
        &self,
    ) -> Result<SMatrix<T, R, C>> {
        let dims = self.matrix_dims("to_smatrix")?;
        if dims != (R, C) {
            return Err(Error::Conversion {
                op: "to_smatrix",
                shape: self.shape().to_vec(),
                reason: format!("expected shape [{R}, {C}]"),
            });
        }
        Ok(SMatrix::from_row_slice(&self.to_vec::<T>()))
    }
}

impl<T: Element + Scalar> From<&DMatrix<T>> for Tensor {
    #[track_caller]
    fn from(m: &DMatrix<T>) -> Tensor {
        Tensor::from_dmatrix(m)
    }
}

impl<T: Element + Scalar, const R: usize, const C: usize> From<&SMatrix<T, R, C>> for Tensor {
    #[track_caller]
    fn from(m: &SMatrix<T, R, C>) -> Tensor {
        Tensor::from_smatrix(m)
    }
}
