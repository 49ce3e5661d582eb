//! nalgebra's rotations in the static language (`UnitQuaternion::from_scaled_axis`,
//! `from_axis_angle`, `Rotation3::from_scaled_axis`, `q * v`, `q * r`, `m * v`,
//! `m * n`, `to_rotation_matrix`, `matrix`, `inverse`), checked two ways: each
//! rule's pullback, tangent and second-order term against central differences of
//! its value in coordinates, and through `#[differentiable]` with the scaled axis
//! as the parameter: `grad`, `vjp`, `jvp`, `hvp` against central differences of
//! the user's function, over random axes, tiny ones near 0 and angles near pi; and
//! closed forms at `w = 0`.

use autograd::__private::rules::{
    MulRule, QuaternionFromAxisAngleRule, QuaternionFromScaledAxisRule, RotationFromScaledAxisRule,
    RotationInverseRule, RotationMatrixRule, ToRotationMatrixRule,
};
use autograd::nalgebra::{
    Matrix3, Quaternion, Rotation3, Unit, UnitQuaternion, Vector2, Vector3, Vector4,
};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, numeric_gradient, Flat};
use proptest::prelude::*;
use std::f64::consts::PI;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

/// A scaled axis: a random direction with a norm that is ordinary, tiny (down to
/// 1e-9) or within 1e-3 of pi.
fn scaled_axis() -> impl Strategy<Value = Vector3<f64>> {
    let direction = prop::array::uniform3(-1.0..1.0f64)
        .prop_filter("a direction", |d| Vector3::from(*d).norm() > 0.1)
        .prop_map(|d| Vector3::from(d).normalize());
    let norm = prop_oneof![0.0..3.0f64, -9.0..-4.0f64, (PI - 1e-3)..(PI + 1e-3)];
    (direction, norm).prop_map(|(d, n)| if n < 0.0 { d * 10f64.powf(n) } else { d * n })
}

fn v3() -> impl Strategy<Value = Vector3<f64>> {
    prop::array::uniform3(-2.0..2.0f64).prop_map(Vector3::from)
}

fn quat(c: Vector4<f64>) -> UnitQuaternion<f64> {
    Unit::new_unchecked(Quaternion::from(c))
}

fn q4() -> impl Strategy<Value = UnitQuaternion<f64>> {
    prop::array::uniform4(-1.5..1.5f64).prop_map(|c| quat(Vector4::from(c)))
}

fn rot(m: Matrix3<f64>) -> Rotation3<f64> {
    Rotation3::from_matrix_unchecked(m)
}

fn m3() -> impl Strategy<Value = Rotation3<f64>> {
    prop::array::uniform9(-1.5..1.5f64).prop_map(|c| rot(Matrix3::from_column_slice(&c)))
}

