//! The products of rotations, `q * v`, `q * r`, `m * v`, `m * n` (as `MulRule`
//! impls: `*` is one rule whatever its operands), and `q.inverse()`,
//! `m.inverse()`, for `q, r: UnitQuaternion` and `m, n: Rotation3`.
//!
//! A rotation's cotangent is the cotangent of its coordinates, unconstrained
//! (see `from_scaled_axis.rs`); each rule is the Euclidean derivative of
//! nalgebra's formula in them. For `q = (u, s)` (vector part, scalar part)
//! nalgebra rotates by `q * v = v + 2 s (u x v) + 2 u x (u x v)`:
//!
//! - `gv = g + 2 s (g x u) + 2 u x (u x g)` (the rotation by `q^-1`),
//! - `gs = 2 g . (u x v)`,
//! - `gu = 2 s (v x g) + 2 (g (u . v) + v (u . g) - 2 u (v . g))`.
//!
//! That is quadratic in `q`, so its second-order term is its own (below); the
//! product of two quaternions (Hamilton's, `ga = g r*`, `gr = q* g`) and those of
//! rotation matrices are bilinear. The inverse is the conjugate (the transpose),
//! linear. The rotations of a `Point3` are in `point.rs`, the rigid motions
//! (`Isometry3`) in `isometry.rs`.
//!
//! PyTorch: pytorch3d's `quaternion_apply`, `quaternion_raw_multiply`,
//! `quaternion_invert`.

use super::mul::MulRule;
use crate::adjoint::{Real, Tangent};
use nalgebra::{Quaternion, Rotation3, UnitQuaternion, Vector3};

/// `q.inverse()` of a rotation, or of a rigid motion (`isometry.rs`).
#[diagnostic::on_unimplemented(
    message = "`inverse` is differentiated on a `UnitQuaternion`, a `Rotation3`, an `Isometry3` or an `IsometryMatrix3`, not on `{Self}`",
    note = "for a square matrix write `m.try_inverse().unwrap()`"
)]
pub trait RotationInverseRule: Sized {
    /// `q^-1`.
    fn value(&self) -> Self;
    /// The conjugate (transpose) of `g`.
    fn pullback(&self, out: &Self, g: &Self) -> Self;
    /// The conjugate (transpose) of `dq`.
    fn tangent(&self, out: &Self, dq: &Self) -> Self;
    /// The derivative of `pullback` along `dq` for a fixed `g` (`NAME::hvp`):
    /// zero for a rotation, whose inverse is linear in its coordinates; an
    /// isometry's translation part, `-(R^-1 t)`, is not.
    fn second(&self, out: &Self, dq: &Self, g: &Self) -> Self;
}

impl<T: Real> RotationInverseRule for UnitQuaternion<T> {
    #[inline(always)]
    fn value(&self) -> Self {
        self.inverse()
    }
    #[inline(always)]
    fn pullback(&self, _out: &Self, g: &Self) -> Self {
        UnitQuaternion::new_unchecked(g.as_ref().conjugate())
    }
    #[inline(always)]
    fn tangent(&self, _out: &Self, dq: &Self) -> Self {
        UnitQuaternion::new_unchecked(dq.as_ref().conjugate())
    }
    #[inline(always)]
    fn second(&self, _out: &Self, _dq: &Self, g: &Self) -> Self {
        g.zero_like()
    }
}

impl<T: Real> RotationInverseRule for Rotation3<T> {
    #[inline(always)]
    fn value(&self) -> Self {
        self.inverse()
    }
    #[inline(always)]
    fn pullback(&self, _out: &Self, g: &Self) -> Self {
        Rotation3::from_matrix_unchecked(g.matrix().transpose())
    }
    #[inline(always)]
    fn tangent(&self, _out: &Self, dq: &Self) -> Self {
        Rotation3::from_matrix_unchecked(dq.matrix().transpose())
    }
    #[inline(always)]
    fn second(&self, _out: &Self, _dq: &Self, g: &Self) -> Self {
        g.zero_like()
    }
}

/// `(u, s)` of a quaternion.
#[inline(always)]
fn parts<T: Real>(q: &UnitQuaternion<T>) -> (Vector3<T>, T) {
    (q.as_ref().imag(), q.as_ref().scalar())
}

/// A cotangent of a quaternion from its parts.
#[inline(always)]
fn quaternion<T: Real>(u: Vector3<T>, s: T) -> UnitQuaternion<T> {
    UnitQuaternion::new_unchecked(Quaternion::from_parts(s, u))
}

