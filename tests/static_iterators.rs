//! Iterators in the static engine: `for` over `v.iter()`, `&v`, `v`, with
//! `.copied()`, `.enumerate()` and `.zip(..)`, over arrays, static matrices and
//! slices; and the consumers `sum::<T>()`, `product::<T>()` and `fold`, after an
//! optional `map`; the index adaptors `rev`, `skip`, `take` and `step_by`. Every
//! derivative is checked against central differences.

use autograd::nalgebra::{SVector, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, inner, numeric_gradient};
use proptest::prelude::*;

/// A dot product three ways: a zip loop, a `map(..).sum()` and a `fold`.
#[differentiable]
fn dots(a: [f64; 3], b: &SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b.iter()) {
        s += x * y;
    }
    let t = a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>();
    let u = a.iter().fold(0.0, |acc, x| acc + x * x);
    s * t + u
}

/// `enumerate`, `copied`, by-value arrays and `product`.
#[differentiable]
fn weighted(x: [f64; 4], w: f64) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().copied().enumerate() {
        s += v * w.powi(i as i32);
    }
    let p: f64 = x.iter().map(|v| 1.0 + 0.1 * v).product();
    let mut q = 0.0;
    for v in x {
        q += v.sin();
    }
    for &v in &x {
        q += v * 0.5;
    }
    s + p + q
}

/// Over the entries of a matrix, and over a vector of points.
#[differentiable]
fn spread(points: [Vector3<f64>; 3], m: &SVector<f64, 3>) -> f64 {
    let mut c = Vector3::zeros();
    for p in points.iter() {
        c += p;
    }
    c /= 3.0;
    let s = points.iter().map(|p| (p - c).norm_squared()).sum::<f64>();
    let e: f64 = m.iter().map(|x| x.exp()).sum();
    s * e
}

/// A slice of constant data and a runtime-length loop (on the heap).
#[differentiable]
fn fit(w: f64, b: f64, #[constant] xs: &[f64], #[constant] ys: &[f64]) -> f64 {
    let mut loss = 0.0;
    for (x, y) in xs.iter().zip(ys.iter()) {
        let r = w * x + b - y;
        loss += r * r;
    }
    loss / xs.len() as f64
}

/// A tail `sum()` takes the function's output type, as rustc does.
#[differentiable]
fn squares(v: [f64; 3]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// A discounted return read backwards, a smoothed tail and every other entry:
/// `rev`, `enumerate` after and before it, `skip`, `take`, `step_by`, and a
/// runtime count.
#[differentiable]
fn adaptors(x: [f64; 6], gamma: f64, #[constant] n: usize) -> f64 {
    let mut ret = 0.0;
    for v in x.iter().rev() {
        ret = v + gamma * ret;
    }
    let mut late = 0.0;
    for (i, v) in x.iter().enumerate().rev() {
        late += (i as f64) * v * late.cos();
    }
    let mut first = 0.0;
    for (k, v) in x.iter().rev().enumerate() {
        first += (k as f64 + 1.0) * v.sin();
    }
    let tail: f64 = x.iter().skip(2).map(|v| v * v).sum();
    let head = x.iter().take(n).fold(1.0, |acc, v| acc * (1.0 + 0.1 * v));
    let odd: f64 = x
        .iter()
        .zip(x.iter().skip(1))
        .step_by(2)
        .map(|(a, b)| a * b)
        .sum();
    ret + late + first + tail * head + odd * gamma
}

/// The same function with the standard library's iterators, not differentiated.
fn adaptors_ref(x: [f64; 6], gamma: f64, n: usize) -> f64 {
    let ret = x.iter().rev().fold(0.0, |r, v| v + gamma * r);
    let mut late = 0.0;
    for (i, v) in x.iter().enumerate().rev() {
        late += (i as f64) * v * f64::cos(late);
    }
    let first: f64 = x
        .iter()
        .rev()
        .enumerate()
        .map(|(k, v)| (k as f64 + 1.0) * v.sin())
        .sum();
    let tail: f64 = x.iter().skip(2).map(|v| v * v).sum();
    let head = x.iter().take(n).fold(1.0, |acc, v| acc * (1.0 + 0.1 * v));
    let odd: f64 = x
        .iter()
        .zip(x.iter().skip(1))
        .step_by(2)
        .map(|(a, b)| a * b)
        .sum();
    ret + late + first + tail * head + odd * gamma
}

#[test]
fn rev_skip_take_and_step_by_follow_the_standard_library() {
    let x = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5];
    for n in [0, 3, 6, 9] {
        let (v, g) = adaptors::grad(x, 0.9, n);
        assert_close(&[v], &[adaptors_ref(x, 0.9, n)], 1e-13, "value");
        let numeric = numeric_gradient(|p: &([f64; 6], f64)| adaptors_ref(p.0, p.1, n), &(x, 0.9));
        let mut flat = g.x.to_vec();
        flat.push(g.gamma);
        assert_close(&flat, &numeric, 1e-7, "adaptors");
    }
}

