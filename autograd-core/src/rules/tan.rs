//! `tan`: y = tan x, dy/dx = 1 + y^2.
//!
//! PyTorch: `torch.tan`, whose backward node is `TanBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `tan` as a differentiable scalar function.
pub struct Tan;

impl ScalarFn for Tan {
    const NAME: &'static str = "tan";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.tan()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        T::one() + y * y
    }
    /// 2 y (1 + y^2).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        (y + y) * (T::one() + y * y)
    }
}
