//! The linear-algebra methods of the static language (`cross`, `normalize`,
//! `trace`, `determinant`, `try_inverse().unwrap()`, `lu().solve(..).unwrap()`,
//! `cholesky().unwrap().solve(..)`, `add_scalar`, the views), checked two ways:
//! each rule's pullback and tangent against central differences of its value,
//! and through `#[differentiable]`: `grad`, `vjp`, `jvp` against central
//! differences of the user's function, `hessian` against differences of `grad`,
//! and closed forms.

use autograd::__private::rules::{CholeskySolveRule, DeterminantRule, InverseRule, LuSolveRule};
use autograd::nalgebra::{Matrix3, SMatrix, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, inner, numeric_gradient};
use proptest::prelude::*;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(32)
}

fn m3(v: &[f64]) -> Matrix3<f64> {
    Matrix3::from_column_slice(&v[..9])
}

/// Well-conditioned: random entries in (-1, 1) plus 3 I.
fn conditioned(v: &[f64]) -> Matrix3<f64> {
    m3(v) + Matrix3::identity() * 3.0
}

/// A pullback against the gradient of `<g, f>` and a tangent against a
/// directional difference of `f`.
fn rule_check<Y: autograd::testing::Flat + Copy>(
    what: &str,
    f: impl Fn(&Matrix3<f64>) -> Y,
    a: Matrix3<f64>,
    g: Y,
    pullback: Matrix3<f64>,
    da: Matrix3<f64>,
    tangent: Y,
) {
    check_vjp(what, &f, &a, &g, &pullback, TOL);
    let fd = directional_derivative(&f, &a, &da);
    assert_close(&autograd::testing::Flat::flat(&tangent), &fd, TOL, what);
}

// ---------------------------------------------------------------------------
// Through the macro

#[differentiable]
fn geometry(a: &Vector3<f64>, b: &Vector3<f64>) -> Vector3<f64> {
    a.cross(b).normalize() + b.normalize() * a.norm()
}

#[differentiable]
fn spectral(m: &Matrix3<f64>, s: f64) -> f64 {
    let shifted = m.add_scalar(s);
    shifted.trace() * m.determinant() + m.try_inverse().unwrap().sum()
}

#[differentiable]
fn solves(m: &Matrix3<f64>, b: &Vector3<f64>) -> Vector3<f64> {
    let spd = m * m.transpose() + Matrix3::identity() * 3.0;
    let x = m.lu().solve(b).unwrap();
    let y = spd.cholesky().unwrap().solve(&x);
    y + x * 0.5
}

#[differentiable]
fn views(m: &Matrix3<f64>) -> SMatrix<f64, 2, 2> {
    let r = m.row(1);
    let c = m.column(2);
    let k = m.fixed_rows::<2>(1);
    let w = m.fixed_columns::<2>(0);
    let v = m.fixed_view::<2, 2>(1, 0);
    v * (r * c)[0] + k * w + k.fixed_columns::<2>(1)
}

