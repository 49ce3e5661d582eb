//! `a.min(b)` on scalars and `m.min()`, the smallest entry of a matrix; the mirror
//! of [`super::max`] (PyTorch: `torch.minimum` / `MinimumBackward0`, and
//! `torch.amin`).

use super::max::{share_among_equal, split_to_winner};
use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.min(b)` on scalars.
#[diagnostic::on_unimplemented(
    message = "`min(other)` is differentiated on scalars, not on `{Self}`",
    note = "on a matrix, `m.min()` is its smallest entry"
)]
pub trait MinRule<Rhs = Self>: Sized {
    /// `min(a, b)`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `g` to the smaller operand, `g/2` each on a tie.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

impl<T: Real> MinRule for T {
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        (*self).min(*rhs)
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, _out: &T, g: &T) -> (T, T) {
        split_to_winner(*self < *rhs, *self == *rhs, *g)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, out: &T, da: &T, db: &T) -> T {
        let (wa, wb) = self.pullback(rhs, out, &T::one());
        wa * *da + wb * *db
    }
}

/// `m.min()`: the smallest entry.
#[diagnostic::on_unimplemented(
    message = "`min()` (smallest entry) is differentiated on matrices, not on `{Self}`"
)]
pub trait MinEntryRule: Sized {
    /// The scalar type.
    type Output;
    /// The smallest entry.
    fn value(&self) -> Self::Output;
    /// `g` shared among the entries equal to the minimum.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> MinEntryRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.min()
    }
    #[inline(always)]
    fn pullback(&self, out: &T, g: &T) -> Self {
        share_among_equal(self, *out, *g)
    }
    #[inline(always)]
    fn tangent(&self, out: &T, da: &Self) -> T {
        share_among_equal(self, *out, T::one()).dot(da)
    }
}
