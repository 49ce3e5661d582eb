//! `exp2`: y = 2^x, dy/dx = y ln 2.
//!
//! PyTorch: `torch.exp2`, whose backward node is `Exp2Backward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `exp2` as a differentiable scalar function.
pub struct Exp2;

impl ScalarFn for Exp2 {
    const NAME: &'static str = "exp2";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.exp2()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        y * T::ln_2()
    }
    /// y ln(2)^2.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y * T::ln_2() * T::ln_2()
    }
}
