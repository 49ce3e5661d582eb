//! `a.max(b)` on scalars and `m.max()`, the largest entry of a matrix.
//!
//! `a.max(b)`: the cotangent goes to the larger operand, split in half on a tie
//! (PyTorch's `torch.maximum`, `MaximumBackward0`).
//! `m.max()`: the cotangent is shared evenly among the entries equal to the maximum
//! (PyTorch's full reduction `torch.max(t)` / `torch.amax`, `MaxBackward1`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.max(b)` on scalars.
#[diagnostic::on_unimplemented(
    message = "`max(other)` is differentiated on scalars, not on `{Self}`",
    note = "on a matrix, `m.max()` is its largest entry; for the entry-wise maximum write `a.zip_map(&b, |x, y| x.max(y))` outside the differentiable function"
)]
pub trait MaxRule<Rhs = Self>: Sized {
    /// `max(a, b)`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `g` to the larger operand, `g/2` each on a tie.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

impl<T: Real> MaxRule for T {
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        (*self).max(*rhs)
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, _out: &T, g: &T) -> (T, T) {
        split_to_winner(*self > *rhs, *self == *rhs, *g)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, out: &T, da: &T, db: &T) -> T {
        let (wa, wb) = self.pullback(rhs, out, &T::one());
        wa * *da + wb * *db
    }
}

/// `m.max()`: the largest entry.
#[diagnostic::on_unimplemented(
    message = "`max()` (largest entry) is differentiated on matrices, not on `{Self}`"
)]
pub trait MaxEntryRule: Sized {
    /// The scalar type.
    type Output;
    /// The largest entry.
    fn value(&self) -> Self::Output;
    /// `g` shared among the entries equal to the maximum.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> MaxEntryRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.max()
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

/// The pullback of a binary max or min: `g` to the winner, half each on a tie.
#[inline(always)]
pub(super) fn split_to_winner<T: Real>(a_wins: bool, tie: bool, g: T) -> (T, T) {
    if tie {
        let half = g * nalgebra::convert(0.5);
        (half, half)
    } else if a_wins {
        (g, T::zero())
    } else {
        (T::zero(), g)
    }
}

/// The pullback of a full max or min reduction: `g` shared evenly among the entries
/// equal to the result.
#[inline(always)]
pub(super) fn share_among_equal<T: Real, const R: usize, const C: usize>(
    m: &SMatrix<T, R, C>,
    extreme: T,
    g: T,
) -> SMatrix<T, R, C> {
    let count = m.iter().filter(|v| **v == extreme).count();
    let share = g / nalgebra::convert(count.max(1) as f64);
    m.map(|v| if v == extreme { share } else { T::zero() })
}
