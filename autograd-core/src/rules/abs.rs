//! `abs`: y = |x|, dy/dx = sign x, and 0 at 0 as in PyTorch.
//!
//! PyTorch: `torch.abs`, whose backward node is `AbsBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `abs` as a differentiable scalar function.
pub struct Abs;

impl ScalarFn for Abs {
    const NAME: &'static str = "abs";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.abs()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        if x > T::zero() {
            T::one()
        } else if x < T::zero() {
            -T::one()
        } else {
            T::zero()
        }
    }
    /// 0 (the kink at 0 has no second derivative; PyTorch gives 0 too).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

impl ElementwiseFn for Abs {}
