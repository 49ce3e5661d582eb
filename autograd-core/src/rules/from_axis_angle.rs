//! `UnitQuaternion::from_axis_angle(&axis, angle)`: `q = (axis sin(h), cos(h))`
//! with `h = angle / 2`, for a unit `axis` (nalgebra's `Unit<Vector3>`):
//!
//! - `g_axis = gv sin(h)`,
//! - `g_angle = (gv . axis) cos(h) / 2 - gw sin(h) / 2`,
//!
//! for a cotangent `(gv, gw)` of the quaternion's coordinates (see
//! `from_scaled_axis.rs`). The axis' cotangent is that of its three coordinates,
//! unconstrained, in a `Unit` (see `adjoint/tangent.rs`); an axis is usually a
//! constant.
//!
//! PyTorch: none built in; Eigen's `AngleAxis`, pytorch3d's `axis_angle_to_quaternion`.

use crate::adjoint::Real;
use nalgebra::{Quaternion, Unit, UnitQuaternion, Vector3};

/// `UnitQuaternion::from_axis_angle(&axis, angle)`.
#[diagnostic::on_unimplemented(
    message = "`UnitQuaternion::from_axis_angle` is differentiated on a `Unit<Vector3>` axis and a scalar angle, not on `{Self}` and `{Rhs}`"
)]
pub trait QuaternionFromAxisAngleRule<Rhs>: Sized {
    /// The rotation's type.
    type Output;
    /// nalgebra's value.
    fn value(&self, angle: &Rhs) -> Self::Output;
    /// `(gv sin(h), (gv . axis) cos(h) / 2 - gw sin(h) / 2)`.
    fn pullback(&self, angle: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// `(d_axis sin(h) + axis cos(h) d_angle / 2, -sin(h) d_angle / 2)`.
    fn tangent(&self, angle: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along `(da, db)` for a fixed `g` (`NAME::hvp`).
    fn second(
        &self,
        angle: &Rhs,
        out: &Self::Output,
        da: &Self,
        db: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

impl<T: Real> QuaternionFromAxisAngleRule<T> for Unit<Vector3<T>> {
    type Output = UnitQuaternion<T>;
    #[inline(always)]
    fn value(&self, angle: &T) -> UnitQuaternion<T> {
        UnitQuaternion::from_axis_angle(self, *angle)
    }
    #[inline(always)]
    fn pullback(&self, angle: &T, _out: &UnitQuaternion<T>, g: &UnitQuaternion<T>) -> (Self, T) {
        let half: T = nalgebra::convert(0.5);
        let (sn, cs) = (*angle * half).sin_cos();
        let (gv, gw) = (g.as_ref().imag(), g.as_ref().scalar());
        (
            Unit::new_unchecked(gv * sn),
            (gv.dot(self) * cs - gw * sn) * half,
        )
    }
    #[inline(always)]
    fn tangent(&self, angle: &T, _out: &UnitQuaternion<T>, da: &Self, db: &T) -> UnitQuaternion<T> {
        let half: T = nalgebra::convert(0.5);
        let (sn, cs) = (*angle * half).sin_cos();
        UnitQuaternion::new_unchecked(Quaternion::from_parts(
            -sn * half * *db,
            da.as_ref() * sn + self.as_ref() * (cs * half * *db),
        ))
    }
    /// `(gv cos(h) db / 2, (gv . da) cos(h) / 2 - ((gv . axis) sin(h) + gw cos(h)) db / 4)`.
    #[inline(always)]
    fn second(
        &self,
        angle: &T,
        _out: &UnitQuaternion<T>,
        da: &Self,
        db: &T,
        g: &UnitQuaternion<T>,
    ) -> (Self, T) {
        let half: T = nalgebra::convert(0.5);
        let (sn, cs) = (*angle * half).sin_cos();
        let (gv, gw) = (g.as_ref().imag(), g.as_ref().scalar());
        (
            Unit::new_unchecked(gv * (cs * half * *db)),
            gv.dot(da) * cs * half - (gv.dot(self) * sn + gw * cs) * half * half * *db,
        )
    }
}