/// A rule of one operand: the pullback against the gradient of `<g, f>`, the
/// tangent against a directional difference of `f`, the second-order term
/// against a directional difference of the pullback.
#[allow(clippy::too_many_arguments)]
fn check_rule<X: Flat + Copy, Y: Flat + Copy>(
    what: &str,
    f: impl Fn(&X) -> Y,
    pullback: impl Fn(&X) -> X,
    x: X,
    g: Y,
    dx: X,
    tangent: Y,
    second: Option<X>,
) {
    check_vjp(what, &f, &x, &g, &pullback(&x), TOL);
    let fd = directional_derivative(&f, &x, &dx);
    assert_close(&tangent.flat(), &fd, TOL, &format!("{what} tangent"));
    if let Some(second) = second {
        let fd = directional_derivative(&pullback, &x, &dx);
        assert_close(&second.flat(), &fd, TOL, &format!("{what} second"));
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn exponential_maps_against_central_differences(w in scaled_axis(), dw in v3(), g in q4(), gr in m3()) {
        let q = UnitQuaternion::from_scaled_axis(w);
        check_rule("quaternion exp", |w: &Vector3<f64>| UnitQuaternion::from_scaled_axis(*w),
                   |w| QuaternionFromScaledAxisRule::pullback(w, &q, &g), w, g, dw,
                   QuaternionFromScaledAxisRule::tangent(&w, &q, &dw),
                   Some(QuaternionFromScaledAxisRule::second(&w, &q, &dw, &g)));
        let r = Rotation3::from_scaled_axis(w);
        check_rule("rotation exp", |w: &Vector3<f64>| Rotation3::from_scaled_axis(*w),
                   |w| RotationFromScaledAxisRule::pullback(w, &r, &gr), w, gr, dw,
                   RotationFromScaledAxisRule::tangent(&w, &r, &dw),
                   Some(RotationFromScaledAxisRule::second(&w, &r, &dw, &gr)));
        // The rule's value is nalgebra's, and the quaternion is on the sphere.
        prop_assert_eq!(QuaternionFromScaledAxisRule::value(&w), q);
        prop_assert!((q.as_ref().norm() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn axis_angle_against_central_differences(
        axis in v3().prop_filter("an axis", |a| a.norm() > 0.1), angle in -7.0..7.0f64,
        da in v3(), db in -1.0..1.0f64, g in q4(),
    ) {
        let axis = Unit::new_normalize(axis);
        let da = Unit::new_unchecked(da);
        let q = UnitQuaternion::from_axis_angle(&axis, angle);
        let f = |p: &(Unit<Vector3<f64>>, f64)| UnitQuaternion::from_axis_angle(&p.0, p.1);
        let pb = |p: &(Unit<Vector3<f64>>, f64)| QuaternionFromAxisAngleRule::pullback(&p.0, &p.1, &q, &g);
        check_rule("axis angle", f, pb, (axis, angle), g, (da, db),
                   QuaternionFromAxisAngleRule::tangent(&axis, &angle, &q, &da, &db),
                   Some(QuaternionFromAxisAngleRule::second(&axis, &angle, &q, &da, &db, &g)));
    }

    #[test]
    fn products_against_central_differences(
        q in q4(), r in q4(), v in v3(), dq in q4(), dr in q4(), dv in v3(), g in v3(), gq in q4(),
        m in m3(), n in m3(), dm in m3(), dn in m3(), gm in m3(),
    ) {
        // q * v, quadratic in q: its own second-order term.
        let out = q * v;
        let f = |p: &(UnitQuaternion<f64>, Vector3<f64>)| p.0 * p.1;
        let pb = |p: &(UnitQuaternion<f64>, Vector3<f64>)| MulRule::pullback(&p.0, &p.1, &(p.0 * p.1), &g);
        check_rule("q * v", f, pb, (q, v), g, (dq, dv), MulRule::tangent(&q, &v, &out, &dq, &dv),
                   Some(MulRule::second(&q, &v, &out, &dq, &dv, &g)));
        // q * r, bilinear.
        let out = q * r;
        let f = |p: &(UnitQuaternion<f64>, UnitQuaternion<f64>)| p.0 * p.1;
        let pb = |p: &(UnitQuaternion<f64>, UnitQuaternion<f64>)| MulRule::pullback(&p.0, &p.1, &(p.0 * p.1), &gq);
        check_rule("q * r", f, pb, (q, r), gq, (dq, dr), MulRule::tangent(&q, &r, &out, &dq, &dr),
                   Some(MulRule::second(&q, &r, &out, &dq, &dr, &gq)));
        // m * v and m * n.
        let out = m * v;
        let f = |p: &(Rotation3<f64>, Vector3<f64>)| p.0 * p.1;
        let pb = |p: &(Rotation3<f64>, Vector3<f64>)| MulRule::pullback(&p.0, &p.1, &(p.0 * p.1), &g);
        check_rule("m * v", f, pb, (m, v), g, (dm, dv), MulRule::tangent(&m, &v, &out, &dm, &dv),
                   Some(MulRule::second(&m, &v, &out, &dm, &dv, &g)));
        let out = m * n;
        let f = |p: &(Rotation3<f64>, Rotation3<f64>)| p.0 * p.1;
        let pb = |p: &(Rotation3<f64>, Rotation3<f64>)| MulRule::pullback(&p.0, &p.1, &(p.0 * p.1), &gm);
        check_rule("m * n", f, pb, (m, n), gm, (dm, dn), MulRule::tangent(&m, &n, &out, &dm, &dn),
                   Some(MulRule::second(&m, &n, &out, &dm, &dn, &gm)));
        // to_rotation_matrix: its pullback is linear in q, its own second term.
        let out = q.to_rotation_matrix();
        check_rule("to_rotation_matrix", |q: &UnitQuaternion<f64>| q.to_rotation_matrix(),
                   |q| ToRotationMatrixRule::pullback(q, &out, &gm), q, gm, dq, ToRotationMatrixRule::tangent(&q, &out, &dq),
                   Some(ToRotationMatrixRule::pullback(&dq, &out, &gm)));
        // matrix() and the inverses, linear.
        let gmm = *gm.matrix();
        check_rule("matrix", |m: &Rotation3<f64>| *m.matrix(), |m| RotationMatrixRule::pullback(m, m.matrix(), &gmm),
                   m, gmm, dm, RotationMatrixRule::tangent(&m, m.matrix(), &dm), None);
        check_rule("quaternion inverse", |q: &UnitQuaternion<f64>| quat(q.as_ref().conjugate().coords),
                   |q| RotationInverseRule::pullback(q, &q.inverse(), &gq), q, gq, dq,
                   RotationInverseRule::tangent(&q, &q.inverse(), &dq), None);
        check_rule("rotation inverse", |m: &Rotation3<f64>| m.inverse(),
                   |m| RotationInverseRule::pullback(m, &m.inverse(), &gm), m, gm, dm,
                   RotationInverseRule::tangent(&m, &m.inverse(), &dm), None);
    }
}

// ---------------------------------------------------------------------------
// Through the macro

/// A point seen by a camera rotated by `w` and moved by `t` (pinhole, focal `f`).
#[differentiable]
fn reproject(
    w: Vector3<f64>,
    t: Vector3<f64>,
    #[constant] p: Vector3<f64>,
    #[constant] f: f64,
) -> Vector2<f64> {
    let x = UnitQuaternion::from_scaled_axis(w) * p + t;
    Vector2::new(f * x[0] / x[2], f * x[1] / x[2])
}

#[differentiable]
fn rotate(w: Vector3<f64>, #[constant] p: Vector3<f64>) -> Vector3<f64> {
    let q = UnitQuaternion::from_scaled_axis(w);
    q * p
}

/// Every rule at once, a scalar: composition, inverse, both exponentials,
/// the rotation matrix and its entries, an axis-angle rotation.
#[differentiable]
fn everything(
    a: Vector3<f64>,
    b: Vector3<f64>,
    angle: f64,
    #[constant] axis: Unit<Vector3<f64>>,
    #[constant] p: Vector3<f64>,
) -> f64 {
    let q = UnitQuaternion::from_scaled_axis(a) * UnitQuaternion::new(b).inverse();
    let m = q.to_rotation_matrix();
    let n = Rotation3::from_scaled_axis(b) * m.inverse();
    let r = UnitQuaternion::from_axis_angle(&axis, angle);
    let y = r * (m * p);
    y.dot(&(n * p)) + m.matrix().trace() * n.matrix()[(0, 1)]
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_close(a, b, 1e-5, what);
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn reprojection_through_the_macro(w in scaled_axis(), t in v3(), u in prop::array::uniform2(-1.0..1.0f64), dw in v3(), dt in v3()) {
        let p = Vector3::new(0.3, -0.2, 1.0);
        let t = t * 0.1 + Vector3::new(0.0, 0.0, 4.0);
        let (value, pb) = reproject::vjp(w, t, p, 500.0);
        prop_assert_eq!(value, reproject(w, t, p, 500.0));
        let u = Vector2::from(u);
        let g = pb(u);
        let f = |x: &(Vector3<f64>, Vector3<f64>)| reproject(x.0, x.1, p, 500.0);
        check_vjp("reprojection", f, &(w, t), &u, &(g.w, g.t), 1e-5);
        let (_, tangent) = reproject::jvp(w, t, p, 500.0, &reproject::Grad { w: dw, t: dt });
        close(tangent.as_slice(), &directional_derivative(f, &(w, t), &(dw, dt)), "jvp");
    }

    #[test]
    fn everything_through_the_macro(a in scaled_axis(), b in scaled_axis(), angle in -4.0..4.0f64, da in v3(), db in v3(), dangle in -1.0..1.0f64) {
        let axis = Unit::new_normalize(Vector3::new(1.0, 2.0, -0.5));
        let p = Vector3::new(0.4, -1.1, 0.7);
        let (value, g) = everything::grad(a, b, angle, axis, p);
        prop_assert!((value - everything(a, b, angle, axis, p)).abs() < 1e-12);
        let f = |x: &(Vector3<f64>, Vector3<f64>, f64)| everything(x.0, x.1, x.2, axis, p);
        close(&(g.a, g.b, g.angle).flat(), &numeric_gradient(f, &(a, b, angle)), "grad");
        let d = everything::Grad { a: da, b: db, angle: dangle };
        let (_, t) = everything::jvp(a, b, angle, axis, p, &d);
        close(&[t], &directional_derivative(f, &(a, b, angle), &(da, db, dangle)), "jvp");
        let (_, _, h) = everything::hvp(a, b, angle, axis, p, &d);
        let grad = |x: &(Vector3<f64>, Vector3<f64>, f64)| {
            let g = everything::grad(x.0, x.1, x.2, axis, p).1;
            (g.a, g.b, g.angle)
        };
        close(&(h.a, h.b, h.angle).flat(), &directional_derivative(grad, &(a, b, angle), &(da, db, dangle)), "hvp");
    }
}

/// `d (R(w) p) / dw` at `w = 0` is `-[p]_x` (`R(w) p = p + w x p + O(|w|^2)`),
/// exactly: no `0 / 0` at the identity.
#[test]
fn jacobian_at_the_identity_is_minus_the_cross_matrix() {
    let p = Vector3::new(0.5, -2.0, 3.0);
    let j = rotate::jacobian(Vector3::zeros(), p);
    assert_eq!(j, -p.cross_matrix());
    // And the gradient of <a, R(w) p> at 0 is p x a, in both exponentials.
    let a = Vector3::new(1.0, 0.25, -0.75);
    let g = rotate::vjp(Vector3::zeros(), p).1(a).w;
    assert_eq!(g, p.cross(&a));
}

/// A rotation by pi about z, where the scaled axis' exponential has no
/// singularity: the Jacobian is finite and matches central differences.
#[test]
fn jacobian_at_pi() {
    let p = Vector3::new(0.5, -2.0, 3.0);
    let w = Vector3::new(0.0, 0.0, PI);
    let j = rotate::jacobian(w, p);
    for c in 0..3 {
        let e = Vector3::ith(c, 1.0);
        let fd = directional_derivative(|w: &Vector3<f64>| rotate(*w, p), &w, &e);
        close(j.column(c).as_slice(), &fd, "jacobian at pi");
    }
}
