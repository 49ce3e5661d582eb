//! `a.lu().solve(&b).unwrap()` and `a.cholesky().unwrap().solve(&b)`, each
//! lowered as one primitive: `x = A^-1 b` for a square `A` and a right-hand side
//! `b` of as many rows (a vector or a matrix of several columns),
//! `dx = A^-1 (db - dA x)`, `gb = A^-T g`, `gA = -gb x^T`.
//!
//! The closed forms, not derivatives through the factorisation: each derivative
//! refactors `A` (or `A^T`) with the same decomposition as the value.
//!
//! A singular `A` (nalgebra's LU solve returns `None`), or one that is not
//! positive-definite for Cholesky (`cholesky()` returns `None`), panics in the
//! forward sweep, as the `unwrap` of the user's code does.
//!
//! PyTorch: `torch.linalg.solve` (`LinalgSolveExBackward0`) and
//! `torch.cholesky_solve` after `torch.linalg.cholesky`.

use crate::adjoint::Real;
use nalgebra::{Const, DimMin, SMatrix};

/// `a.lu().solve(&b).unwrap()`.
#[diagnostic::on_unimplemented(
    message = "`lu().solve(&b).unwrap()` is differentiated on a square matrix and a right-hand side with as many rows, not on `{Self}` and `{Rhs}`"
)]
pub trait LuSolveRule<Rhs>: Sized {
    /// The solution's type (that of `b`).
    type Output;
    /// `A^-1 b` by nalgebra's LU with partial pivoting; panics if `A` is singular.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// `(-gb x^T, gb)` with `gb = A^-T g`.
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// `A^-1 (db - dA x)`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along the operands' tangents `da`, `db`, for a
    /// fixed `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(
        &self,
        rhs: &Rhs,
        out: &Self::Output,
        da: &Self,
        db: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `m^-1 b` by LU, panicking as the user's `unwrap` would.
#[inline(always)]
fn lu_solve<T: Real, const N: usize, const C: usize>(
    m: &SMatrix<T, N, N>,
    b: &SMatrix<T, N, C>,
) -> SMatrix<T, N, C>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    // `solve_mut` on a copy: the result type is `b`'s, with no allocator bound
    // for the compiler to infer (the `no_std` build cannot infer `solve`'s).
    let mut x = *b;
    if m.lu().solve_mut(&mut x) {
        x
    } else {
        panic!("`lu().solve(&b).unwrap()` with a singular matrix: solve returned None")
    }
}

impl<T: Real, const N: usize, const C: usize> LuSolveRule<SMatrix<T, N, C>> for SMatrix<T, N, N>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    type Output = SMatrix<T, N, C>;
    #[inline(always)]
    fn value(&self, rhs: &SMatrix<T, N, C>) -> SMatrix<T, N, C> {
        lu_solve(self, rhs)
    }
    #[inline(always)]
    fn pullback(
        &self,
        _rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        g: &SMatrix<T, N, C>,
    ) -> (Self, SMatrix<T, N, C>) {
        let gb = lu_solve(&self.transpose(), g);
        (-(gb * out.transpose()), gb)
    }
    #[inline(always)]
    fn tangent(
        &self,
        _rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        da: &Self,
        db: &SMatrix<T, N, C>,
    ) -> SMatrix<T, N, C> {
        lu_solve(self, &(db - da * out))
    }
    /// With `gb = A^-T g` and `dx` the tangent: `d gb = -A^-T dA^T gb`,
    /// `d gA = -(d gb x^T + gb dx^T)`.
    #[inline(always)]
    fn second(
        &self,
        rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        da: &Self,
        db: &SMatrix<T, N, C>,
        g: &SMatrix<T, N, C>,
    ) -> (Self, SMatrix<T, N, C>) {
        let at = self.transpose();
        let gb = lu_solve(&at, g);
        let dgb = -lu_solve(&at, &(da.transpose() * gb));
        let dx = LuSolveRule::tangent(self, rhs, out, da, db);
        (-(dgb * out.transpose() + gb * dx.transpose()), dgb)
    }
}

