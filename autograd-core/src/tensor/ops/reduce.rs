//! Reductions: sums, means, extrema.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::grad_mode::no_grad;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::kernels::reduce::{arg_extreme, sum_all, sum_axis, sum_to};
use crate::tensor::op::{GatherKind, Op};
use crate::tensor::shape::{broadcast_shapes, split_at_dim, Dim};
use crate::Error;
use std::sync::Arc;

/// Shape after reducing `dim`.
pub(crate) fn reduced_shape(shape: &[usize], dim: usize, keepdim: bool) -> Vec<usize> {
    let mut out = shape.to_vec();
    if keepdim {
        out[dim] = 1;
    } else {
        out.remove(dim);
    }
    out
}

impl Tensor {
    /// Sum of all elements, a rank-0 tensor (`torch.sum`, `SumBackward0`).
    pub fn sum(&self) -> Tensor {
        let s = Storage::full(1, sum_all(&self.data()), self.dtype());
        Tensor::record(s, &[], &[self], |_| Op::Sum)
    }

    /// Mean of all elements, a rank-0 tensor (`torch.mean`, `MeanBackward0`).
    pub fn mean(&self) -> Tensor {
        let m = sum_all(&self.data()) / self.numel() as f64;
        Tensor::record(Storage::full(1, m, self.dtype()), &[], &[self], |_| {
            Op::Mean
        })
    }

    /// Sum over dimension `dim` (`torch.sum(t, dim, keepdim)`, `SumBackward1`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_sum_dim`].
    #[track_caller]
    pub fn sum_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_sum_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::sum_dim`].
    pub fn try_sum_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let dim = dim.resolve("sum_dim", self.ndim())?;
        let (s, out) = self.sum_axis(dim, keepdim);
        Ok(Tensor::record(s, &out, &[self], |_| Op::SumDim {
            dim,
            keepdim,
        }))
    }

    fn sum_axis(&self, dim: usize, keepdim: bool) -> (Storage, Vec<usize>) {
        let (o, n, i) = split_at_dim(self.shape(), dim);
        (
            sum_axis(&self.data(), o, n, i),
            reduced_shape(self.shape(), dim, keepdim),
        )
    }

    /// Mean over dimension `dim` (`torch.mean(t, dim, keepdim)`, `MeanBackward1`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_mean_dim`].
    #[track_caller]
    pub fn mean_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_mean_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::mean_dim`].
    pub fn try_mean_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let dim = dim.resolve("mean_dim", self.ndim())?;
        let (s, out) = self.sum_axis(dim, keepdim);
        let n = self.shape()[dim] as f64;
        Ok(Tensor::record(s.map(|v| v / n), &out, &[self], |_| {
            Op::MeanDim { dim, keepdim }
        }))
    }

    /// Sums broadcast dimensions away so the result has shape `shape`, the
    /// adjoint of [`Tensor::expand`] (`t.sum_to_size(shape)`).
    ///
    /// # Panics
    /// If `shape` does not broadcast to this tensor's shape; see
    /// [`Tensor::try_sum_to`].
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        ok(self.try_sum_to(shape))
    }

    /// Fallible [`Tensor::sum_to`].
    pub fn try_sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        if *broadcast_shapes("sum_to", shape, self.shape())? != *self.shape() {
            return Err(Error::ShapeMismatch {
                op: "sum_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                reason: "the target shape must broadcast to the tensor's shape".into(),
            });
        }
        let s = sum_to(&self.data(), self.shape(), shape);
        Ok(Tensor::record(s, shape, &[self], |_| Op::SumTo))
    }

    /// Largest elements along `dim` and their indices (`torch.max(t, dim,
    /// keepdim)`, `MaxBackward0`). Indices come as a tensor of this dtype holding
    /// whole numbers; the gradient flows to the selected element.
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_max_dim`].
    #[track_caller]
    pub fn max_dim(&self, dim: impl Dim, keepdim: bool) -> (Tensor, Tensor) {
        ok(self.try_max_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::max_dim`].
    pub fn try_max_dim(&self, dim: impl Dim, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, true)
    }

    /// Smallest elements along `dim` and their indices (`torch.min(t, dim,
    /// keepdim)`, `MinBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_min_dim`].
    #[track_caller]
    pub fn min_dim(&self, dim: impl Dim, keepdim: bool) -> (Tensor, Tensor) {
        ok(self.try_min_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::min_dim`].
    pub fn try_min_dim(&self, dim: impl Dim, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, false)
    }

    /// Indices of the largest elements along `dim` (`torch.argmax`), as whole
    /// numbers in a tensor of this dtype; not differentiable.
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_argmax`].
    #[track_caller]
    pub fn argmax(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_argmax(dim, keepdim))
    }

    /// Fallible [`Tensor::argmax`].
    pub fn try_argmax(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        Ok(no_grad(|| self.extreme_dim(dim, keepdim, true))?.1)
    }

    /// Indices of the smallest elements along `dim` (`torch.argmin`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_argmin`].
    #[track_caller]
    pub fn argmin(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_argmin(dim, keepdim))
    }

    /// Fallible [`Tensor::argmin`].
    pub fn try_argmin(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        Ok(no_grad(|| self.extreme_dim(dim, keepdim, false))?.1)
    }

    fn extreme_dim(&self, dim: impl Dim, keepdim: bool, max: bool) -> Result<(Tensor, Tensor)> {
        let name = if max { "max_dim" } else { "min_dim" };
        let dim = dim.resolve(name, self.ndim())?;
        let (outer, n, inner) = split_at_dim(self.shape(), dim);
        if n == 0 {
            return Err(Error::InvalidArgument {
                op: name,
                shape: self.shape().to_vec(),
                reason: format!("dimension {dim} is empty"),
            });
        }
        let index: Arc<[usize]> = arg_extreme(&self.data(), outer, n, inner, max).into();
        let out_shape = reduced_shape(self.shape(), dim, keepdim);
        let geom = GatherGeom {
            outer,
            n_in: n,
            n_out: 1,
            inner,
        };
        let kind = if max {
            GatherKind::Max
        } else {
            GatherKind::Min
        };
        let values = self.gather_geom(kind, geom, &index, &out_shape);
        let idx = Storage::from_f64_iter(index.iter().map(|&i| i as f64), self.dtype());
        Ok((values, Tensor::from_storage(idx, &out_shape)))
    }
}