#[test]
#[should_panic(expected = "step != 0")]
fn step_by_zero_panics_as_the_standard_library_does() {
    #[differentiable]
    fn every(x: [f64; 3], #[constant] k: usize) -> f64 {
        x.iter().step_by(k).map(|v| v * v).sum()
    }
    let _ = every::grad([1.0, 2.0, 3.0], 0);
}

fn dots_ref(a: &[f64; 3], b: &SVector<f64, 3>) -> f64 {
    let d: f64 = a.iter().zip(b.iter()).map(|(x, y)| x * y).sum();
    d * d + a.iter().map(|x| x * x).sum::<f64>()
}

#[test]
fn zip_map_sum_and_fold() {
    let a = [1.0, -2.0, 0.5];
    let b = SVector::<f64, 3>::new(0.3, 0.7, -1.1);
    let (v, g) = dots::grad(a, &b);
    assert_close(&[v], &[dots_ref(&a, &b)], 1e-14, "value");
    let d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    // d/da = 2 d b + 2 a, d/db = 2 d a.
    for i in 0..3 {
        assert_close(&[g.a[i]], &[2.0 * d * b[i] + 2.0 * a[i]], 1e-14, "g.a");
        assert_close(&[g.b[i]], &[2.0 * d * a[i]], 1e-14, "g.b");
    }
}

#[test]
fn enumerate_copied_by_value_and_product() {
    let x = [0.5, -1.0, 2.0, 0.25];
    let (v, g) = weighted::grad(x, 0.8);
    assert_eq!(v, weighted(x, 0.8));
    let numeric = numeric_gradient(|p: &([f64; 4], f64)| weighted(p.0, p.1), &(x, 0.8));
    let mut flat = g.x.to_vec();
    flat.push(g.w);
    assert_close(&flat, &numeric, 1e-7, "weighted");
    let t = weighted::Grad {
        x: [0.1, 0.2, -0.3, 0.4],
        w: -0.5,
    };
    let (_, _, hv) = weighted::hvp(x, 0.8, &t);
    let numeric = directional_derivative(
        |p: &([f64; 4], f64)| {
            let g = weighted::grad(p.0, p.1).1;
            (g.x, g.w)
        },
        &(x, 0.8),
        &(t.x, t.w),
    );
    let mut flat = hv.x.to_vec();
    flat.push(hv.w);
    assert_close(&flat, &numeric, 1e-6, "weighted hvp");
}

#[test]
fn matrices_and_arrays_of_vectors() {
    let pts = [
        Vector3::new(0.0, 1.0, 2.0),
        Vector3::new(1.0, -1.0, 0.5),
        Vector3::new(-0.5, 0.3, 1.0),
    ];
    let m = SVector::<f64, 3>::new(0.1, -0.2, 0.3);
    let (v, g) = spread::grad(pts, &m);
    assert_eq!(v, spread(pts, &m));
    let numeric = numeric_gradient(
        |p: &([Vector3<f64>; 3], SVector<f64, 3>)| spread(p.0, &p.1),
        &(pts, m),
    );
    let mut flat: Vec<f64> = g.points.iter().flat_map(|p| p.iter().copied()).collect();
    flat.extend(g.m.iter());
    assert_close(&flat, &numeric, 1e-7, "spread");
    // The centroid's shift is orthogonal to the spread: the points' gradients sum to 0.
    let total: Vector3<f64> = g.points.iter().sum();
    assert!(total.norm() < 1e-12);
}

#[test]
fn a_tail_sum_takes_the_output_type() {
    let (v, g) = squares::grad([1.0, 2.0, -3.0]);
    assert_eq!((v, g.v), (14.0, [2.0, 4.0, -6.0]));
}

#[test]
fn slices_of_constants() {
    let xs = [0.0, 1.0, 2.0, 3.0];
    let ys = [1.0, 3.0, 5.0, 7.0];
    let (l, g) = fit::grad(2.0, 1.0, &xs, &ys);
    assert_eq!((l, g.w, g.b), (0.0, 0.0, 0.0));
    let (l, g) = fit::grad(1.0, 0.0, &xs, &ys);
    // r_i = -(x_i + 1): loss = mean (x+1)^2 = 7.5, dw = 2 mean r x = -10, db = 2 mean r = -5.
    assert_eq!((l, g.w, g.b), (7.5, -10.0, -5.0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn iterators_match_central_differences(
        a in proptest::collection::vec(-2.0..2.0f64, 3),
        b in proptest::collection::vec(-2.0..2.0f64, 3),
        u in -1.0..1.0f64,
    ) {
        let a: [f64; 3] = a.try_into().unwrap();
        let b = SVector::<f64, 3>::from_column_slice(&b);
        let (_, pb) = dots::vjp(a, &b);
        let g = pb(u);
        check_vjp("dots", |p: &([f64; 3], SVector<f64, 3>)| dots(p.0, &p.1), &(a, b), &u, &(g.a, g.b), 1e-6);
        let t = ([0.3, -0.1, 0.7], SVector::<f64, 3>::new(0.2, 0.5, -0.4));
        let (_, d) = dots::jvp(a, &b, &dots::Grad { a: t.0, b: t.1 });
        let (_, g) = dots::grad(a, &b);
        assert_close(&[d], &[inner(&t, &(g.a, g.b))], 1e-10, "dots jvp");
    }
}
