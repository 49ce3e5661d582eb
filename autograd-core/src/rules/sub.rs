//! `a - b` on scalars and on matrices of one shape: `ga = g`, `gb = -g`.
//!
//! PyTorch: `torch.sub`, backward node `SubBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a - b`.
#[diagnostic::on_unimplemented(
    message = "cannot subtract `{Rhs}` from `{Self}` in a differentiable function",
    label = "both operands must be scalars, or matrices of the same shape"
)]
pub trait SubRule<Rhs = Self>: Sized {
    /// The difference's type.
    type Output;
    /// `a - b`.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// `(g, -g)`.
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
}

impl<T: Real> SubRule for T {
    type Output = T;
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        *self - *rhs
    }
    #[inline(always)]
    fn pullback(&self, _rhs: &T, _out: &T, g: &T) -> (T, T) {
        (*g, -*g)
    }
    #[inline(always)]
    fn tangent(&self, _rhs: &T, _out: &T, da: &T, db: &T) -> T {
        *da - *db
    }
}

impl<T: Real, const R: usize, const C: usize> SubRule for SMatrix<T, R, C> {
    type Output = Self;
    #[inline(always)]
    fn value(&self, rhs: &Self) -> Self {
        self - rhs
    }
    #[inline(always)]
    fn pullback(&self, _rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
        (*g, -g)
    }
    #[inline(always)]
    fn tangent(&self, _rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
        da - db
    }
}
