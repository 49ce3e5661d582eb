//! `cos`: y = cos x, dy/dx = -sin x.
//!
//! PyTorch: `torch.cos`, whose backward node is `CosBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `cos` as a differentiable scalar function.
pub struct Cos;

impl ScalarFn for Cos {
    const NAME: &'static str = "cos";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.cos()
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        -x.sin()
    }
    /// -cos x.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        -y
    }
}

impl ElementwiseFn for Cos {}
