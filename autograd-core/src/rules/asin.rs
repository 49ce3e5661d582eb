//! `asin`: y = asin x, dy/dx = 1 / sqrt(1 - x^2) (infinite at |x| = 1).
//!
//! PyTorch: `torch.asin`, whose backward node is `AsinBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `asin` as a differentiable scalar function.
pub struct Asin;

impl ScalarFn for Asin {
    const NAME: &'static str = "asin";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.asin()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (T::one() - x * x).sqrt().recip()
    }
    /// x / (1 - x^2)^(3/2).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        x / ((T::one() - x * x) * (T::one() - x * x).sqrt())
    }
}
