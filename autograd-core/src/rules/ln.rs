//! `ln`: y = ln x, dy/dx = 1/x.
//!
//! PyTorch: `torch.log`, whose backward node is `LogBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `ln` as a differentiable scalar function.
pub struct Ln;

impl ScalarFn for Ln {
    const NAME: &'static str = "ln";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.ln()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        x.recip()
    }
    /// -1/x^2.
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        -(x * x).recip()
    }
}

impl ElementwiseFn for Ln {}
