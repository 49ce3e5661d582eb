//! `atan`: y = atan x, dy/dx = 1 / (1 + x^2).
//!
//! PyTorch: `torch.atan`, whose backward node is `AtanBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `atan` as a differentiable scalar function.
pub struct Atan;

impl ScalarFn for Atan {
    const NAME: &'static str = "atan";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.atan()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (T::one() + x * x).recip()
    }
    /// -2x / (1 + x^2)^2.
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -(x + x) / ((T::one() + x * x) * (T::one() + x * x))
    }
}
