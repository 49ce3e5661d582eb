//! `a * b`: the scalar product, the scalar-matrix products and the matrix product.
//!
//! | operands | value | `ga` | `gb` |
//! |---|---|---|---|
//! | scalar, scalar | `a b` | `g b` | `g a` |
//! | scalar, matrix | `a B` | `sum(G .* B)` | `a G` |
//! | matrix, scalar | `A b` | `b G` | `sum(G .* A)` |
//! | matrix `R x K`, matrix `K x C` | `A B` | `G B^T` | `A^T G` |
//!
//! PyTorch: `torch.mul` (`MulBackward0`) and `torch.matmul` (`MmBackward0`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a * b`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply `{Self}` by `{Rhs}` in a differentiable function",
    label = "these shapes do not multiply",
    note = "a matrix product `A * B` needs as many columns in `A` as rows in `B`"
)]
pub trait MulRule<Rhs = Self>: Sized {
    /// The product's type.
    type Output;
    /// `a * b`.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// The cotangents of `a` and `b` (see the module's table).
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
}

impl<T: Real> MulRule for T {
    type Output = T;
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        *self * *rhs
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, _out: &T, g: &T) -> (T, T) {
        (*g * *rhs, *g * *self)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, _out: &T, da: &T, db: &T) -> T {
        *da * *rhs + *self * *db
    }
}

impl<T: Real, const R: usize, const C: usize> MulRule<SMatrix<T, R, C>> for T {
    type Output = SMatrix<T, R, C>;
    #[inline(always)]
    fn value(&self, rhs: &SMatrix<T, R, C>) -> SMatrix<T, R, C> {
        rhs * *self
    }
    #[inline(always)]
    fn pullback(
        &self,
        rhs: &SMatrix<T, R, C>,
        _out: &SMatrix<T, R, C>,
        g: &SMatrix<T, R, C>,
    ) -> (T, SMatrix<T, R, C>) {
        (g.dot(rhs), g * *self)
    }
    #[inline(always)]
    fn tangent(
        &self,
        rhs: &SMatrix<T, R, C>,
        _out: &SMatrix<T, R, C>,
        da: &T,
        db: &SMatrix<T, R, C>,
    ) -> SMatrix<T, R, C> {
        rhs * *da + db * *self
    }
}

impl<T: Real, const R: usize, const C: usize> MulRule<T> for SMatrix<T, R, C> {
    type Output = SMatrix<T, R, C>;
    #[inline(always)]
    fn value(&self, rhs: &T) -> SMatrix<T, R, C> {
        self * *rhs
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, _out: &Self, g: &Self) -> (Self, T) {
        (g * *rhs, g.dot(self))
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, _out: &Self, da: &Self, db: &T) -> Self {
        da * *rhs + self * *db
    }
}

impl<T: Real, const R: usize, const K: usize, const C: usize> MulRule<SMatrix<T, K, C>>
    for SMatrix<T, R, K>
{
    type Output = SMatrix<T, R, C>;
    #[inline(always)]
    fn value(&self, rhs: &SMatrix<T, K, C>) -> SMatrix<T, R, C> {
        self * rhs
    }
    #[inline(always)]
    fn pullback(
        &self,
        rhs: &SMatrix<T, K, C>,
        _out: &SMatrix<T, R, C>,
        g: &SMatrix<T, R, C>,
    ) -> (Self, SMatrix<T, K, C>) {
        (g * rhs.transpose(), self.tr_mul(g))
    }
    #[inline(always)]
    fn tangent(
        &self,
        rhs: &SMatrix<T, K, C>,
        _out: &SMatrix<T, R, C>,
        da: &Self,
        db: &SMatrix<T, K, C>,
    ) -> SMatrix<T, R, C> {
        da * rhs + self * db
    }
}
