//! `sin`: y = sin x, dy/dx = cos x.
//!
//! PyTorch: `torch.sin`, whose backward node is `SinBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `sin` as a differentiable scalar function.
pub struct Sin;

impl ScalarFn for Sin {
    const NAME: &'static str = "sin";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.sin()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        x.cos()
    }
    /// -sin x.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        -y
    }
}

impl ElementwiseFn for Sin {}
