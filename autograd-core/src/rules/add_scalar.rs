//! `m.add_scalar(s)`, `s` added to every entry: `gm = g`, `gs = sum(g)`.
//!
//! Linear in `(m, s)`: no second-order term (`dispatch.rs` declares it so).
//!
//! PyTorch: `m + s` with a 0-dimensional `s` (`AddBackward0`, which sums the
//! broadcast cotangent for `s`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `m.add_scalar(s)`.
#[diagnostic::on_unimplemented(
    message = "`add_scalar` is differentiated on a matrix and a scalar of its entry type, not on `{Self}` and `{Rhs}`"
)]
pub trait AddScalarRule<Rhs>: Sized {
    /// `m + s` in every entry.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `(g, sum(g))`.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// `dm + ds` in every entry.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

impl<T: Real, const R: usize, const C: usize> AddScalarRule<T> for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self, rhs: &T) -> Self {
        self.add_scalar(*rhs)
    }
    #[inline(always)]
    fn pullback(&self, _rhs: &T, _out: &Self, g: &Self) -> (Self, T) {
        (*g, g.sum())
    }
    #[inline(always)]
    fn tangent(&self, _rhs: &T, _out: &Self, da: &Self, db: &T) -> Self {
        da.add_scalar(*db)
    }
}
