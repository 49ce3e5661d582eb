//! `tanh`: y = tanh x, dy/dx = 1 - y^2.
//!
//! PyTorch: `torch.tanh`, whose backward node is `TanhBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `tanh` as a differentiable scalar function.
pub struct Tanh;

impl ScalarFn for Tanh {
    const NAME: &'static str = "tanh";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.tanh()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        T::one() - y * y
    }
    /// -2 y (1 - y^2).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        -(y + y) * (T::one() - y * y)
    }
}

impl ElementwiseFn for Tanh {}
