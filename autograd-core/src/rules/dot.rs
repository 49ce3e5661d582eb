//! `a.dot(&b)`, the sum of entry-wise products of two matrices of one shape:
//! `ga = g b`, `gb = g a`.
//!
//! PyTorch: `torch.dot` (`DotBackward0`); JAX: `jnp.vdot`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.dot(&b)`.
#[diagnostic::on_unimplemented(
    message = "cannot take the dot product of `{Self}` and `{Rhs}`",
    label = "both operands must have the same shape"
)]
pub trait DotRule<Rhs = Self>: Sized {
    /// The scalar type.
    type Output;
    /// `sum(a .* b)`.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// `(g b, g a)`.
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> DotRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self, rhs: &Self) -> T {
        self.dot(rhs)
    }
    #[inline(always)]
    fn pullback(&self, rhs: &Self, _out: &T, g: &T) -> (Self, Self) {
        (rhs * *g, self * *g)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &Self, _out: &T, da: &Self, db: &Self) -> T {
        da.dot(rhs) + self.dot(db)
    }
}
