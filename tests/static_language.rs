//! Every construct of the differentiable language, checked against central finite
//! differences of the user's own function.

use autograd::nalgebra::RealField;
use autograd::nalgebra::{Matrix2, SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, numeric_gradient, Flat};

fn check<X: Flat + Copy>(what: &str, f: impl Fn(&X) -> f64, x: X, analytic: &[f64]) {
    let numeric = numeric_gradient(f, &x);
    assert_close(analytic, &numeric, 1e-6, what);
}

fn flat<X: Flat>(x: X) -> Vec<f64> {
    x.flat()
}

#[differentiable]
#[allow(clippy::needless_return)] // a final `return` is part of the language under test
fn lets_and_shadowing(a: f64, b: f64) -> f64 {
    let t = a * b;
    let t = t + a.sin();
    let mut s = t * 2.0;
    s += b;
    s *= a;
    s -= 1.0;
    s /= 2.0;
    let (p, q) = (s, t);
    let r = {
        let inner = p * q;
        inner.sqrt()
    };
    return r + q.cos();
}

#[test]
fn lets_blocks_tuples_and_compound_assignment() {
    let (v, g) = lets_and_shadowing::grad(1.3, 0.7);
    assert_eq!(v, lets_and_shadowing(1.3, 0.7));
    check(
        "lets",
        |x: &(f64, f64)| lets_and_shadowing(x.0, x.1),
        (1.3, 0.7),
        &flat((g.a, g.b)),
    );
}

#[differentiable]
fn branches(x: f64, y: f64, #[constant] mode: u8) -> f64 {
    let mut acc = 0.0;
    if mode == 0 {
        acc += x * y;
    } else if mode == 1 {
        acc = y.exp();
    } else {
        acc -= x;
    }
    let z = if x > y { x - y } else { (y - x) * 3.0 };
    acc + z * z
}

#[test]
fn if_else_chains_with_assignments_in_branches() {
    for mode in 0..3 {
        for (x, y) in [(0.5, 1.5), (2.0, -1.0)] {
            let (v, g) = branches::grad(x, y, mode);
            assert_eq!(v, branches(x, y, mode));
            check(
                "branches",
                |p: &(f64, f64)| branches(p.0, p.1, mode),
                (x, y),
                &flat((g.x, g.y)),
            );
        }
    }
}

#[differentiable]
fn unrolled_rnn(w: &Matrix2<f64>, u: &Vector2<f64>, h0: &Vector2<f64>) -> f64 {
    let mut h = *h0;
    for i in 0..5 {
        let k = i as f64;
        h = (w * h + u * k).map(|v| v.tanh());
    }
    h.norm_squared()
}

#[test]
fn for_loops_carry_values() {
    let w = Matrix2::new(0.5, -0.3, 0.2, 0.8);
    let u = Vector2::new(0.1, -0.2);
    let h0 = Vector2::new(0.3, 0.4);
    let (v, g) = unrolled_rnn::grad(&w, &u, &h0);
    assert_eq!(v, unrolled_rnn(&w, &u, &h0));
    check(
        "rnn",
        |x: &(Matrix2<f64>, Vector2<f64>, Vector2<f64>)| unrolled_rnn(&x.0, &x.1, &x.2),
        (w, u, h0),
        &flat((g.w, g.u, g.h0)),
    );
}

#[differentiable]
fn sum_of_entries<const N: usize>(x: &SVector<f64, N>, s: f64) -> f64 {
    let mut acc = 0.0;
    for i in 0..N {
        acc += x[i] * s;
    }
    acc
}

#[test]
fn const_generic_loop_bound_and_index() {
    let x = SVector::<f64, 4>::new(1.0, 2.0, 3.0, 4.0);
    let (v, g) = sum_of_entries::grad(&x, 0.5);
    assert_eq!(v, 5.0);
    assert_eq!(g.x, SVector::<f64, 4>::repeat(0.5));
    assert_eq!(g.s, 10.0);
}

#[differentiable]
fn generic_poly<T: RealField + Copy>(x: T, y: T) -> T {
    x * x * y + y.sin()
}

#[test]
fn generic_functions_keep_their_generics() {
    let (v, g) = generic_poly::grad(2.0_f64, 3.0_f64);
    assert_eq!(v, 12.0 + 3.0_f64.sin());
    assert_eq!(g.x, 12.0);
    assert!((g.y - (4.0 + 3.0_f64.cos())).abs() < 1e-15);
    let (v32, g32) = generic_poly::grad(2.0_f32, 3.0_f32);
    assert!((v32 - 12.14112).abs() < 1e-4 && g32.x == 12.0);
}

#[differentiable]
fn scaled_map(m: &SMatrix<f64, 2, 3>, s: f64) -> f64 {
    let shifted = m.map(|v| (v * s).exp() + s);
    shifted.sum()
}

#[test]
fn map_differentiates_entries_and_captures() {
    let m = SMatrix::<f64, 2, 3>::new(0.1, -0.2, 0.3, 0.4, -0.5, 0.6);
    let (_, g) = scaled_map::grad(&m, 0.7);
    check(
        "map",
        |x: &(SMatrix<f64, 2, 3>, f64)| scaled_map(&x.0, x.1),
        (m, 0.7),
        &flat((g.m, g.s)),
    );
}

