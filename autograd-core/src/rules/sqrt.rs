//! `sqrt`: y = sqrt x, dy/dx = 1 / (2y).
//!
//! PyTorch: `torch.sqrt`, whose backward node is `SqrtBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `sqrt` as a differentiable scalar function.
pub struct Sqrt;

impl ScalarFn for Sqrt {
    const NAME: &'static str = "sqrt";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.sqrt()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        (y + y).recip()
    }
    /// -1/(4 x^(3/2)) = -1/(4 y^3).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        -((y * y * y) * nalgebra::convert::<f64, T>(4.0)).recip()
    }
}

impl ElementwiseFn for Sqrt {}
