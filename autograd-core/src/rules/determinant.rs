//! `m.determinant()` of a square matrix: `d det = det tr(A^-1 dA)`, so
//! `gA = g det A^-T`, which is `g` times the cofactor matrix `C = adj(A)^T`.
//!
//! The rule computes `C` as `det A^-T` where nalgebra's `try_inverse` succeeds,
//! and otherwise (an exactly singular `A`, where `try_inverse` fails) entry by
//! entry, `C_ij = det(A with row i replaced by e_j)` (the cofactor expansion of
//! that matrix along row `i`), so that the gradient at a singular matrix is the
//! true one, `adj(A)^T`: nonzero at rank `N - 1`, zero at lower rank. That costs
//! `N^2` determinants, paid only at singular matrices.
//!
//! PyTorch: `torch.linalg.det` (`LinalgDetBackward0`), which also returns the
//! cofactor matrix at singular inputs (through an SVD).

use crate::adjoint::Real;
use nalgebra::{Const, DimMin, SMatrix};

/// `m.determinant()`.
#[diagnostic::on_unimplemented(
    message = "`determinant` is differentiated on square matrices, not on `{Self}`"
)]
pub trait DeterminantRule: Sized {
    /// The scalar type.
    type Output;
    /// `det A`.
    fn value(&self) -> Self::Output;
    /// `g C`, `C` the cofactor matrix (`det A^-T` for an invertible `A`).
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// `sum(C .* dA)`, which is `det tr(A^-1 dA)` for an invertible `A`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, out: &Self::Output, da: &Self, g: &Self::Output) -> Self;
}

/// `A` with row `i` replaced by the unit row `e_j`.
#[inline(always)]
fn with_unit_row<T: Real, const N: usize>(
    a: &SMatrix<T, N, N>,
    i: usize,
    j: usize,
) -> SMatrix<T, N, N> {
    let mut m = *a;
    for k in 0..N {
        m[(i, k)] = if k == j { T::one() } else { T::zero() };
    }
    m
}

/// The cofactor matrix of `a` (the gradient of the determinant), given `det = det a`.
#[inline(always)]
fn cofactors<T: Real, const N: usize>(a: &SMatrix<T, N, N>, det: T) -> SMatrix<T, N, N>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    match a.try_inverse() {
        Some(inv) => inv.transpose() * det,
        None => SMatrix::from_fn(|i, j| with_unit_row(a, i, j).determinant()),
    }
}

impl<T: Real, const N: usize> DeterminantRule for SMatrix<T, N, N>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.determinant()
    }
    #[inline(always)]
    fn pullback(&self, out: &T, g: &T) -> Self {
        cofactors(self, *out) * *g
    }
    #[inline(always)]
    fn tangent(&self, out: &T, da: &Self) -> T {
        cofactors(self, *out).dot(da)
    }
    /// `g dC`. For an invertible `A`, `dC = det (tr(A^-1 dA) A^-T - A^-T dA^T A^-T)`.
    /// At a singular one, entry by entry: `C_ij` is the determinant of `A` with row
    /// `i` replaced by `e_j`, whose derivative along `dA` (with row `i` zeroed, as the
    /// replaced row does not move) is its own cofactor matrix dotted with that.
    #[inline(always)]
    fn second(&self, out: &T, da: &Self, g: &T) -> Self {
        match self.try_inverse() {
            Some(inv) => {
                let it = inv.transpose();
                (it * (inv * da).trace() - it * da.transpose() * it) * (*out * *g)
            }
            None => SMatrix::from_fn(|i, j| {
                let m = with_unit_row(self, i, j);
                let mut dm = *da;
                dm.row_mut(i).fill(T::zero());
                cofactors(&m, m.determinant()).dot(&dm) * *g
            }),
        }
    }
}
