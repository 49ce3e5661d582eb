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
        // A matrix-vector product of 64 multiply-adds or more is called out of
        // line: inlined into a whole generated gradient, LLVM unrolls it into
        // scalar code, where nalgebra's out-of-line instance is a vectorised
        // loop (W3's gradient: 5,768 -> 5,672 instructions per call, 1.10-1.11
        // -> 1.09 of the hand-written time in `benches/static_paired.rs`). Not
        // done for matrix-matrix products, whose inlined code vectorises (the
        // iris batch gradient took 4.7% more instructions out of line), nor in
        // the pullback (`g b^T`, `a^T g`), whose out-of-line forms were slower.
        if C == 1 && R * K >= 64 {
            product(self, rhs)
        } else {
            self * rhs
        }
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

/// `a b`, not inlined (see `MulRule::value` for matrices).
#[inline(never)]
fn product<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, K, C>,
) -> SMatrix<T, R, C> {
    a * b
}