/// `a.cholesky().unwrap().solve(&b)`, for a symmetric positive-definite `A`.
///
/// nalgebra's Cholesky reads only the lower triangle of `A`: the rule
/// differentiates on the symmetric matrices, where `A` lives, so a tangent `dA`
/// enters as its symmetric part `(dA + dA^T) / 2` and the gradient is symmetric,
/// `gA = -(gb x^T + x gb^T) / 2` with `gb = A^-1 g`. This is PyTorch's convention
/// (`torch.linalg.cholesky`'s backward returns a symmetric gradient): a gradient
/// step keeps `A` symmetric, and along every symmetric direction it is the
/// general formula `-gb x^T`'s derivative. Along a direction that is not
/// symmetric it is neither the general formula nor the derivative of nalgebra's
/// lower-triangle-only computation; differentiate `lu().solve` for a general `A`.
#[diagnostic::on_unimplemented(
    message = "`cholesky().unwrap().solve(&b)` is differentiated on a square matrix and a right-hand side with as many rows, not on `{Self}` and `{Rhs}`"
)]
pub trait CholeskySolveRule<Rhs>: Sized {
    /// The solution's type (that of `b`).
    type Output;
    /// `A^-1 b` by nalgebra's Cholesky; panics if `A` is not positive-definite.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// `(-(gb x^T + x gb^T) / 2, gb)` with `gb = A^-1 g`.
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// `A^-1 (db - sym(dA) x)`, `sym(dA) = (dA + dA^T) / 2`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along the operands' tangents `da`, `db`, for a
    /// fixed `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(
        &self,
        rhs: &Rhs,
        out: &Self::Output,
        da: &Self,
        db: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `m^-1 b` by Cholesky, panicking as the user's `unwrap` would.
#[inline(always)]
fn cholesky_solve<T: Real, const N: usize, const C: usize>(
    m: &SMatrix<T, N, N>,
    b: &SMatrix<T, N, C>,
) -> SMatrix<T, N, C> {
    match m.cholesky() {
        Some(c) => c.solve(b),
        None => panic!(
            "`cholesky().unwrap()` of a matrix that is not positive-definite: cholesky returned None"
        ),
    }
}

/// `(m + m^T) / 2`.
#[inline(always)]
fn sym<T: Real, const N: usize>(m: &SMatrix<T, N, N>) -> SMatrix<T, N, N> {
    let half: T = nalgebra::convert(0.5);
    (m + m.transpose()) * half
}

impl<T: Real, const N: usize, const C: usize> CholeskySolveRule<SMatrix<T, N, C>>
    for SMatrix<T, N, N>
{
    type Output = SMatrix<T, N, C>;
    #[inline(always)]
    fn value(&self, rhs: &SMatrix<T, N, C>) -> SMatrix<T, N, C> {
        cholesky_solve(self, rhs)
    }
    #[inline(always)]
    fn pullback(
        &self,
        _rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        g: &SMatrix<T, N, C>,
    ) -> (Self, SMatrix<T, N, C>) {
        let gb = cholesky_solve(self, g);
        (-sym(&(gb * out.transpose())), gb)
    }
    #[inline(always)]
    fn tangent(
        &self,
        _rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        da: &Self,
        db: &SMatrix<T, N, C>,
    ) -> SMatrix<T, N, C> {
        cholesky_solve(self, &(db - sym(da) * out))
    }
    /// With `gb = A^-1 g` and `dx` the tangent: `d gb = -A^-1 sym(dA) gb`,
    /// `d gA = -sym(d gb x^T + gb dx^T)`.
    #[inline(always)]
    fn second(
        &self,
        rhs: &SMatrix<T, N, C>,
        out: &SMatrix<T, N, C>,
        da: &Self,
        db: &SMatrix<T, N, C>,
        g: &SMatrix<T, N, C>,
    ) -> (Self, SMatrix<T, N, C>) {
        let gb = cholesky_solve(self, g);
        let dgb = -cholesky_solve(self, &(sym(da) * gb));
        let dx = CholeskySolveRule::tangent(self, rhs, out, da, db);
        (-sym(&(dgb * out.transpose() + gb * dx.transpose())), dgb)
    }
}
