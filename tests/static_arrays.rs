//! Arrays in the static engine: `[T; N]` parameters (gradient field `[T; N]`),
//! array literals `[a, b]` and `[x; N]`, indexing with constant or loop indices,
//! and assignment into an entry or field of a local variable (`v[i] = x`,
//! `m[(i, j)] += x`, `s.0 = x`), for arrays, matrices and tuples. Every derivative
//! is checked against central differences.

// Index loops are what these tests are about.
#![allow(clippy::needless_range_loop)]

use autograd::nalgebra::{Matrix3, SVector, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{
    assert_close, check_vjp, directional_derivative, inner, numeric_gradient, Flat,
};
use proptest::prelude::*;

/// A weighted sum over an array parameter, read in a loop and by constant index.
#[differentiable]
fn weighted(x: [f64; 3], w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += x[i] * w;
    }
    s + x[0] * x[1]
}

/// Array literals, `[x; N]`, and entries assigned and updated in a loop.
#[differentiable]
fn literals(a: f64, b: f64) -> f64 {
    let v = [a, b, a * b];
    let mut u = [0.0; 3];
    for i in 0..3 {
        u[i] = v[i] * v[i];
        u[i] += a.sin();
    }
    let r = [b; 2];
    u[0] + u[1] * u[2] + r[0] * r[1]
}

/// The length of a polyline through an array of points: a gradient of type
/// `[Vector3<f64>; 4]`.
#[differentiable]
fn polyline_length(points: [Vector3<f64>; 4]) -> f64 {
    let mut total = 0.0;
    for i in 1..4 {
        total += (points[i] - points[i - 1]).norm();
    }
    total
}

/// Generic in the array's length.
#[differentiable]
fn softmax_entropy<const N: usize>(logits: &[f64; N]) -> f64 {
    let mut z = 0.0;
    for i in 0..N {
        z += logits[i].exp();
    }
    let mut h = 0.0;
    for i in 0..N {
        let p = logits[i].exp() / z;
        h -= p * p.ln();
    }
    h
}

/// An array output, built entry by entry.
#[differentiable]
fn prefix_products(x: [f64; 4]) -> [f64; 4] {
    let mut out = [1.0; 4];
    let mut acc = 1.0;
    for i in 0..4 {
        acc *= x[i];
        out[i] = acc;
    }
    out
}

/// A matrix built by assigning its entries: the rotation about z by `t`, applied to
/// `p`, plus a nested place (`pts[1][2]`) and a tuple field.
#[differentiable]
fn entries(t: f64, #[constant] p: &Vector3<f64>) -> f64 {
    let mut r = Matrix3::identity();
    r[(0, 0)] = t.cos();
    r[(0, 1)] = -t.sin();
    r[(1, 0)] = t.sin();
    r[(1, 1)] = t.cos();
    let q = r * p;
    let mut pts = [Vector3::zeros(); 2];
    pts[1][2] = t * t;
    pts[0] = q;
    let mut pair = (0.0, q[1]);
    pair.0 = q[0] * 2.0;
    pair.1 *= t;
    let mut v = Vector2::zeros();
    v[0] = pair.0;
    v[1] = pair.1;
    v.norm_squared() + pts[1].sum() + pts[0].dot(p)
}

fn weighted_ref(x: &[f64; 3], w: f64) -> f64 {
    (x[0] + x[1] + x[2]) * w + x[0] * x[1]
}

#[test]
fn an_array_parameter_has_an_array_gradient() {
    let x = [1.0, 2.0, 3.0];
    let (v, g) = weighted::grad(x, 2.0);
    assert_eq!(v, weighted_ref(&x, 2.0));
    // d/dx = (w + x1, w + x0, w), d/dw = sum x.
    assert_eq!(g.x, [4.0, 3.0, 2.0]);
    assert_eq!(g.w, 6.0);
    let (_, d) = weighted::jvp(
        x,
        2.0,
        &weighted::Grad {
            x: [1.0, 0.0, -1.0],
            w: 0.5,
        },
    );
    assert_eq!(d, 4.0 - 2.0 + 3.0);
    let h = weighted::hessian(x, 2.0);
    // Row of x0: d2/dx0dx1 = 1, d2/dx0dw = 1.
    assert_eq!((h[(0, 1)], h[(0, 3)], h[(3, 3)]), (1.0, 1.0, 0.0));
}

#[test]
fn literals_repeats_and_entry_assignments() {
    let (a, b) = (1.5, 0.7);
    let (v, g) = literals::grad(a, b);
    assert_eq!(v, literals(a, b));
    let numeric = numeric_gradient(|p: &(f64, f64)| literals(p.0, p.1), &(a, b));
    assert_close(&[g.a, g.b], &numeric, 1e-7, "literals");
    let t = literals::Grad { a: 0.3, b: -1.1 };
    let (_, d) = literals::jvp(a, b, &t);
    assert_close(&[d], &[inner(&(t.a, t.b), &(g.a, g.b))], 1e-12, "jvp");
    let (_, _, hv) = literals::hvp(a, b, &t);
    let numeric = directional_derivative(
        |p: &(f64, f64)| {
            let g = literals::grad(p.0, p.1).1;
            (g.a, g.b)
        },
        &(a, b),
        &(t.a, t.b),
    );
    assert_close(&[hv.a, hv.b], &numeric, 1e-6, "hvp");
}

