//! `a.transpose()`: `ga = g^T`.
//!
//! PyTorch: `torch.t` / `Tensor.T`, backward node `TBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.transpose()`.
#[diagnostic::on_unimplemented(message = "cannot transpose `{Self}` in a differentiable function")]
pub trait TransposeRule: Sized {
    /// The transposed type.
    type Output;
    /// `a^T`.
    fn value(&self) -> Self::Output;
    /// `g^T`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> TransposeRule for SMatrix<T, R, C> {
    type Output = SMatrix<T, C, R>;
    #[inline(always)]
    fn value(&self) -> SMatrix<T, C, R> {
        self.transpose()
    }
    #[inline(always)]
    fn pullback(&self, _out: &SMatrix<T, C, R>, g: &SMatrix<T, C, R>) -> Self {
        g.transpose()
    }
    #[inline(always)]
    fn tangent(&self, _out: &SMatrix<T, C, R>, da: &Self) -> SMatrix<T, C, R> {
        da.transpose()
    }
}
