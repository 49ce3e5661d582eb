//! `exp_m1`: y = e^x - 1, dy/dx = e^x = y + 1.
//!
//! PyTorch: `torch.expm1`, whose backward node is `Expm1Backward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `exp_m1` as a differentiable scalar function.
pub struct ExpM1;

impl ScalarFn for ExpM1 {
    const NAME: &'static str = "exp_m1";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.exp_m1()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        y + T::one()
    }
    /// y + 1.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y + T::one()
    }
}
