//! `cosh`: y = cosh x, dy/dx = sinh x.
//!
//! PyTorch: `torch.cosh`, whose backward node is `CoshBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `cosh` as a differentiable scalar function.
pub struct Cosh;

impl ScalarFn for Cosh {
    const NAME: &'static str = "cosh";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.cosh()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        x.sinh()
    }
    /// cosh x.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y
    }
}
