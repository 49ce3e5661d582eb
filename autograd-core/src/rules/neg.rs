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
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self, da: &Self) -> Self;
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
    #[inline(always)]
    fn tangent(&self, _out: &T, da: &T) -> T {
        -*da
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
    #[inline(always)]
    fn tangent(&self, _out: &Self, da: &Self) -> Self {
        -da
    }
}
