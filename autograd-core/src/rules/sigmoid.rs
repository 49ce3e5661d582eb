//! `sigmoid`: y = 1 / (1 + e^-x), dy/dx = y (1 - y).
//!
//! PyTorch: `torch.sigmoid`, whose backward node is `SigmoidBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `sigmoid` as a differentiable scalar function.
pub struct Sigmoid;

impl ScalarFn for Sigmoid {
    const NAME: &'static str = "sigmoid";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        if x >= T::zero() {
            (T::one() + (-x).exp()).recip()
        } else {
            let e = x.exp();
            e / (T::one() + e)
        }
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        y * (T::one() - y)
    }
    /// s (1 - s) (1 - 2 s).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y * (T::one() - y) * (T::one() - (y + y))
    }
}

impl ElementwiseFn for Sigmoid {}
