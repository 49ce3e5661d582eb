//! `UnitQuaternion::from_scaled_axis(w)` and `Rotation3::from_scaled_axis(w)`: the
//! exponential map from a scaled axis `w` (axis times angle, the tangent space of
//! the rotations at the identity) to a rotation.
//!
//! With `t = |w|^2`, `theta = sqrt(t)`, `s(t) = sin(theta / 2) / theta` and
//! `c(t) = cos(theta / 2)`, the quaternion is `q = (v, w_q) = (s w, c)`, so
//! (`s'`, `s''` derivatives in `t`, `c' = -s / 4`):
//!
//! - tangent: `dv = s dw + 2 s' (w . dw) w`, `dw_q = -(s / 2) (w . dw)`;
//! - pullback of a cotangent `(gv, gw_q)`: `gw = s gv + 2 a w` with
//!   `a = s' (gv . w) - gw_q s / 4`.
//!
//! `s`, `s'` and `s''` are even functions of `theta`, smooth at 0: below
//! `theta = 1` they are summed from their Taylor series in `t` (that of
//! `sin(x) / x`), so the gradient at `w = 0` is exact (`gw = gv / 2`), not `0 / 0`.
//!
//! The rotation's cotangent is the cotangent of its coordinates, unconstrained
//! (four for a quaternion, nine for a `Rotation3`; see `adjoint/tangent.rs`): the
//! rules downstream (`q * v`, `q * r`, `q.to_rotation_matrix()`) are the Euclidean
//! derivatives of nalgebra's polynomial formulas in those coordinates. Only its
//! component tangent to the rotations reaches `w`, so the gradient with respect
//! to `w` does not depend on how the formulas extend off the unit sphere.
//!
//! `Rotation3::from_scaled_axis` is differentiated as the quaternion's
//! `to_rotation_matrix()`: the same function of `w` as nalgebra's Rodrigues
//! formula, which gives the value.
//!
//! PyTorch: none built in; Sophus' `SO3::exp`, Ceres' `AngleAxisToQuaternion`,
//! pytorch3d's `axis_angle_to_quaternion`.

use super::to_rotation_matrix::ToRotationMatrixRule;
use crate::adjoint::Real;
use nalgebra::{Quaternion, Rotation3, UnitQuaternion, Vector3};

/// `UnitQuaternion::from_scaled_axis(w)`.
#[diagnostic::on_unimplemented(
    message = "`UnitQuaternion::from_scaled_axis` is differentiated on a `Vector3`, not on `{Self}`"
)]
pub trait QuaternionFromScaledAxisRule: Sized {
    /// The rotation's type.
    type Output;
    /// nalgebra's value.
    fn value(&self) -> Self::Output;
    /// `s gv + 2 a w` (see the module).
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// `(s dw + 2 s' (w . dw) w, -(s / 2) (w . dw))`.
    fn tangent(&self, out: &Self::Output, dw: &Self) -> Self::Output;
    /// The derivative of `pullback` along `dw` for a fixed `g` (`NAME::hvp`).
    fn second(&self, out: &Self::Output, dw: &Self, g: &Self::Output) -> Self;
}

/// `Rotation3::from_scaled_axis(w)`.
#[diagnostic::on_unimplemented(
    message = "`Rotation3::from_scaled_axis` is differentiated on a `Vector3`, not on `{Self}`"
)]
pub trait RotationFromScaledAxisRule: Sized {
    /// The rotation's type.
    type Output;
    /// nalgebra's value (Rodrigues' formula).
    fn value(&self) -> Self::Output;
    /// The quaternion's pullback of `to_rotation_matrix()`'s.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of `to_rotation_matrix()` at the quaternion's tangent.
    fn tangent(&self, out: &Self::Output, dw: &Self) -> Self::Output;
    /// The derivative of `pullback` along `dw` for a fixed `g` (`NAME::hvp`).
    fn second(&self, out: &Self::Output, dw: &Self, g: &Self::Output) -> Self;
}

/// `(s, s', s'')` at `t = |w|^2` (see the module).
#[inline(always)]
pub(crate) fn coefficients<T: Real>(t: T) -> (T, T, T) {
    if t < T::one() {
        series(t)
    } else {
        closed_form(t)
    }
}

/// `(s, s', s'')` by their Taylor series in `t`, for `t < 1`.
#[inline(always)]
fn series<T: Real>(t: T) -> (T, T, T) {
    // s(t) = sum_k (-t)^k a_k with a_k = 1 / (2^(2k+1) (2k+1)!), from
    // sin(x) / x at x = theta / 2. Ten terms: the first one left out is below
    // 1e-25 for t < 1.
    const K: usize = 10;
    let mut a = [0.0f64; K];
    a[0] = 0.5;
    for k in 1..K {
        a[k] = a[k - 1] / (4.0 * (2 * k) as f64 * (2 * k + 1) as f64);
    }
    let (mut s, mut s1, mut s2) = (T::zero(), T::zero(), T::zero());
    for k in (0..K).rev() {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        let kf = k as f64;
        s = s * t + nalgebra::convert::<f64, T>(sign * a[k]);
        if k >= 1 {
            s1 = s1 * t + nalgebra::convert::<f64, T>(sign * kf * a[k]);
        }
        if k >= 2 {
            s2 = s2 * t + nalgebra::convert::<f64, T>(sign * kf * (kf - 1.0) * a[k]);
        }
    }
    (s, s1, s2)
}

