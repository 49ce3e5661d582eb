//! `recip`: y = 1/x, dy/dx = -y^2.
//!
//! PyTorch: `torch.reciprocal`, whose backward node is `ReciprocalBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `recip` as a differentiable scalar function.
pub struct Recip;

impl ScalarFn for Recip {
    const NAME: &'static str = "recip";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.recip()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        -(y * y)
    }
    /// 2/x^3 = 2 y^3.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        (y + y) * y * y
    }
}

impl ElementwiseFn for Recip {}
