//! [`ScalarGrad`]: a one-element gradient carried as a value, not a tensor.

use super::dtype::{DType, Data, Storage};

/// A one-element gradient carried between nodes as a value, while no graph is
/// recorded: its value (representable in `dtype`) and dtype; its shape is that of
/// the node or leaf it is sent to. Element-wise ops differentiate it without
/// building a tensor (`Op::backward_scalar`), computing exactly what the tensor
/// formulas compute for one element (in `f64`, rounded to the promoted dtype).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScalarGrad {
    pub v: f64,
    pub dtype: DType,
}

impl ScalarGrad {
    /// `v` rounded to `dtype`.
    #[inline]
    pub fn new(v: f64, dtype: DType) -> ScalarGrad {
        let v = match dtype {
            DType::F32 => v as f32 as f64,
            DType::F64 => v,
        };
        ScalarGrad { v, dtype }
    }

    /// The value in `dtype` (`Tensor::to_dtype`).
    #[inline]
    pub fn cast(self, dtype: DType) -> ScalarGrad {
        if dtype == self.dtype {
            self
        } else {
            ScalarGrad::new(self.v, dtype)
        }
    }

    /// The value as one-element storage.
    #[inline]
    pub fn storage(self) -> Storage {
        match self.dtype {
            DType::F32 => Storage::F32(Data::One(self.v as f32)),
            DType::F64 => Storage::F64(Data::One(self.v)),
        }
    }

    /// `f(self, other)` rounded to the promoted dtype, as a binary op computes it.
    #[inline]
    pub(super) fn zip(self, other: ScalarGrad, f: impl FnOnce(f64, f64) -> f64) -> ScalarGrad {
        ScalarGrad::new(f(self.v, other.v), self.dtype.promote(other.dtype))
    }

    /// `f(self)` in this dtype, as a unary op (or an op with an `f64` scalar)
    /// computes it.
    #[inline]
    pub(super) fn map(self, f: impl FnOnce(f64) -> f64) -> ScalarGrad {
        ScalarGrad::new(f(self.v), self.dtype)
    }

    /// `self + other`, the sum of two gradients.
    #[inline]
    pub fn add(self, other: ScalarGrad) -> ScalarGrad {
        self.zip(other, |a, b| a + b)
    }
}
