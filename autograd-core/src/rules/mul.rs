//! `a * b`: the scalar product, the scalar-matrix products and the matrix product.
//!
//! | operands | value | `ga` | `gb` |
//! |---|---|---|---|
//! | scalar, scalar | `a b` | `g b` | `g a` |
//! | scalar, matrix | `a B` | `sum(G .* B)` | `a G` |
//! | matrix, scalar | `A b` | `b G` | `sum(G .* A)` |
//! | matrix `R x K`, matrix `K x C` | `A B` | `G B^T` | `A^T G` |
//!
//! The products of rotations (`UnitQuaternion`, `Rotation3`) are in `rotation.rs`.
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
    /// The derivative of `pullback` along `da`, `db` for a fixed `g` (`NAME::hvp`):
    /// for a bilinear product, the pullback at the tangents. The rotation of a
    /// vector by a quaternion, quadratic in the quaternion, gives its own
    /// (`rotation.rs`).
    #[inline(always)]
    fn second(
        &self,
        rhs: &Rhs,
        out: &Self::Output,
        da: &Self,
        db: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs) {
        let _ = rhs;
        da.pullback(db, out, g)
    }
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
        // Inlined into a whole generated gradient, nalgebra's matrix-vector
        // product was unrolled into scalar code (W3: 331 `mulsd`, 1.10-1.11 of
        // the hand-written gradient's time, which calls it out of line as a
        // vectorised loop). Written column by column it vectorises where it
        // stands: W3 5,768 -> 5,451 instructions per call, 0.97 of the
        // hand-written time (`benches/static_paired.rs`). Calling nalgebra out
        // of line instead gave 5,672 (its arguments are then copied to memory).
        if C == 1 && K > 0 {
            matrix_vector(self, rhs)
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
        da.value(rhs) + self.value(db)
    }
}

/// `a b` for a vector `b`, column by column (`out = a[:, 0] b_0 + a[:, 1] b_1 +
/// ...`): each entry sums its products in the order of nalgebra's product, and
/// unrolled, each column is a contiguous run that LLVM vectorises.
#[inline(always)]
fn matrix_vector<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, K, C>,
) -> SMatrix<T, R, C> {
    let mut out = SMatrix::<T, R, C>::zeros();
    for c in 0..C {
        for i in 0..R {
            out[(i, c)] = a[(i, 0)] * b[(0, c)];
        }
        for j in 1..K {
            let bj = b[(j, c)];
            for i in 0..R {
                out[(i, c)] += a[(i, j)] * bj;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column-by-column product gives nalgebra's bits, signed zeros included.
    #[test]
    fn matrix_vector_gives_nalgebras_bits() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Exact zeros of both signs and ordinary values.
            match seed % 8 {
                0 => 0.0,
                1 => -0.0,
                _ => (seed >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0,
            }
        };
        for _ in 0..2000 {
            let a = SMatrix::<f64, 7, 5>::from_fn(|_, _| next());
            let b = SMatrix::<f64, 5, 1>::from_fn(|_, _| next());
            let (ours, theirs) = (matrix_vector(&a, &b), a * b);
            let bits = |m: &SMatrix<f64, 7, 1>| m.map(f64::to_bits);
            assert_eq!(bits(&ours), bits(&theirs), "{a} {b}");
            let a = SMatrix::<f32, 3, 16>::from_fn(|_, _| next() as f32);
            let b = SMatrix::<f32, 16, 1>::from_fn(|_, _| next() as f32);
            let (ours, theirs) = (matrix_vector(&a, &b), a * b);
            assert_eq!(ours.map(f32::to_bits), theirs.map(f32::to_bits));
        }
    }
}
