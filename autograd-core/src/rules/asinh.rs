//! `asinh`: y = asinh x, dy/dx = 1 / sqrt(x^2 + 1).
//!
//! PyTorch: `torch.asinh`, whose backward node is `AsinhBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `asinh` as a differentiable scalar function.
pub struct Asinh;

impl ScalarFn for Asinh {
    const NAME: &'static str = "asinh";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.asinh()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (x * x + T::one()).sqrt().recip()
    }
    /// -x / (x^2 + 1)^(3/2).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -x / ((x * x + T::one()) * (x * x + T::one()).sqrt())
    }
}
