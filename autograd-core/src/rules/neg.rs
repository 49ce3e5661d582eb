//! `-a` on scalars and matrices: `ga = -g`.
//!
//! PyTorch: `torch.neg`, backward node `NegBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `-a`.
#[diagnostic::on_unimplemented(message = "cannot negate `{Self}` in a differentiable function")]
pub trait NegRule: Sized {
    /// `-a`.
    fn value(&self) -> Self;
    /// `-g`.
    fn pullback(&self, out: &Self, g: &Self) -> Self;
}

impl<T: Real> NegRule for T {
    #[inline(always)]
    fn value(&self) -> T {
        -*self
    }
    #[inline(always)]
    fn pullback(&self, _out: &T, g: &T) -> T {
        -*g
    }
}

impl<T: Real, const R: usize, const C: usize> NegRule for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self) -> Self {
        -self
    }
    #[inline(always)]
    fn pullback(&self, _out: &Self, g: &Self) -> Self {
        -g
    }
}