#[test]
fn arrays_of_vectors() {
    let pts = [
        Vector3::new(0.0, 0.0, 0.0),
        Vector3::new(1.0, 0.0, 0.0),
        Vector3::new(1.0, 2.0, 0.0),
        Vector3::new(1.0, 2.0, 2.0),
    ];
    let (v, g) = polyline_length::grad(pts);
    assert_eq!(v, 5.0);
    // The first point moves the first segment's length by minus its direction.
    assert_eq!(g.points[0], Vector3::new(-1.0, 0.0, 0.0));
    assert_eq!(g.points[3], Vector3::new(0.0, 0.0, 1.0));
    let numeric = numeric_gradient(polyline_length_of, &pts);
    assert_close(&g.points.flat(), &numeric, 1e-7, "polyline");
}

fn polyline_length_of(p: &[Vector3<f64>; 4]) -> f64 {
    polyline_length(*p)
}

#[test]
fn an_array_output_and_its_pullback() {
    let x = [0.5, -2.0, 1.5, 3.0];
    let (v, pb) = prefix_products::vjp(x);
    assert_eq!(v, [0.5, -1.0, -1.5, -4.5]);
    let u = [1.0, -0.5, 2.0, 0.25];
    check_vjp(
        "prefix products",
        |x| prefix_products(*x),
        &x,
        &u,
        &pb(u).x,
        1e-7,
    );
}

#[test]
fn matrix_entries_tuple_fields_and_nested_places() {
    let p = Vector3::new(0.3, -1.2, 2.0);
    let t = 0.8;
    let (v, g) = entries::grad(t, &p);
    assert_eq!(v, entries(t, &p));
    let numeric = numeric_gradient(|t: &f64| entries(*t, &p), &t);
    assert_close(&[g.t], &numeric, 1e-7, "entries");
    let (_, _, hv) = entries::hvp(t, &p, &entries::Grad { t: 1.0 });
    let numeric = directional_derivative(|t: &f64| entries::grad(*t, &p).1.t, &t, &1.0);
    assert_close(&[hv.t], &numeric, 1e-6, "entries hvp");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn const_generic_arrays_match_central_differences(
        l in proptest::collection::vec(-2.0..2.0f64, 5),
    ) {
        let logits: [f64; 5] = l.try_into().unwrap();
        let (v, g) = softmax_entropy::grad(&logits);
        assert_eq!(v, softmax_entropy(&logits));
        let numeric = numeric_gradient(|x: &[f64; 5]| softmax_entropy(x), &logits);
        assert_close(&g.logits, &numeric, 1e-6, "entropy");
        // Linear in the array's direction: the jvp is <g, t>.
        let t: [f64; 5] = core::array::from_fn(|i| (i as f64 - 2.0) * 0.3);
        let (_, d) = softmax_entropy::jvp(&logits, &softmax_entropy::Grad { logits: t });
        assert_close(&[d], &[inner(&t, &g.logits)], 1e-10, "entropy jvp");
    }

    #[test]
    fn array_outputs_match_central_differences(
        x in proptest::collection::vec(-2.0..2.0f64, 4),
        u in proptest::collection::vec(-1.0..1.0f64, 4),
    ) {
        let x: [f64; 4] = x.try_into().unwrap();
        let u: [f64; 4] = u.try_into().unwrap();
        let (_, pb) = prefix_products::vjp(x);
        check_vjp("prefix products", |x| prefix_products(*x), &x, &u, &pb(u).x, 1e-6);
    }

    #[test]
    fn entry_assignments_match_central_differences(
        t in -3.0..3.0f64,
        p in proptest::collection::vec(-2.0..2.0f64, 3),
        w in proptest::collection::vec(-2.0..2.0f64, 3),
        s in -2.0..2.0f64,
    ) {
        let p = Vector3::from_column_slice(&p);
        let (_, g) = entries::grad(t, &p);
        let numeric = numeric_gradient(|t: &f64| entries(*t, &p), &t);
        assert_close(&[g.t], &numeric, 1e-6, "entries");
        let x: [f64; 3] = w.try_into().unwrap();
        let (_, g) = weighted::grad(x, s);
        let numeric = numeric_gradient(|q: &([f64; 3], f64)| weighted_ref(&q.0, q.1), &(x, s));
        let mut flat = g.x.to_vec();
        flat.push(g.w);
        assert_close(&flat, &numeric, 1e-7, "weighted");
        let (a, b) = (t, s);
        let (_, g) = literals::grad(a, b);
        let numeric = numeric_gradient(|q: &(f64, f64)| literals(q.0, q.1), &(a, b));
        assert_close(&[g.a, g.b], &numeric, 1e-6, "literals");
    }
}

/// An array in `SVector` clothing still works beside arrays: the two convert.
#[test]
fn arrays_and_vectors_together() {
    #[differentiable]
    fn mixed(a: [f64; 2], v: &SVector<f64, 2>) -> f64 {
        let w = Vector2::new(a[0], a[1]);
        w.dot(v) * a[1]
    }
    let (val, g) = mixed::grad([2.0, 3.0], &Vector2::new(1.0, -1.0));
    assert_eq!(val, -3.0);
    // d/da0 = v0 a1 = 3, d/da1 = v1 a1 + w.v = -3 - 1, d/dv = w a1.
    assert_eq!(g.a, [3.0, -4.0]);
    assert_eq!(g.v, Vector2::new(6.0, 9.0));
}