#[differentiable]
fn scalar_of_all(m: &Matrix3<f64>, b: &Vector3<f64>) -> f64 {
    let c0 = m.column(0) * 1.0;
    let g = geometry(b, &c0);
    let v = views(m);
    spectral(m, 0.25) + solves(m, b).dot(&g) + v.determinant()
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn rules_against_central_differences(v in prop::collection::vec(-1.0..1.0f64, 27)) {
        let a = conditioned(&v);
        let da = m3(&v[9..]);
        let gm = m3(&v[18..]);
        let b = Vector3::new(v[0], v[4], v[8]) + Vector3::new(1.0, -1.0, 0.5);
        let db = Vector3::new(v[10], v[12], v[14]);
        let gv = Vector3::new(v[20], v[22], v[24]);
        // determinant
        let d = a.determinant();
        rule_check("det", |m| m.determinant(), a, 0.7, DeterminantRule::pullback(&a, &d, &0.7),
                   da, DeterminantRule::tangent(&a, &d, &da));
        // inverse
        let y = a.try_inverse().unwrap();
        rule_check("inverse", |m| m.try_inverse().unwrap(), a, gm,
                   InverseRule::pullback(&a, &y, &gm), da, InverseRule::tangent(&a, &y, &da));
        // lu solve, in A and in b
        let x = LuSolveRule::value(&a, &b);
        let (ga, gb) = LuSolveRule::pullback(&a, &b, &x, &gv);
        rule_check("lu A", |m| m.lu().solve(&b).unwrap(), a, gv, ga, da,
                   LuSolveRule::tangent(&a, &b, &x, &da, &Vector3::zeros()));
        check_vjp("lu b", |c: &Vector3<f64>| a.lu().solve(c).unwrap(), &b, &gv, &gb, TOL);
        let t = LuSolveRule::tangent(&a, &b, &x, &Matrix3::zeros(), &db);
        let fd = directional_derivative(|c: &Vector3<f64>| a.lu().solve(c).unwrap(), &b, &db);
        assert_close(t.as_slice(), &fd, TOL, "lu b tangent");
        // cholesky solve on symmetric directions
        let spd = a * a.transpose();
        let sda = da + da.transpose();
        let x = CholeskySolveRule::value(&spd, &b);
        let (ga, _) = CholeskySolveRule::pullback(&spd, &b, &x, &gv);
        prop_assert!((ga - ga.transpose()).norm() < 1e-12, "symmetric gradient");
        let t = CholeskySolveRule::tangent(&spd, &b, &x, &sda, &Vector3::zeros());
        let fd = directional_derivative(|s: &f64| (spd + sda * *s).cholesky().unwrap().solve(&b), &0.0, &1.0);
        assert_close(t.as_slice(), &fd, TOL, "cholesky tangent");
        assert_close(&[inner(&ga, &sda)], &[inner(&gv, &t)], TOL, "cholesky adjoint");
    }

    #[test]
    fn through_the_macro(v in prop::collection::vec(-1.0..1.0f64, 27)) {
        let m = conditioned(&v);
        let b = Vector3::new(v[0], v[4], v[8]) + Vector3::new(1.0, -1.0, 0.5);
        let u = Vector3::new(v[20], v[22], v[24]);
        let dm = m3(&v[9..]);
        let db = Vector3::new(v[10], v[12], v[14]);
        // grad of the scalar function
        let (val, g) = scalar_of_all::grad(&m, &b);
        prop_assert!((val - scalar_of_all(&m, &b)).abs() <= 1e-12 * (1.0 + val.abs()));
        let f = |p: &(Matrix3<f64>, Vector3<f64>)| scalar_of_all(&p.0, &p.1);
        let numeric = numeric_gradient(f, &(m, b));
        let mut ours = g.m.as_slice().to_vec();
        ours.extend_from_slice(g.b.as_slice());
        assert_close(&ours, &numeric, 1e-5, "grad");
        // jvp
        let (_, t) = scalar_of_all::jvp(&m, &b, &scalar_of_all::Grad { m: dm, b: db });
        let fd = directional_derivative(f, &(m, b), &(dm, db))[0];
        assert_close(&[t], &[fd], 1e-5, "jvp");
        // hvp against differences of grad
        let grad = |p: &(Matrix3<f64>, Vector3<f64>)| {
            let g = scalar_of_all::grad(&p.0, &p.1).1;
            (g.m, g.b)
        };
        let (_, _, h) = scalar_of_all::hvp(&m, &b, &scalar_of_all::Grad { m: dm, b: db });
        let fd = directional_derivative(grad, &(m, b), &(dm, db));
        let mut ours = h.m.as_slice().to_vec();
        ours.extend_from_slice(h.b.as_slice());
        assert_close(&ours, &fd, 1e-5, "hvp");
        // vjp of the vector outputs
        let pb = solves::vjp(&m, &b).1(u);
        check_vjp("solves", |p: &(Matrix3<f64>, Vector3<f64>)| solves(&p.0, &p.1), &(m, b), &u,
                  &(pb.m, pb.b), 1e-5);
        let pb = geometry::vjp(&b, &m.column(1).into_owned()).1(u);
        check_vjp("geometry", |p: &(Vector3<f64>, Vector3<f64>)| geometry(&p.0, &p.1),
                  &(b, m.column(1).into_owned()), &u, &(pb.a, pb.b), 1e-5);
        let gu = SMatrix::<f64, 2, 2>::new(u[0], u[1], u[2], v[3]);
        let pb = views::vjp(&m).1(gu);
        check_vjp("views", |p: &Matrix3<f64>| views(p), &m, &gu, &pb.m, 1e-5);
    }
}

#[test]
fn closed_forms() {
    let m = Matrix3::new(4.0, 1.0, 0.5, 0.2, 3.0, 0.1, 0.3, 0.4, 5.0);
    // d det / dA = det A^-T; d trace / dA = I.
    let det = m.determinant();
    let inv_t = m.try_inverse().unwrap().transpose();
    assert_close(
        DeterminantRule::pullback(&m, &det, &1.0).as_slice(),
        (inv_t * det).as_slice(),
        1e-12,
        "det",
    );
    #[differentiable]
    fn tr(m: &Matrix3<f64>) -> f64 {
        m.trace()
    }
    assert_eq!(tr::grad(&m).1.m, Matrix3::identity());
    // cross: d/da (a x b) . g = b x g.
    let (a, b, g) = (
        Vector3::new(1.0, 2.0, 3.0),
        Vector3::new(-1.0, 0.5, 2.0),
        Vector3::new(0.3, -0.2, 1.0),
    );
    #[differentiable]
    fn cr(a: &Vector3<f64>, b: &Vector3<f64>) -> Vector3<f64> {
        a.cross(b)
    }
    let pb = cr::vjp(&a, &b).1(g);
    assert_eq!((pb.a, pb.b), (b.cross(&g), g.cross(&a)));
    // det at a singular matrix (rank 2): the cofactor matrix, not NaN.
    let s = Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0);
    assert!(s.try_inverse().is_none());
    let gs = DeterminantRule::pullback(&s, &s.determinant(), &1.0);
    let numeric = numeric_gradient(|x: &Matrix3<f64>| x.determinant(), &s);
    assert_close(gs.as_slice(), &numeric, 1e-6, "det at singular");
    assert!(gs.norm() > 1.0);
    // normalize at zero: the value is NaN (nalgebra's), the gradient zero.
    #[differentiable]
    fn nz(a: &Vector3<f64>) -> f64 {
        a.normalize().sum()
    }
    let (v, g) = nz::grad(&Vector3::zeros());
    assert!(v.is_nan());
    assert_eq!(g.a, Vector3::zeros());
}

#[test]
#[should_panic(expected = "singular")]
fn inverse_of_a_singular_matrix_panics() {
    #[differentiable]
    fn inv(m: &Matrix3<f64>) -> f64 {
        m.try_inverse().unwrap().sum()
    }
    let _ = inv::grad(&Matrix3::zeros());
}
