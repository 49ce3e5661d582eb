//! `sinh`: y = sinh x, dy/dx = cosh x.
//!
//! PyTorch: `torch.sinh`, whose backward node is `SinhBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `sinh` as a differentiable scalar function.
pub struct Sinh;

impl ScalarFn for Sinh {
    const NAME: &'static str = "sinh";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.sinh()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        x.cosh()
    }
    /// sinh x.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y
    }
}
