//! `log10`: y = log10 x, dy/dx = 1 / (x ln 10).
//!
//! PyTorch: `torch.log10`, whose backward node is `Log10Backward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `log10` as a differentiable scalar function.
pub struct Log10;

impl ScalarFn for Log10 {
    const NAME: &'static str = "log10";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.log10()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (x * T::ln_10()).recip()
    }
    /// -1 / (x^2 ln 10).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -(x * x * T::ln_10()).recip()
    }
}
