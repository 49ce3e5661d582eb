//! `relu`: y = max(x, 0), dy/dx = 1 for x > 0 and 0 otherwise (0 at 0, as PyTorch).
//!
//! PyTorch: `torch.relu`, whose backward node is `ReluBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `relu` as a differentiable scalar function.
pub struct Relu;

impl ScalarFn for Relu {
    const NAME: &'static str = "relu";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        if x > T::zero() {
            x
        } else {
            T::zero()
        }
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        // y = max(x, 0) is positive exactly where x is.
        if y > T::zero() {
            T::one()
        } else {
            T::zero()
        }
    }
    /// 0.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

impl ElementwiseFn for Relu {}
