//! `a.mean()`, the mean of a matrix's entries: `ga = g / n` in every entry.
//!
//! PyTorch: `torch.mean`, backward node `MeanBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.mean()`.
#[diagnostic::on_unimplemented(message = "`mean` is differentiated on matrices, not on `{Self}`")]
pub trait MeanRule: Sized {
    /// The scalar type.
    type Output;
    /// The mean of the entries.
    fn value(&self) -> Self::Output;
    /// `g / n` broadcast to every entry.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> MeanRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.mean()
    }
    #[inline(always)]
    fn pullback(&self, _out: &T, g: &T) -> Self {
        let n: T = nalgebra::convert((R * C) as f64);
        Self::from_element(*g / n)
    }
    #[inline(always)]
    fn tangent(&self, _out: &T, da: &Self) -> T {
        da.mean()
    }
}
