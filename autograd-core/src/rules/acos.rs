//! `acos`: y = acos x, dy/dx = -1 / sqrt(1 - x^2) (infinite at |x| = 1).
//!
//! PyTorch: `torch.acos`, whose backward node is `AcosBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `acos` as a differentiable scalar function.
pub struct Acos;

impl ScalarFn for Acos {
    const NAME: &'static str = "acos";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.acos()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        -(T::one() - x * x).sqrt().recip()
    }
    /// -x / (1 - x^2)^(3/2).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -x / ((T::one() - x * x) * (T::one() - x * x).sqrt())
    }
}
