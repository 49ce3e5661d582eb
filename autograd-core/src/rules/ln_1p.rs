//! `ln_1p`: y = ln(1 + x), dy/dx = 1 / (1 + x).
//!
//! PyTorch: `torch.log1p`, whose backward node is `Log1PBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `ln_1p` as a differentiable scalar function.
pub struct Ln1p;

impl ScalarFn for Ln1p {
    const NAME: &'static str = "ln_1p";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.ln_1p()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        (T::one() + x).recip()
    }
    /// -1 / (1 + x)^2.
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -((T::one() + x) * (T::one() + x)).recip()
    }
}
