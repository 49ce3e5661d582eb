//! nalgebra's points and rigid motions in the static language (`Point3::new`,
//! `Point3::from`, `p.coords`, `p.x`, `p - q`, `p + v`, `p - v`, `q * p`, `m * p`;
//! `Translation3::from`, `Isometry3::from_parts`, `Isometry3::new`, `iso * p`,
//! `iso * v`, `iso * iso`, `iso.inverse()`, `transform_point`, `transform_vector`,
//! `inverse_transform_point`, `inverse_transform_vector`, `iso.translation.vector`,
//! `iso.rotation`), checked two ways: each rule's
//! pullback, tangent and second-order term against central differences of its
//! value in coordinates (rotations off the unit sphere and off the rotation
//! matrices too: the rules differentiate nalgebra's formulas in coordinates), and
//! through `#[differentiable]`: `grad`, `vjp` with random cotangents, `jvp`,
//! `hvp` and `jacobian` against central differences of the user's function,
//! with `Point3`, `UnitQuaternion` and `Isometry3` parameters, and a robot arm
//! seen by a camera.

use autograd::__private::rules::{
    AddRule, InverseTransformPointRule, InverseTransformVectorRule, IsometryFromPartsRule,
    IsometryNewRule, MulRule, PointFromVectorRule, RotationInverseRule, SubRule,
    TransformPointRule, TransformVectorRule, TranslationFromVectorRule,
};
use autograd::nalgebra::RealField;
use autograd::nalgebra::{
    Isometry, Isometry3, IsometryMatrix3, Matrix3, Point3, Quaternion, Rotation3, Translation3,
    Unit, UnitQuaternion, Vector2, Vector3, Vector4,
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

fn p3() -> impl Strategy<Value = Point3<f64>> {
    v3().prop_map(Point3::from)
}

fn quat(c: Vector4<f64>) -> UnitQuaternion<f64> {
    Unit::new_unchecked(Quaternion::from(c))
}

/// Four coordinates, off the unit sphere: a quaternion's cotangent or tangent, or
/// a point of the space its rules are differentiated in.
fn q4() -> impl Strategy<Value = UnitQuaternion<f64>> {
    prop::array::uniform4(-1.5..1.5f64).prop_map(|c| quat(Vector4::from(c)))
}

/// Nine entries, not a rotation.
fn m3() -> impl Strategy<Value = Rotation3<f64>> {
    prop::array::uniform9(-1.5..1.5f64)
        .prop_map(|c| Rotation3::from_matrix_unchecked(Matrix3::from_column_slice(&c)))
}

fn iso() -> impl Strategy<Value = Isometry3<f64>> {
    (q4(), v3()).prop_map(|(q, t)| Isometry::from_parts(Translation3::from(t), q))
}

fn isom() -> impl Strategy<Value = IsometryMatrix3<f64>> {
    (m3(), v3()).prop_map(|(m, t)| Isometry::from_parts(Translation3::from(t), m))
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

/// A product `a * b` of `MulRule`, with its second-order term.
fn check_product<A, B>(what: &str, a: A, b: B, da: A, db: B, g: A::Output)
where
    A: MulRule<B> + Flat + Copy,
    B: Flat + Copy,
    A::Output: Flat + Copy,
{
    let out = a.value(&b);
    let f = |x: &(A, B)| x.0.value(&x.1);
    let pb = |x: &(A, B)| x.0.pullback(&x.1, &x.0.value(&x.1), &g);
    check_rule(
        what,
        f,
        pb,
        (a, b),
        g,
        (da, db),
        a.tangent(&b, &out, &da, &db),
        Some(a.second(&b, &out, &da, &db, &g)),
    );
}

/// The rules of an isometry whose rotation is `R`: `iso * p`, `iso * v`,
/// `iso * iso2`, `transform_point`, `transform_vector` and `inverse`.
fn check_isometry<R>(
    what: &str,
    [a, b, da, db, giso]: [Isometry<f64, R, 3>; 5],
    (p, dp, gp): (Point3<f64>, Point3<f64>, Point3<f64>),
    (v, dv, gv): (Vector3<f64>, Vector3<f64>, Vector3<f64>),
) where
    R: Flat + Copy,
    Isometry<f64, R, 3>: MulRule<Point3<f64>, Output = Point3<f64>>
        + MulRule<Vector3<f64>, Output = Vector3<f64>>
        + MulRule<Output = Isometry<f64, R, 3>>
        + TransformPointRule<Point3<f64>, Output = Point3<f64>>
        + TransformVectorRule<Vector3<f64>, Output = Vector3<f64>>
        + InverseTransformPointRule<Point3<f64>, Output = Point3<f64>>
        + InverseTransformVectorRule<Vector3<f64>, Output = Vector3<f64>>
        + RotationInverseRule
        + Flat
        + Copy,
{
    check_product(&format!("{what} * p"), a, p, da, dp, gp);
    check_product(&format!("{what} * v"), a, v, da, dv, gv);
    check_product(&format!("{what} * {what}"), a, b, da, db, giso);
    // transform_point and transform_vector are the products.
    let out = TransformPointRule::value(&a, &p);
    assert_eq!(out, MulRule::value(&a, &p));
    let f = |x: &(Isometry<f64, R, 3>, Point3<f64>)| TransformPointRule::value(&x.0, &x.1);
    let pb = |x: &(Isometry<f64, R, 3>, Point3<f64>)| {
        TransformPointRule::pullback(&x.0, &x.1, &f(x), &gp)
    };
    check_rule(
        &format!("{what}.transform_point"),
        f,
        pb,
        (a, p),
        gp,
        (da, dp),
        TransformPointRule::tangent(&a, &p, &out, &da, &dp),
        Some(TransformPointRule::second(&a, &p, &out, &da, &dp, &gp)),
    );
    let out = TransformVectorRule::value(&a, &v);
    let f = |x: &(Isometry<f64, R, 3>, Vector3<f64>)| TransformVectorRule::value(&x.0, &x.1);
    let pb = |x: &(Isometry<f64, R, 3>, Vector3<f64>)| {
        TransformVectorRule::pullback(&x.0, &x.1, &f(x), &gv)
    };
    check_rule(
        &format!("{what}.transform_vector"),
        f,
        pb,
        (a, v),
        gv,
        (da, dv),
        TransformVectorRule::tangent(&a, &v, &out, &da, &dv),
        Some(TransformVectorRule::second(&a, &v, &out, &da, &dv, &gv)),
    );
    check_inverse_transforms(what, a, da, (p, dp, gp), (v, dv, gv));
    // The inverse: quadratic in the rotation's coordinates through -(R^-1 t).
    let out = RotationInverseRule::value(&a);
    let f = |x: &Isometry<f64, R, 3>| RotationInverseRule::value(x);
    let pb = |x: &Isometry<f64, R, 3>| RotationInverseRule::pullback(x, &f(x), &giso);
    check_rule(
        &format!("{what}.inverse()"),
        f,
        pb,
        a,
        giso,
        da,
        RotationInverseRule::tangent(&a, &out, &da),
        Some(RotationInverseRule::second(&a, &out, &da, &giso)),
    );
}

/// `x.inverse_transform_point(&p)` and `x.inverse_transform_vector(&v)` of a
/// rotation or an isometry `x`.
fn check_inverse_transforms<X>(
    what: &str,
    x: X,
    dx: X,
    (p, dp, gp): (Point3<f64>, Point3<f64>, Point3<f64>),
    (v, dv, gv): (Vector3<f64>, Vector3<f64>, Vector3<f64>),
) where
    X: InverseTransformPointRule<Point3<f64>, Output = Point3<f64>>
        + InverseTransformVectorRule<Vector3<f64>, Output = Vector3<f64>>
        + Flat
        + Copy,
{
    let out = InverseTransformPointRule::value(&x, &p);
    let f = |x: &(X, Point3<f64>)| InverseTransformPointRule::value(&x.0, &x.1);
    let pb = |x: &(X, Point3<f64>)| InverseTransformPointRule::pullback(&x.0, &x.1, &f(x), &gp);
    check_rule(
        &format!("{what}.inverse_transform_point"),
        f,
        pb,
        (x, p),
        gp,
        (dx, dp),
        InverseTransformPointRule::tangent(&x, &p, &out, &dx, &dp),
        Some(InverseTransformPointRule::second(
            &x, &p, &out, &dx, &dp, &gp,
        )),
    );
    let out = InverseTransformVectorRule::value(&x, &v);
    let f = |x: &(X, Vector3<f64>)| InverseTransformVectorRule::value(&x.0, &x.1);
    let pb = |x: &(X, Vector3<f64>)| InverseTransformVectorRule::pullback(&x.0, &x.1, &f(x), &gv);
    check_rule(
        &format!("{what}.inverse_transform_vector"),
        f,
        pb,
        (x, v),
        gv,
        (dx, dv),
        InverseTransformVectorRule::tangent(&x, &v, &out, &dx, &dv),
        Some(InverseTransformVectorRule::second(
            &x, &v, &out, &dx, &dv, &gv,
        )),
    );
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn point_rules_against_central_differences(
        p in p3(), q in p3(), v in v3(), dp in p3(), dq in p3(), dv in v3(), gp in p3(), gv in v3(),
        r in q4(), dr in q4(), m in m3(), dm in m3(),
    ) {
        let out = PointFromVectorRule::value(&v);
        prop_assert_eq!(out, Point3::from(v));
        check_rule("Point3::from", |v: &Vector3<f64>| Point3::from(*v),
                   |v| PointFromVectorRule::pullback(v, &Point3::from(*v), &gp), v, gp, dv,
                   PointFromVectorRule::tangent(&v, &out, &dv), None);
        // p - q, p + v, p - v: linear.
        prop_assert_eq!(SubRule::value(&p, &q), p - q);
        let f = |x: &(Point3<f64>, Point3<f64>)| x.0 - x.1;
        check_rule("p - q", f, |x| SubRule::pullback(&x.0, &x.1, &f(x), &gv), (p, q), gv, (dp, dq),
                   SubRule::tangent(&p, &q, &(p - q), &dp, &dq), None);
        prop_assert_eq!(AddRule::value(&p, &v), p + v);
        let f = |x: &(Point3<f64>, Vector3<f64>)| x.0 + x.1;
        check_rule("p + v", f, |x| AddRule::pullback(&x.0, &x.1, &f(x), &gp), (p, v), gp, (dp, dv),
                   AddRule::tangent(&p, &v, &(p + v), &dp, &dv), None);
        prop_assert_eq!(SubRule::value(&p, &v), p - v);
        let f = |x: &(Point3<f64>, Vector3<f64>)| x.0 - x.1;
        check_rule("p - v", f, |x| SubRule::pullback(&x.0, &x.1, &f(x), &gp), (p, v), gp, (dp, dv),
                   SubRule::tangent(&p, &v, &(p - v), &dp, &dv), None);
        // The rotations of a point.
        prop_assert_eq!(MulRule::value(&r, &p), r * p);
        check_product("q * p", r, p, dr, dp, gp);
        prop_assert_eq!(MulRule::value(&m, &p), m * p);
        check_product("m * p", m, p, dm, dp, gp);
        prop_assert_eq!(InverseTransformPointRule::value(&r, &p), r.inverse_transform_point(&p));
        check_inverse_transforms("q", r, dr, (p, dp, gp), (v, dv, gv));
        check_inverse_transforms("m", m, dm, (p, dp, gp), (v, dv, gv));
    }

    #[test]
    fn isometry_rules_against_central_differences(
        a in iso(), b in iso(), da in iso(), db in iso(), giso in iso(),
        am in isom(), bm in isom(), dam in isom(), dbm in isom(), gisom in isom(),
        p in p3(), dp in p3(), gp in p3(), v in v3(), dv in v3(), gv in v3(),
    ) {
        // The values are nalgebra's.
        prop_assert_eq!(MulRule::value(&a, &p), a * p);
        prop_assert_eq!(MulRule::value(&a, &v), a * v);
        prop_assert_eq!(MulRule::value(&a, &b), a * b);
        prop_assert_eq!(RotationInverseRule::value(&a), a.inverse());
        prop_assert_eq!(MulRule::value(&am, &bm), am * bm);
        check_isometry("Isometry3", [a, b, da, db, giso], (p, dp, gp), (v, dv, gv));
        check_isometry("IsometryMatrix3", [am, bm, dam, dbm, gisom], (p, dp, gp), (v, dv, gv));
    }

    #[test]
    fn isometry_constructors_against_central_differences(
        t in v3(), w in scaled_axis(), dt in v3(), dw in v3(), g in iso(), gm in isom(),
        q in q4(), dq in q4(), m in m3(), dm in m3(),
    ) {
        // Isometry3::new(t, w): the exponential map, with its second-order term.
        let out = IsometryNewRule::value(&t, &w);
        prop_assert_eq!(out, Isometry3::new(t, w));
        let f = |x: &(Vector3<f64>, Vector3<f64>)| Isometry3::new(x.0, x.1);
        let pb = |x: &(Vector3<f64>, Vector3<f64>)| IsometryNewRule::pullback(&x.0, &x.1, &f(x), &g);
        check_rule("Isometry3::new", f, pb, (t, w), g, (dt, dw),
                   IsometryNewRule::tangent(&t, &w, &out, &dt, &dw),
                   Some(IsometryNewRule::second(&t, &w, &out, &dt, &dw, &g)));
        // Translation3::from and from_parts, linear.
        let tr = TranslationFromVectorRule::value(&t);
        prop_assert_eq!(tr, Translation3::from(t));
        check_rule("Translation3::from", |v: &Vector3<f64>| Translation3::from(*v),
                   |v| TranslationFromVectorRule::pullback(v, &Translation3::from(*v), &g.translation),
                   t, g.translation, dt, TranslationFromVectorRule::tangent(&t, &tr, &dt), None);
        let dtr = Translation3::from(dt);
        let out = IsometryFromPartsRule::value(&tr, &q);
        prop_assert_eq!(out, Isometry3::from_parts(tr, q));
        let f = |x: &(Translation3<f64>, UnitQuaternion<f64>)| Isometry3::from_parts(x.0, x.1);
        check_rule("Isometry3::from_parts", f, |x| IsometryFromPartsRule::pullback(&x.0, &x.1, &f(x), &g),
                   (tr, q), g, (dtr, dq), IsometryFromPartsRule::tangent(&tr, &q, &out, &dtr, &dq), None);
        let out = IsometryFromPartsRule::value(&tr, &m);
        let f = |x: &(Translation3<f64>, Rotation3<f64>)| IsometryMatrix3::from_parts(x.0, x.1);
        check_rule("IsometryMatrix3::from_parts", f, |x| IsometryFromPartsRule::pullback(&x.0, &x.1, &f(x), &gm),
                   (tr, m), gm, (dtr, dm), IsometryFromPartsRule::tangent(&tr, &m, &out, &dtr, &dm), None);
    }
}

// ---------------------------------------------------------------------------
// Through the macro

/// Every point rule at once, a scalar.
#[differentiable]
fn points(a: Vector3<f64>, b: Vector3<f64>, x: f64, y: f64, z: f64, w: Vector3<f64>) -> f64 {
    let p = Point3::new(x, y, z);
    let q = Point3::from(a);
    let d = p - q;
    let r = q + b;
    let s = r - b * 0.5;
    let pq = UnitQuaternion::from_scaled_axis(w) * p;
    let pm = Rotation3::from_scaled_axis(w) * s;
    let e = pq - pm;
    pq.coords.dot(&d) + pm.x * pm.y + e.norm_squared() + s[2] * p.z.sin()
}

/// Two points as differentiated parameters, a point as the output.
#[differentiable]
fn midpoint_rotated(p: Point3<f64>, q: &Point3<f64>, w: Vector3<f64>) -> Point3<f64> {
    let m = p + (q - p) * 0.5;
    UnitQuaternion::from_scaled_axis(w) * m
}

/// Every isometry rule at once, a point: construction both ways, composition,
/// inverse, points and vectors through both, the parts read back.
#[differentiable]
fn isometries(
    t1: Vector3<f64>,
    w1: Vector3<f64>,
    t2: Vector3<f64>,
    w2: Vector3<f64>,
    #[constant] p: Point3<f64>,
) -> Point3<f64> {
    let a = Isometry3::new(t1, w1);
    let b = Isometry3::from_parts(Translation3::from(t2), UnitQuaternion::from_scaled_axis(w2));
    let m = IsometryMatrix3::from_parts(Translation3::new(t2.x, 0.5, t1.z), Rotation3::new(w1));
    let c = a * b;
    let x = c * p;
    let y = c.inverse().transform_point(&(b * x));
    let v = a.transform_vector(&(y - x)) + (m * p).coords + m.inverse() * t2;
    let u = c.rotation * v + c.translation.vector;
    let back = c.inverse_transform_point(&x) + a.rotation.inverse_transform_vector(&u);
    x + u + (b.inverse() * a) * v + m.inverse_transform_vector(&back.coords)
}

/// A scalar of the isometry rules, for `hvp`.
#[differentiable]
fn isometry_energy(t: Vector3<f64>, w: Vector3<f64>, #[constant] p: &Point3<f64>) -> f64 {
    let a = Isometry3::new(t, w);
    let b = a * a;
    let x = b.inverse() * p;
    let y = a.transform_point(&x);
    let z = b.inverse_transform_point(&y) - a.inverse_transform_vector(&x.coords);
    (y - p).norm_squared()
        + z.coords.norm_squared()
        + (a * Vector3::new(1.0, 2.0, 3.0)).dot(&x.coords)
        + b.translation.vector.x
}

/// An `Isometry3` and a point as parameters: their gradients are an isometry
/// (the rotation's four coordinates, unconstrained, and the translation) and a
/// point.
#[differentiable]
fn move_point(iso: Isometry3<f64>, p: Point3<f64>) -> Point3<f64> {
    iso * p
}

#[differentiable]
fn move_energy(iso: &Isometry3<f64>, p: &Point3<f64>) -> f64 {
    let x = iso.inverse() * (iso * (iso * p));
    x.coords.norm_squared() + x.x * iso.translation.vector.y
}

/// A `UnitQuaternion` parameter: its gradient is its four coordinates'.
#[differentiable]
fn turn(
    q: UnitQuaternion<f64>,
    #[constant] m: &Rotation3<f64>,
    #[constant] p: &Point3<f64>,
) -> Point3<f64> {
    q.transform_point(p)
        + q.inverse().transform_vector(&p.coords)
        + m.transform_vector(&(q * p.coords))
}

/// Generic over the scalar: points and isometries in `f32` and `f64` alike.
#[differentiable]
fn misfit<T: RealField + Copy>(p: Point3<T>, q: &Point3<T>, t: Vector3<T>, w: Vector3<T>) -> T {
    let iso = Isometry3::new(t, w);
    (iso * p - q).norm_squared() + iso.inverse_transform_point(q).coords.sum()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_close(a, b, 1e-5, what);
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn points_through_the_macro(
        a in v3(), b in v3(), c in v3(), w in scaled_axis(),
        da in v3(), db in v3(), dc in v3(), dw in v3(),
    ) {
        let (x, y, z) = (c.x, c.y, c.z);
        let (value, g) = points::grad(a, b, x, y, z, w);
        prop_assert!((value - points(a, b, x, y, z, w)).abs() < 1e-12);
        let f = |v: &(Vector3<f64>, Vector3<f64>, Vector3<f64>, Vector3<f64>)| points(v.0, v.1, v.2.x, v.2.y, v.2.z, v.3);
        let args = (a, b, c, w);
        close(&(g.a, g.b, Vector3::new(g.x, g.y, g.z), g.w).flat(), &numeric_gradient(f, &args), "grad");
        let d = points::Grad { a: da, b: db, x: dc.x, y: dc.y, z: dc.z, w: dw };
        let dir = (da, db, dc, dw);
        let (_, t) = points::jvp(a, b, x, y, z, w, &d);
        close(&[t], &directional_derivative(f, &args, &dir), "jvp");
        let (_, _, h) = points::hvp(a, b, x, y, z, w, &d);
        let grad = |v: &(Vector3<f64>, Vector3<f64>, Vector3<f64>, Vector3<f64>)| {
            let g = points::grad(v.0, v.1, v.2.x, v.2.y, v.2.z, v.3).1;
            (g.a, g.b, Vector3::new(g.x, g.y, g.z), g.w)
        };
        close(&(h.a, h.b, Vector3::new(h.x, h.y, h.z), h.w).flat(), &directional_derivative(grad, &args, &dir), "hvp");
    }

    #[test]
    fn point_parameters_through_the_macro(p in p3(), q in p3(), w in scaled_axis(), u in p3(), dp in p3(), dq in p3(), dw in v3()) {
        let (value, pb) = midpoint_rotated::vjp(p, &q, w);
        prop_assert_eq!(value, midpoint_rotated(p, &q, w));
        let g = pb(u);
        let f = |x: &(Point3<f64>, Point3<f64>, Vector3<f64>)| midpoint_rotated(x.0, &x.1, x.2);
        check_vjp("midpoint vjp", f, &(p, q, w), &u, &(g.p, g.q, g.w), 1e-5);
        let d = midpoint_rotated::Grad { p: dp, q: dq, w: dw };
        let (_, t) = midpoint_rotated::jvp(p, &q, w, &d);
        close(&t.flat(), &directional_derivative(f, &(p, q, w), &(dp, dq, dw)), "midpoint jvp");
        // 3 x 9: a point's output and parameters are their coordinates.
        let j = midpoint_rotated::jacobian(p, &q, w);
        for k in 0..9 {
            let mut e = [0.0; 9];
            e[k] = 1.0;
            let dir = (p, q, w).unflatten(&mut &e[..]);
            close(j.column(k).as_slice(), &directional_derivative(f, &(p, q, w), &dir), "midpoint jacobian");
        }
    }

    #[test]
    fn quaternion_parameters_through_the_macro(q in q4(), m in m3(), p in p3()) {
        let f = |q: &UnitQuaternion<f64>| turn(*q, &m, &p);
        let j = turn::jacobian(q, &m, &p);
        prop_assert_eq!(j.shape(), (3, 4));
        for k in 0..4 {
            let dir = quat(Vector4::ith(k, 1.0));
            close(j.column(k).as_slice(), &directional_derivative(f, &q, &dir), "turn jacobian");
        }
    }

    #[test]
    fn isometries_through_the_macro(
        t1 in v3(), w1 in scaled_axis(), t2 in v3(), w2 in scaled_axis(), u in p3(),
        dt1 in v3(), dw1 in v3(), dt2 in v3(), dw2 in v3(),
    ) {
        let p = Point3::new(0.3, -1.2, 0.8);
        let (value, pb) = isometries::vjp(t1, w1, t2, w2, p);
        prop_assert_eq!(value, isometries(t1, w1, t2, w2, p));
        let g = pb(u);
        let f = |x: &(Vector3<f64>, Vector3<f64>, Vector3<f64>, Vector3<f64>)| isometries(x.0, x.1, x.2, x.3, p);
        let args = (t1, w1, t2, w2);
        check_vjp("isometries vjp", f, &args, &u, &(g.t1, g.w1, g.t2, g.w2), 1e-5);
        let dir = (dt1, dw1, dt2, dw2);
        let d = isometries::Grad { t1: dt1, w1: dw1, t2: dt2, w2: dw2 };
        let (_, t) = isometries::jvp(t1, w1, t2, w2, p, &d);
        close(&t.flat(), &directional_derivative(f, &args, &dir), "isometries jvp");
    }

    #[test]
    fn isometry_hvp_through_the_macro(t in v3(), w in scaled_axis(), dt in v3(), dw in v3()) {
        let p = Point3::new(0.3, -1.2, 0.8);
        let (value, g) = isometry_energy::grad(t, w, &p);
        prop_assert!((value - isometry_energy(t, w, &p)).abs() < 1e-12);
        let f = |x: &(Vector3<f64>, Vector3<f64>)| isometry_energy(x.0, x.1, &p);
        close(&(g.t, g.w).flat(), &numeric_gradient(f, &(t, w)), "grad");
        let d = isometry_energy::Grad { t: dt, w: dw };
        let (_, tan) = isometry_energy::jvp(t, w, &p, &d);
        close(&[tan], &directional_derivative(f, &(t, w), &(dt, dw)), "jvp");
        let (_, _, h) = isometry_energy::hvp(t, w, &p, &d);
        let grad = |x: &(Vector3<f64>, Vector3<f64>)| {
            let g = isometry_energy::grad(x.0, x.1, &p).1;
            (g.t, g.w)
        };
        close(&(h.t, h.w).flat(), &directional_derivative(grad, &(t, w), &(dt, dw)), "hvp");
        // The Hessian is symmetric, one hvp per column.
        let hm = isometry_energy::hessian(t, w, &p);
        prop_assert!((hm - hm.transpose()).norm() < 1e-6 * (1.0 + hm.norm()));
    }

    #[test]
    fn isometry_parameters_through_the_macro(
        a in iso(), p in p3(), u in p3(), da in iso(), dp in p3(),
    ) {
        // The isometry's rotation is off the unit sphere: the rules, and nalgebra's
        // formulas, are functions of its coordinates.
        let (value, pb) = move_point::vjp(a, p);
        prop_assert_eq!(value, a * p);
        let g = pb(u);
        let f = |x: &(Isometry3<f64>, Point3<f64>)| move_point(x.0, x.1);
        check_vjp("move_point vjp", f, &(a, p), &u, &(g.iso, g.p), 1e-5);
        let (_, t) = move_point::jvp(a, p, &move_point::Grad { iso: da, p: dp });
        close(&t.flat(), &directional_derivative(f, &(a, p), &(da, dp)), "move_point jvp");
        // 3 x (4 + 3 + 3), in the order of `Params::entries`: the quaternion's
        // [i, j, k, w], the translation, the point.
        let j = move_point::jacobian(a, p);
        prop_assert_eq!(j.shape(), (3, 10));
        for k in 0..10 {
            let mut e = [0.0; 10];
            e[k] = 1.0;
            let dir = (a, p).unflatten(&mut &e[..]);
            close(j.column(k).as_slice(), &directional_derivative(f, &(a, p), &dir), "move_point jacobian");
        }
        // A scalar of an isometry parameter, to second order.
        let f = |x: &(Isometry3<f64>, Point3<f64>)| move_energy(&x.0, &x.1);
        let (_, g) = move_energy::grad(&a, &p);
        close(&(g.iso, g.p).flat(), &numeric_gradient(f, &(a, p)), "move_energy grad");
        let d = move_energy::Grad { iso: da, p: dp };
        let (_, _, h) = move_energy::hvp(&a, &p, &d);
        let grad = |x: &(Isometry3<f64>, Point3<f64>)| {
            let g = move_energy::grad(&x.0, &x.1).1;
            (g.iso, g.p)
        };
        close(&(h.iso, h.p).flat(), &directional_derivative(grad, &(a, p), &(da, dp)), "move_energy hvp");
    }
}

// ---------------------------------------------------------------------------
// A robot arm seen by a camera

/// The pixel at which a pinhole camera (focal `f`, pose `Isometry3::new(cam_t,
/// cam_w)` from camera to world) sees the tool point `tool` of a three-joint arm:
/// joint `i` turns by `theta[i]` about `axes[i]`, then link `i` carries the next
/// joint. The forward kinematics is a chain of `Isometry3` products in a loop.
#[differentiable]
fn arm_pixel(
    theta: [f64; 3],
    cam_t: Vector3<f64>,
    cam_w: Vector3<f64>,
    #[constant] axes: &[Unit<Vector3<f64>>; 3],
    #[constant] links: &[Isometry3<f64>; 3],
    #[constant] tool: &Point3<f64>,
    #[constant] f: f64,
) -> Vector2<f64> {
    let mut pose = Isometry3::identity();
    for i in 0..3 {
        let joint = UnitQuaternion::from_axis_angle(&axes[i], theta[i]);
        pose = pose * Isometry3::from_parts(Translation3::identity(), joint) * links[i];
    }
    let tip = pose.transform_point(tool);
    let world_to_camera = Isometry3::new(cam_t, cam_w).inverse();
    let x = world_to_camera * tip;
    Vector2::new(f * x.x / x.z, f * x.y / x.z)
}

/// The joints' axes, the links and the tool point of the arm.
type Arm = ([Unit<Vector3<f64>>; 3], [Isometry3<f64>; 3], Point3<f64>);

fn arm() -> Arm {
    let axes = [Vector3::z_axis(), Vector3::y_axis(), Vector3::y_axis()];
    let links = [
        Isometry3::translation(0.0, 0.0, 0.4),
        Isometry3::new(Vector3::new(0.5, 0.0, 0.0), Vector3::new(0.0, 0.0, 0.1)),
        Isometry3::translation(0.35, 0.0, 0.0),
    ];
    (axes, links, Point3::new(0.05, 0.0, 0.02))
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn arm_jacobian_against_central_differences(
        theta in prop::array::uniform3(-1.5..1.5f64), cam_t in v3(), cam_w in v3(),
        u in prop::array::uniform2(-1.0..1.0f64),
    ) {
        let (axes, links, tool) = arm();
        // A camera 3 m behind the arm along -x, looking along +x (its z axis),
        // moved and turned a little.
        let cam_t = Vector3::new(-3.0, 0.0, 0.5) + cam_t * 0.1;
        let look = Vector3::new(0.0, PI / 2.0, 0.0);
        let cam_w = (UnitQuaternion::new(cam_w * 0.1) * UnitQuaternion::new(look)).scaled_axis();
        let args = (theta, cam_t, cam_w);
        let f = |x: &([f64; 3], Vector3<f64>, Vector3<f64>)| arm_pixel(x.0, x.1, x.2, &axes, &links, &tool, 800.0);
        let value = arm_pixel(theta, cam_t, cam_w, &axes, &links, &tool, 800.0);
        prop_assert!(value.iter().all(|c| c.is_finite()));
        // 2 x 9: the three joint angles, the camera's translation and scaled axis.
        let j = arm_pixel::jacobian(theta, cam_t, cam_w, &axes, &links, &tool, 800.0);
        for k in 0..9 {
            let mut e = [0.0; 9];
            e[k] = 1.0;
            let dir = args.unflatten(&mut &e[..]);
            close(j.column(k).as_slice(), &directional_derivative(f, &args, &dir), "arm jacobian");
        }
        // A row of it is the pullback of a cotangent.
        let u = Vector2::from(u);
        let g = arm_pixel::vjp(theta, cam_t, cam_w, &axes, &links, &tool, 800.0).1(u);
        check_vjp("arm vjp", f, &args, &u, &(g.theta, g.cam_t, g.cam_w), 1e-5);
        close(&(g.theta, g.cam_t, g.cam_w).flat(), (j.transpose() * u).as_slice(), "arm vjp = J^T u");
    }
}

/// At zero joint angles the arm is straight: turning the base joint about z moves
/// the tip along `z x tip` (the first column of the forward kinematics' Jacobian
/// is the cross product of the joint's axis with the tip).
#[differentiable]
fn arm_tip(
    theta: [f64; 3],
    #[constant] axes: &[Unit<Vector3<f64>>; 3],
    #[constant] links: &[Isometry3<f64>; 3],
    #[constant] tool: &Point3<f64>,
) -> Point3<f64> {
    let mut pose = Isometry3::identity();
    for i in 0..3 {
        let joint = UnitQuaternion::from_axis_angle(&axes[i], theta[i]);
        pose = pose * Isometry3::from_parts(Translation3::identity(), joint) * links[i];
    }
    pose * tool
}

#[test]
fn generic_in_f32_and_f64() {
    let (p, q) = (Point3::new(0.5, -1.0, 2.0), Point3::new(1.0, 0.25, -0.5));
    let (t, w) = (Vector3::new(0.1, 0.2, -0.3), Vector3::new(0.4, -0.2, 0.9));
    let (_, g) = misfit::grad(p, &q, t, w);
    let f =
        |x: &(Point3<f64>, Point3<f64>, Vector3<f64>, Vector3<f64>)| misfit(x.0, &x.1, x.2, x.3);
    close(
        &(g.p, g.q, g.t, g.w).flat(),
        &numeric_gradient(f, &(p, q, t, w)),
        "misfit grad",
    );
    let cast = |v: Vector3<f64>| v.cast::<f32>();
    let (_, g32) = misfit::grad(
        Point3::from(cast(p.coords)),
        &Point3::from(cast(q.coords)),
        cast(t),
        cast(w),
    );
    let g64: Vec<f64> = [g32.p.coords, g32.q.coords, g32.t, g32.w]
        .iter()
        .flat_map(|v| v.iter().map(|&x| f64::from(x)))
        .collect();
    assert_close(&g64, &(g.p, g.q, g.t, g.w).flat(), 1e-4, "f32 against f64");
}

#[test]
fn base_joint_moves_the_tip_about_its_axis() {
    let (axes, links, tool) = arm();
    let tip = arm_tip([0.0; 3], &axes, &links, &tool);
    let j = arm_tip::jacobian([0.0; 3], &axes, &links, &tool);
    let expected = Vector3::z().cross(&tip.coords);
    close(j.column(0).as_slice(), expected.as_slice(), "base column");
    // Joint 1 turns about y at height 0.4: the tip moves along y x (tip - joint).
    let expected = Vector3::y().cross(&(tip.coords - Vector3::new(0.0, 0.0, 0.4)));
    close(
        j.column(1).as_slice(),
        expected.as_slice(),
        "shoulder column",
    );
}
