//! `q.to_rotation_matrix()` of a `UnitQuaternion` and `r.matrix()` of a
//! `Rotation3`.
//!
//! nalgebra's matrix is a homogeneous quadratic in the coordinates `(i, j, k, w)`
//! (`R00 = ww + ii - jj - kk`, `R01 = 2 (ij - wk)`, ...): `R(q) = B(q, q)` with `B`
//! symmetric bilinear, so the tangent is `2 B(q, dq)` and the pullback, linear in
//! `q`, is its own second-order term at `dq` (declared `bilinear` in
//! `dispatch.rs`). The cotangent of `q` is four unconstrained coordinates (see
//! `from_scaled_axis.rs`).
//!
//! `r.matrix()` is the identity on the nine entries (linear); its value is owned.
//!
//! PyTorch: pytorch3d's `quaternion_to_matrix`.

use crate::adjoint::Real;
use nalgebra::{Matrix3, Quaternion, Rotation3, UnitQuaternion};

/// `q.to_rotation_matrix()`.
#[diagnostic::on_unimplemented(
    message = "`to_rotation_matrix` is differentiated on a `UnitQuaternion`, not on `{Self}`"
)]
pub trait ToRotationMatrixRule: Sized {
    /// The matrix's type.
    type Output;
    /// nalgebra's value.
    fn value(&self) -> Self::Output;
    /// `d <G, R(q)> / dq`, linear in `q`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// `2 B(q, dq)`.
    fn tangent(&self, out: &Self::Output, dq: &Self) -> Self::Output;
}

/// `r.matrix()`, owned.
#[diagnostic::on_unimplemented(
    message = "`matrix()` is differentiated on a `Rotation3`, not on `{Self}`"
)]
pub trait RotationMatrixRule: Sized {
    /// The matrix's type.
    type Output;
    /// The entries.
    fn value(&self) -> Self::Output;
    /// `g`, as a rotation's cotangent.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// `dr`'s entries.
    fn tangent(&self, out: &Self::Output, dr: &Self) -> Self::Output;
}

/// `B(p, q)`: nalgebra's matrix with each product `xx` of the quaternion's
/// coordinates written `(p_x q_x)` and each `2 xy` written `p_x q_y + p_y q_x`, so
/// that `B(q, q)` is `q.to_rotation_matrix()`.
#[inline(always)]
fn polar<T: Real>(p: &Quaternion<T>, q: &Quaternion<T>) -> Matrix3<T> {
    let (pi, pj, pk, pw) = (p.coords[0], p.coords[1], p.coords[2], p.coords[3]);
    let (qi, qj, qk, qw) = (q.coords[0], q.coords[1], q.coords[2], q.coords[3]);
    let x2 = |a: T, b: T, c: T, d: T| a * b + c * d;
    let (ww, ii, jj, kk) = (pw * qw, pi * qi, pj * qj, pk * qk);
    let ij = x2(pi, qj, pj, qi);
    let wk = x2(pw, qk, pk, qw);
    let wj = x2(pw, qj, pj, qw);
    let ik = x2(pi, qk, pk, qi);
    let jk = x2(pj, qk, pk, qj);
    let wi = x2(pw, qi, pi, qw);
    Matrix3::new(
        ww + ii - jj - kk,
        ij - wk,
        wj + ik,
        wk + ij,
        ww - ii + jj - kk,
        jk - wi,
        ik - wj,
        wi + jk,
        ww - ii - jj + kk,
    )
}

impl<T: Real> ToRotationMatrixRule for UnitQuaternion<T> {
    type Output = Rotation3<T>;
    #[inline(always)]
    fn value(&self) -> Rotation3<T> {
        self.to_rotation_matrix()
    }
    #[inline(always)]
    fn pullback(&self, _out: &Rotation3<T>, g: &Rotation3<T>) -> Self {
        let c = &self.as_ref().coords;
        let (i, j, k, w) = (c[0], c[1], c[2], c[3]);
        let g = g.matrix();
        let two: T = nalgebra::convert(2.0);
        let gi = i * (g[(0, 0)] - g[(1, 1)] - g[(2, 2)])
            + j * (g[(0, 1)] + g[(1, 0)])
            + k * (g[(0, 2)] + g[(2, 0)])
            + w * (g[(2, 1)] - g[(1, 2)]);
        let gj = j * (g[(1, 1)] - g[(0, 0)] - g[(2, 2)])
            + i * (g[(0, 1)] + g[(1, 0)])
            + k * (g[(1, 2)] + g[(2, 1)])
            + w * (g[(0, 2)] - g[(2, 0)]);
        let gk = k * (g[(2, 2)] - g[(0, 0)] - g[(1, 1)])
            + i * (g[(0, 2)] + g[(2, 0)])
            + j * (g[(1, 2)] + g[(2, 1)])
            + w * (g[(1, 0)] - g[(0, 1)]);
        let gw = w * (g[(0, 0)] + g[(1, 1)] + g[(2, 2)])
            + i * (g[(2, 1)] - g[(1, 2)])
            + j * (g[(0, 2)] - g[(2, 0)])
            + k * (g[(1, 0)] - g[(0, 1)]);
        UnitQuaternion::new_unchecked(Quaternion::new(gw * two, gi * two, gj * two, gk * two))
    }
    #[inline(always)]
    fn tangent(&self, _out: &Rotation3<T>, dq: &Self) -> Rotation3<T> {
        let b = polar(self.as_ref(), dq.as_ref());
        Rotation3::from_matrix_unchecked(b + b)
    }
}

impl<T: Real> RotationMatrixRule for Rotation3<T> {
    type Output = Matrix3<T>;
    #[inline(always)]
    fn value(&self) -> Matrix3<T> {
        *self.matrix()
    }
    #[inline(always)]
    fn pullback(&self, _out: &Matrix3<T>, g: &Matrix3<T>) -> Self {
        Rotation3::from_matrix_unchecked(*g)
    }
    #[inline(always)]
    fn tangent(&self, _out: &Matrix3<T>, dr: &Self) -> Matrix3<T> {
        *dr.matrix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `B(q, q)` is nalgebra's matrix, for a quaternion off the unit sphere too.
    #[test]
    fn polar_form_is_nalgebras_matrix() {
        let q = Quaternion::new(0.3, -1.2, 0.7, 2.0);
        let r = UnitQuaternion::new_unchecked(q).to_rotation_matrix();
        assert!((polar(&q, &q) - r.matrix()).norm() < 1e-14);
    }
}