/// `(s, s', s'')` in closed form, which cancels digits as `t` goes to 0.
#[inline(always)]
fn closed_form<T: Real>(t: T) -> (T, T, T) {
    let theta = t.sqrt();
    let half = theta * nalgebra::convert::<f64, T>(0.5);
    let four: T = nalgebra::convert(4.0);
    let s = half.sin() / theta;
    let s1 = (half.cos() - s * nalgebra::convert::<f64, T>(2.0)) / (four * t);
    let s2 = (-s / four - s1 * nalgebra::convert::<f64, T>(6.0)) / (four * t);
    (s, s1, s2)
}

impl<T: Real> QuaternionFromScaledAxisRule for Vector3<T> {
    type Output = UnitQuaternion<T>;
    #[inline(always)]
    fn value(&self) -> UnitQuaternion<T> {
        UnitQuaternion::from_scaled_axis(*self)
    }
    #[inline(always)]
    fn pullback(&self, _out: &UnitQuaternion<T>, g: &UnitQuaternion<T>) -> Self {
        let (s, s1, _) = coefficients(self.norm_squared());
        let (gv, gs) = (g.as_ref().imag(), g.as_ref().scalar());
        let four: T = nalgebra::convert(4.0);
        let a = s1 * gv.dot(self) - gs * s / four;
        gv * s + self * (a + a)
    }
    #[inline(always)]
    fn tangent(&self, _out: &UnitQuaternion<T>, dw: &Self) -> UnitQuaternion<T> {
        let (s, s1, _) = coefficients(self.norm_squared());
        let dt = self.dot(dw) * nalgebra::convert::<f64, T>(2.0);
        let four: T = nalgebra::convert(4.0);
        UnitQuaternion::new_unchecked(Quaternion::from_parts(
            -s / four * dt,
            dw * s + self * (s1 * dt),
        ))
    }
    /// With `dt = 2 w . dw` and `a` as in the pullback:
    /// `s' dt gv + 2 da w + 2 a dw`, `da = s'' dt (gv . w) + s' (gv . dw) - gw_q s' dt / 4`.
    #[inline(always)]
    fn second(&self, _out: &UnitQuaternion<T>, dw: &Self, g: &UnitQuaternion<T>) -> Self {
        let (s, s1, s2) = coefficients(self.norm_squared());
        let (gv, gs) = (g.as_ref().imag(), g.as_ref().scalar());
        let (two, four): (T, T) = (nalgebra::convert(2.0), nalgebra::convert(4.0));
        let dt = self.dot(dw) * two;
        let a = s1 * gv.dot(self) - gs * s / four;
        let da = s2 * dt * gv.dot(self) + s1 * gv.dot(dw) - gs * s1 * dt / four;
        gv * (s1 * dt) + self * (da * two) + dw * (a * two)
    }
}

impl<T: Real> RotationFromScaledAxisRule for Vector3<T> {
    type Output = Rotation3<T>;
    #[inline(always)]
    fn value(&self) -> Rotation3<T> {
        Rotation3::from_scaled_axis(*self)
    }
    #[inline(always)]
    fn pullback(&self, _out: &Rotation3<T>, g: &Rotation3<T>) -> Self {
        let q = QuaternionFromScaledAxisRule::value(self);
        let gq = q.pullback(&q.to_rotation_matrix(), g);
        QuaternionFromScaledAxisRule::pullback(self, &q, &gq)
    }
    #[inline(always)]
    fn tangent(&self, _out: &Rotation3<T>, dw: &Self) -> Rotation3<T> {
        let q = QuaternionFromScaledAxisRule::value(self);
        let dq = QuaternionFromScaledAxisRule::tangent(self, &q, dw);
        ToRotationMatrixRule::tangent(&q, &q.to_rotation_matrix(), &dq)
    }
    /// Of a composition `R(q(w))`: `q.second(dw, gq) + q.pullback(R.second(dq, G))`
    /// with `gq` the pullback of `G` through `R` and `dq` the tangent of `q`.
    #[inline(always)]
    fn second(&self, _out: &Rotation3<T>, dw: &Self, g: &Rotation3<T>) -> Self {
        let q = QuaternionFromScaledAxisRule::value(self);
        let r = q.to_rotation_matrix();
        let gq = q.pullback(&r, g);
        let dq = QuaternionFromScaledAxisRule::tangent(self, &q, dw);
        let dgq = dq.pullback(&r, g);
        QuaternionFromScaledAxisRule::second(self, &q, dw, &gq)
            + QuaternionFromScaledAxisRule::pullback(self, &q, &dgq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The series and the closed forms agree where they meet (`theta = 1`).
    #[test]
    fn series_meets_closed_form() {
        for t in [0.25f64, 1.0, 1.5] {
            let (a, b) = (series(t), closed_form(t));
            assert!((a.0 - b.0).abs() < 1e-15, "{t}");
            assert!((a.1 - b.1).abs() < 1e-15, "{t}");
            assert!((a.2 - b.2).abs() < 1e-14, "{t}");
        }
        // s(0) = 1/2, s'(0) = -1/48, s''(0) = 2/3840.
        let (s, s1, s2) = coefficients(0.0f64);
        assert_eq!((s, s1), (0.5, -1.0 / 48.0));
        assert!((s2 - 2.0 / 3840.0).abs() < 1e-18);
    }
}
