//! `relu`: y = max(x, 0), dy/dx = 1 for x > 0 and 0 otherwise (0 at 0, as PyTorch).
//!
//! PyTorch: `torch.relu`, whose backward node is `ReluBackward0`.

use super::{ElementwiseFn, ScalarFn};
use crate::adjoint::Real;

/// `relu` as a differentiable scalar function.
pub struct Relu;

impl ScalarFn for Relu {
    const NAME: &'static str = "relu";
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        if x > T::zero() {
            x
        } else {
            T::zero()
        }
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        if x > T::zero() {
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
