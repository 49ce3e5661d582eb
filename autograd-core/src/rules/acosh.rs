//! `acosh`: y = acosh x, dy/dx = 1 / sqrt(x^2 - 1) (x >= 1; infinite at 1).
//!
//! PyTorch: `torch.acosh`, whose backward node is `AcoshBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `acosh` as a differentiable scalar function.
pub struct Acosh;

impl ScalarFn for Acosh {
    const NAME: &'static str = "acosh";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.acosh()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (x * x - T::one()).sqrt().recip()
    }
    /// -x / (x^2 - 1)^(3/2).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -x / ((x * x - T::one()) * (x * x - T::one()).sqrt())
    }
}
