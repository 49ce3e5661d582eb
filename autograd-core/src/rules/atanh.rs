//! `atanh`: y = atanh x, dy/dx = 1 / (1 - x^2) (|x| < 1).
//!
//! PyTorch: `torch.atanh`, whose backward node is `AtanhBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `atanh` as a differentiable scalar function.
pub struct Atanh;

impl ScalarFn for Atanh {
    const NAME: &'static str = "atanh";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.atanh()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (T::one() - x * x).recip()
    }
    /// 2x / (1 - x^2)^2.
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        (x + x) / ((T::one() - x * x) * (T::one() - x * x))
    }
}
