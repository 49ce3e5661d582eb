//! `log2`: y = log2 x, dy/dx = 1 / (x ln 2).
//!
//! PyTorch: `torch.log2`, whose backward node is `Log2Backward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `log2` as a differentiable scalar function.
pub struct Log2;

impl ScalarFn for Log2 {
    const NAME: &'static str = "log2";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.log2()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (x * T::ln_2()).recip()
    }
    /// -1 / (x^2 ln 2).
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -(x * x * T::ln_2()).recip()
    }
}