impl<T: Real> MulRule<Vector3<T>> for UnitQuaternion<T> {
    type Output = Vector3<T>;
    #[inline(always)]
    fn value(&self, v: &Vector3<T>) -> Vector3<T> {
        self * v
    }
    #[inline(always)]
    fn pullback(&self, v: &Vector3<T>, _out: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
        let (u, s) = parts(self);
        let two: T = nalgebra::convert(2.0);
        let gv = g + (g.cross(&u) * s + u.cross(&u.cross(g))) * two;
        let gs = g.dot(&u.cross(v)) * two;
        let gu = (v.cross(g) * s + g * u.dot(v) + v * u.dot(g) - u * (v.dot(g) * two)) * two;
        (quaternion(gu, gs), gv)
    }
    #[inline(always)]
    fn tangent(&self, v: &Vector3<T>, _out: &Vector3<T>, dq: &Self, dv: &Vector3<T>) -> Vector3<T> {
        let ((u, s), (du, ds)) = (parts(self), parts(dq));
        let two: T = nalgebra::convert(2.0);
        let along_q = u.cross(v) * ds + du.cross(v) * s + du * u.dot(v) + u * du.dot(v)
            - v * (u.dot(&du) * two);
        self * dv + along_q * two
    }
    /// The derivative of the pullback along `(dq, dv)`:
    /// `d gv = 2 ds (g x u) + 2 s (g x du) + 2 (du (u . g) + u (du . g) - 2 g (u . du))`,
    /// `d gs = 2 g . (du x v + u x dv)`,
    /// `d gu = 2 ds (v x g) + 2 s (dv x g) + 2 (g (du . v + u . dv) + dv (u . g)
    /// + v (du . g) - 2 du (v . g) - 2 u (dv . g))`.
    #[inline(always)]
    fn second(
        &self,
        v: &Vector3<T>,
        _out: &Vector3<T>,
        dq: &Self,
        dv: &Vector3<T>,
        g: &Vector3<T>,
    ) -> (Self, Vector3<T>) {
        let ((u, s), (du, ds)) = (parts(self), parts(dq));
        let two: T = nalgebra::convert(2.0);
        let dgv = (g.cross(&u) * ds + g.cross(&du) * s + du * u.dot(g) + u * du.dot(g)
            - g * (u.dot(&du) * two))
            * two;
        let dgs = g.dot(&(du.cross(v) + u.cross(dv))) * two;
        let dgu = (v.cross(g) * ds
            + dv.cross(g) * s
            + g * (du.dot(v) + u.dot(dv))
            + dv * u.dot(g)
            + v * du.dot(g)
            - du * (v.dot(g) * two)
            - u * (dv.dot(g) * two))
            * two;
        (quaternion(dgu, dgs), dgv)
    }
}

impl<T: Real> MulRule for UnitQuaternion<T> {
    type Output = UnitQuaternion<T>;
    #[inline(always)]
    fn value(&self, r: &Self) -> Self {
        self * r
    }
    #[inline(always)]
    fn pullback(&self, r: &Self, _out: &Self, g: &Self) -> (Self, Self) {
        let (q, r, g) = (self.as_ref(), r.as_ref(), g.as_ref());
        (
            UnitQuaternion::new_unchecked(g * r.conjugate()),
            UnitQuaternion::new_unchecked(q.conjugate() * g),
        )
    }
    #[inline(always)]
    fn tangent(&self, r: &Self, _out: &Self, dq: &Self, dr: &Self) -> Self {
        UnitQuaternion::new_unchecked(dq.as_ref() * r.as_ref() + self.as_ref() * dr.as_ref())
    }
}

impl<T: Real> MulRule<Vector3<T>> for Rotation3<T> {
    type Output = Vector3<T>;
    #[inline(always)]
    fn value(&self, v: &Vector3<T>) -> Vector3<T> {
        self * v
    }
    #[inline(always)]
    fn pullback(&self, v: &Vector3<T>, _out: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
        (
            Rotation3::from_matrix_unchecked(g * v.transpose()),
            self.matrix().tr_mul(g),
        )
    }
    #[inline(always)]
    fn tangent(&self, v: &Vector3<T>, _out: &Vector3<T>, dm: &Self, dv: &Vector3<T>) -> Vector3<T> {
        dm.matrix() * v + self.matrix() * dv
    }
}

impl<T: Real> MulRule for Rotation3<T> {
    type Output = Rotation3<T>;
    #[inline(always)]
    fn value(&self, n: &Self) -> Self {
        self * n
    }
    #[inline(always)]
    fn pullback(&self, n: &Self, _out: &Self, g: &Self) -> (Self, Self) {
        (
            Rotation3::from_matrix_unchecked(g.matrix() * n.matrix().transpose()),
            Rotation3::from_matrix_unchecked(self.matrix().tr_mul(g.matrix())),
        )
    }
    #[inline(always)]
    fn tangent(&self, n: &Self, _out: &Self, dm: &Self, dn: &Self) -> Self {
        Rotation3::from_matrix_unchecked(dm.matrix() * n.matrix() + self.matrix() * dn.matrix())
    }
}
