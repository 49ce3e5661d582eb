//! `a.sum()`, the sum of a matrix's entries: `ga = g` in every entry.
//!
//! PyTorch: `torch.sum`, backward node `SumBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.sum()`.
#[diagnostic::on_unimplemented(message = "`sum` is differentiated on matrices, not on `{Self}`")]
pub trait SumRule: Sized {
    /// The scalar type.
    type Output;
    /// The sum of the entries.
    fn value(&self) -> Self::Output;
    /// `g` broadcast to every entry.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> SumRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.sum()
    }
    #[inline(always)]
    fn pullback(&self, _out: &T, g: &T) -> Self {
        Self::from_element(*g)
    }
    #[inline(always)]
    fn tangent(&self, _out: &T, da: &Self) -> T {
        da.sum()
    }
}
