//! `a.cross(&b)`, the cross product of two 3-vectors (columns `3 x 1` or rows
//! `1 x 3`, as nalgebra): `ga = b x g`, `gb = g x a`.
//!
//! Bilinear: the second-order term of forward-over-reverse is the pullback at
//! the tangents (`dispatch.rs` declares it so).
//!
//! PyTorch: `torch.linalg.cross` (`LinalgCrossBackward0`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.cross(&b)`.
#[diagnostic::on_unimplemented(
    message = "`cross` is differentiated on two 3-vectors of one shape, not on `{Self}` and `{Rhs}`",
    label = "the cross product needs two `Vector3` (or two `RowVector3`)"
)]
pub trait CrossRule<Rhs = Self>: Sized {
    /// `a x b`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `(b x g, g x a)`.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// `da x b + a x db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

/// `a x b` of two 3-vectors, by linear index (the same for columns and rows).
#[inline(always)]
fn cross<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    let mut out = SMatrix::<T, R, C>::zeros();
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
    out
}

macro_rules! cross_rule {
    ($R:literal, $C:literal) => {
        impl<T: Real> CrossRule for SMatrix<T, $R, $C> {
            #[inline(always)]
            fn value(&self, rhs: &Self) -> Self {
                self.cross(rhs)
            }
            #[inline(always)]
            fn pullback(&self, rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
                (cross(rhs, g), cross(g, self))
            }
            #[inline(always)]
            fn tangent(&self, rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
                cross(da, rhs) + cross(self, db)
            }
        }
    };
}

cross_rule!(3, 1);
cross_rule!(1, 3);

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector3;

    /// The helper gives nalgebra's cross product.
    #[test]
    fn cross_is_nalgebras() {
        let (a, b) = (Vector3::new(1.0, -2.0, 0.5), Vector3::new(0.25, 3.0, -1.0));
        assert_eq!(cross(&a, &b), a.cross(&b));
        let (a, b) = (a.transpose(), b.transpose());
        assert_eq!(cross(&a, &b), a.cross(&b));
    }
}