#[differentiable]
fn calls_other(a: f64, b: f64) -> f64 {
    let n = lets_and_shadowing(a, b);
    let k = generic_poly::<f64>(n, b);
    self::branches(k, a, 0) * 0.5
}

#[test]
fn calls_compose_other_differentiable_functions() {
    let (v, g) = calls_other::grad(0.9, 0.4);
    assert_eq!(v, calls_other(0.9, 0.4));
    check(
        "calls",
        |x: &(f64, f64)| calls_other(x.0, x.1),
        (0.9, 0.4),
        &flat((g.a, g.b)),
    );
}

#[differentiable]
fn constructors_and_detach(a: f64, b: f64) -> f64 {
    let v = Vector3::new(a, b * 2.0, 1.0);
    let m = SMatrix::<f64, 2, 2>::new(a, b, a * b, 1.0);
    let f = Vector2::from_element(b);
    let r = Vector2::repeat(a);
    let stop = autograd::detach(a * 100.0);
    v.dot(&Vector3::new(1.0, 2.0, 3.0)) + (m * f).component_mul(&r).sum() + stop
}

#[test]
fn constructors_and_detach_work() {
    let (_, g) = constructors_and_detach::grad(0.3, -0.8);
    let g_no_detach = numeric_gradient(
        |x: &(f64, f64)| constructors_and_detach(x.0, x.1) - x.0 * 100.0,
        &(0.3, -0.8),
    );
    assert_close(&flat((g.a, g.b)), &g_no_detach, 1e-6, "constructors");
}

#[differentiable]
fn matrix_ops(a: &SMatrix<f64, 2, 3>, b: &SMatrix<f64, 3, 2>, c: SMatrix<f64, 2, 3>) -> f64 {
    let p = a * b;
    let q = a.transpose().component_div(&b.map(|v| v * v + 1.0));
    let r = (c - a * 2.0) / 3.0;
    let s = -r + c.abs();
    p.norm() + q.mean() + s.dot(&c) + p.max() - q.min()
        + r.relu().sum()
        + c.sigmoid().sum()
        + c.softplus().sum()
        + (a.component_mul(&c)).sin().sum()
        + c.cos().sum()
        + a.map(|v| v * v + 2.0).ln().sum()
        + a.map(|v| v * v + 1.0).sqrt().sum()
        + a.map(|v| v + 3.0).recip().sum()
}

#[test]
fn matrix_methods() {
    let a = SMatrix::<f64, 2, 3>::new(0.1, -0.7, 0.3, 0.45, -0.5, 0.65);
    let b = SMatrix::<f64, 3, 2>::new(1.1, -0.2, 0.35, 0.4, -0.55, 0.9);
    let c = SMatrix::<f64, 2, 3>::new(0.25, 0.15, -0.3, 0.8, -0.25, 0.6);
    let (v, g) = matrix_ops::grad(&a, &b, c);
    assert_eq!(v, matrix_ops(&a, &b, c));
    check(
        "matrix ops",
        |x: &(SMatrix<f64, 2, 3>, SMatrix<f64, 3, 2>, SMatrix<f64, 2, 3>)| {
            matrix_ops(&x.0, &x.1, x.2)
        },
        (a, b, c),
        &flat((g.a, g.b, g.c)),
    );
}

#[differentiable]
fn scalar_fns(x: f64, y: f64) -> f64 {
    x.tanh()
        + y.exp()
        + (x * x + 1.0).ln()
        + x.sin() * y.cos()
        + (y * y + 1.0).sqrt()
        + x.abs()
        + (y + 3.0).recip()
        + x.max(y)
        + x.min(y)
        + x.relu()
        + y.sigmoid()
        + x.softplus()
        + (x * x + 1.0).powf(y)
        + f64::tanh(y)
        + f64::max(x, 0.25)
}

#[test]
fn scalar_methods() {
    for (x, y) in [(0.3, -0.4), (-1.2, 0.9), (2.0, 0.1)] {
        let (_, g) = scalar_fns::grad(x, y);
        check(
            "scalar fns",
            |p: &(f64, f64)| scalar_fns(p.0, p.1),
            (x, y),
            &flat((g.x, g.y)),
        );
    }
}

#[differentiable]
fn tuple_output(a: f64, v: Vector2<f64>) -> (f64, Vector2<f64>) {
    (a * v.sum(), v * a)
}

#[test]
fn vjp_of_a_tuple_output() {
    let v = Vector2::new(1.0, 2.0);
    let (out, pb) = tuple_output::vjp(3.0, v);
    assert_eq!(out, (9.0, Vector2::new(3.0, 6.0)));
    let g = pb((1.0, Vector2::new(1.0, -1.0)));
    // d/da [a*sum(v) + (a v)·(1,-1)] = 3 + (1 - 2) = 2; d/dv = a(1,1) + a(1,-1) = (6, 0)
    assert_eq!(g.a, 2.0);
    assert_eq!(g.v, Vector2::new(6.0, 0.0));
}
