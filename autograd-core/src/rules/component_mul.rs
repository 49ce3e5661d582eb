//! `a.component_mul(&b)`, the entry-wise (Hadamard) product: `ga = g .* b`,
//! `gb = g .* a`.
//!
//! PyTorch: `torch.mul` on tensors of one shape, backward node `MulBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.component_mul(&b)`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply `{Self}` by `{Rhs}` entry by entry",
    label = "both matrices must have the same shape"
)]
pub trait ComponentMulRule<Rhs = Self>: Sized {
    /// `a .* b`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `(g .* b, g .* a)`.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

impl<T: Real, const R: usize, const C: usize> ComponentMulRule for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self, rhs: &Self) -> Self {
        self.component_mul(rhs)
    }
    #[inline(always)]
    fn pullback(&self, rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
        (g.component_mul(rhs), g.component_mul(self))
    }
    #[inline(always)]
    fn tangent(&self, rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
        da.component_mul(rhs) + self.component_mul(db)
    }
}
