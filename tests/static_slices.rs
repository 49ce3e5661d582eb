//! Differentiated slices: a `&[T]` parameter is read in place (`x[i]`,
//! `x.len()`, `for i in 0..x.len()`, iterators over it) and its gradient field is
//! a `Vec<T>` of its length. Every gradient is checked against central
//! differences of the user's function, at random lengths and values, and
//! `jvp` against a directional difference.

// The loops over indices are what is being tested.
#![allow(clippy::needless_range_loop)]

use autograd::nalgebra::RealField;
use autograd::prelude::*;
use autograd::testing::{assert_close, central_gradient};
use proptest::prelude::*;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(32)
}

/// The directional derivative of `f` at `x` along `v`, by central differences.
fn directional(f: impl Fn(&[f64]) -> f64, x: &[f64], v: &[f64]) -> f64 {
    let h = 1e-5;
    let at = |t: f64| -> Vec<f64> { x.iter().zip(v).map(|(a, b)| a + t * b).collect() };
    (f(&at(h)) - f(&at(-h))) / (2.0 * h)
}

#[differentiable]
fn sum_of_squares(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

/// Log-sum-exp, shifted by the largest entry (GradBench's `lse`).
#[differentiable]
fn lse(x: &[f64]) -> f64 {
    let mut m = x[0];
    for i in 1..x.len() {
        m = m.max(x[i]);
    }
    let s: f64 = x.iter().map(|v| (v - m).exp()).sum();
    s.ln() + m
}

#[differentiable]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>()
}

fn values(min: usize) -> impl Strategy<Value = Vec<f64>> {
    (min..12usize).prop_flat_map(|n| proptest::collection::vec(-2.0..2.0f64, n))
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn sum_of_squares_gradient(x in values(0)) {
        let (v, g) = sum_of_squares::grad(&x);
        assert_eq!(v, sum_of_squares(&x));
        assert_eq!(g.x.len(), x.len());
        assert_close(&g.x, &central_gradient(sum_of_squares, &x), TOL, "sum_of_squares");
    }

    #[test]
    fn lse_gradient(x in values(1)) {
        let (v, g) = lse::grad(&x);
        assert_eq!(v, lse(&x));
        assert_close(&g.x, &central_gradient(lse, &x), TOL, "lse");
    }
}

/// Two differentiated slices, a sum over `enumerate`, a `fold` and scalars
/// beside them.
#[differentiable]
fn mixed(a: &[f64], w: f64, b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let mut s = 0.0;
    for i in 0..n {
        s += (w * a[i]).sin() * b[i];
    }
    let mut weighted = 0.0;
    for (i, v) in a.iter().enumerate() {
        if i % 2 == 0 {
            weighted += v * v;
        }
    }
    let p = b.iter().fold(1.0, |acc, v| acc * (1.0 + 0.1 * v));
    s + weighted * w + p
}

/// A slice beside a constant slice.
#[differentiable]
fn weighted_norm(x: &[f64], #[constant] c: &[f64]) -> f64 {
    let mut s = 0.0;
    for (xi, ci) in x.iter().zip(c.iter()) {
        s += ci * xi * xi;
    }
    s.sqrt()
}

fn pair(min: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (min..12usize).prop_flat_map(|n| {
        (
            proptest::collection::vec(-2.0..2.0f64, n),
            proptest::collection::vec(-2.0..2.0f64, n),
        )
    })
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn dot_gradient_vjp_jvp((a, b) in pair(0), s in -2.0..2.0f64) {
        let (v, g) = dot::grad(&a, &b);
        assert_eq!(v, dot(&a, &b));
        assert_close(&g.a, &b, 1e-12, "d dot / d a");
        assert_close(&g.b, &a, 1e-12, "d dot / d b");
        let (v2, pb) = dot::vjp(&a, &b);
        assert_eq!(v2, v);
        let g2 = pb(s);
        let scaled: Vec<f64> = b.iter().map(|x| s * x).collect();
        assert_close(&g2.a, &scaled, 1e-12, "vjp a");
        // Forward mode along (da, db) = (b, a): d = b.b + a.a.
        let t = dot::Grad { a: b.clone(), b: a.clone() };
        let (v3, d) = dot::jvp(&a, &b, &t);
        assert_eq!(v3, v);
        let expected = a.iter().chain(&b).map(|x| x * x).sum::<f64>();
        assert_close(&[d], &[expected], 1e-12, "jvp dot");
    }

    #[test]
    fn mixed_gradient((a, b) in pair(0), w in -2.0..2.0f64, extra in proptest::collection::vec(-2.0..2.0f64, 0..3)) {
        // Slices of different lengths: the loop runs over the shorter.
        let b: Vec<f64> = b.into_iter().chain(extra).collect();
        let (v, g) = mixed::grad(&a, w, &b);
        assert_eq!(v, mixed(&a, w, &b));
        assert_eq!((g.a.len(), g.b.len()), (a.len(), b.len()));
        assert_close(&g.a, &central_gradient(|a| mixed(a, w, &b), &a), TOL, "mixed a");
        assert_close(&g.b, &central_gradient(|b| mixed(&a, w, b), &b), TOL, "mixed b");
        assert_close(&[g.w], &central_gradient(|w| mixed(&a, w[0], &b), &[w]), TOL, "mixed w");
        // jvp along (da, dw, db).
        let da: Vec<f64> = a.iter().map(|x| 0.5 - x).collect();
        let db: Vec<f64> = b.iter().map(|x| x * x - 1.0).collect();
        let t = mixed::Grad { a: da.clone(), w: 0.3, b: db.clone() };
        let (_, d) = mixed::jvp(&a, w, &b, &t);
        let fd = {
            let h = 1e-5;
            let f = |t: f64| {
                let a: Vec<f64> = a.iter().zip(&da).map(|(x, d)| x + t * d).collect();
                let b: Vec<f64> = b.iter().zip(&db).map(|(x, d)| x + t * d).collect();
                mixed(&a, w + t * 0.3, &b)
            };
            (f(h) - f(-h)) / (2.0 * h)
        };
        assert_close(&[d], &[fd], TOL, "mixed jvp");
    }

    #[test]
    fn lse_jvp(x in values(1)) {
        let v: Vec<f64> = x.iter().map(|a| a.cos()).collect();
        let (_, d) = lse::jvp(&x, &lse::Grad { x: v.clone() });
        assert_close(&[d], &[directional(lse, &x, &v)], TOL, "lse jvp");
    }

    #[test]
    fn weighted_norm_gradient(x in values(1), seed in 0.5..2.0f64) {
        let c: Vec<f64> = (0..x.len()).map(|i| seed + i as f64).collect();
        let (_, g) = weighted_norm::grad(&x, &c);
        assert_close(&g.x, &central_gradient(|x| weighted_norm(x, &c), &x), TOL, "weighted_norm");
    }
}

#[test]
fn grad_is_clone_and_accumulates() {
    let x = [1.0, 2.0, 3.0];
    let (_, g) = sum_of_squares::grad(&x);
    let mut total = g.clone();
    total.accumulate(g.clone());
    assert_eq!(total.x, vec![4.0, 8.0, 12.0]);
    assert_eq!(total.zero_like().x, vec![0.0; 3]);
    // The empty slice has an empty gradient.
    let (v, g) = sum_of_squares::grad(&[]);
    assert_eq!((v, g.x.len()), (0.0, 0));
}

proptest! {
    #![proptest_config(cfg())]

    /// Forward over reverse: the Hessian of log-sum-exp along `v` against
    /// central differences of its gradient.
    #[test]
    fn lse_hvp(x in values(1)) {
        let v: Vec<f64> = x.iter().map(|a| a.sin()).collect();
        let (value, g, hv) = lse::hvp(&x, &lse::Grad { x: v.clone() });
        assert_eq!(value, lse(&x));
        assert_close(&g.x, &lse::grad(&x).1.x, 1e-12, "hvp's gradient");
        let h = 1e-5;
        let at = |t: f64| -> Vec<f64> { x.iter().zip(&v).map(|(a, b)| a + t * b).collect() };
        let fd: Vec<f64> = lse::grad(&at(h)).1.x.iter().zip(lse::grad(&at(-h)).1.x)
            .map(|(p, m)| (p - m) / (2.0 * h)).collect();
        assert_close(&hv.x, &fd, TOL, "lse hvp");
    }
}

/// A call passing a differentiated slice to another differentiable function.
#[differentiable]
fn scaled_lse(x: &[f64], w: f64) -> f64 {
    w * lse(x) + sum_of_squares(x)
}

/// A generic scalar.
#[differentiable]
fn generic_sum_of_cubes<T: RealField + Copy>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() {
        s += x[i] * x[i] * x[i];
    }
    s
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn composed_gradient(x in values(1), w in -2.0..2.0f64) {
        let (v, g) = scaled_lse::grad(&x, w);
        assert_eq!(v, scaled_lse(&x, w));
        assert_close(&g.x, &central_gradient(|x| scaled_lse(x, w), &x), TOL, "scaled_lse x");
        assert_close(&[g.w], &[lse(&x)], 1e-12, "scaled_lse w");
        // Forward mode through the two calls, along (dx, dw) = (cos x, 0).
        let v: Vec<f64> = x.iter().map(|a| a.cos()).collect();
        let (_, d) = scaled_lse::jvp(&x, w, &scaled_lse::Grad { x: v.clone(), w: 0.0 });
        assert_close(&[d], &[directional(|x| scaled_lse(x, w), &x, &v)], TOL, "scaled_lse jvp");
    }

    #[test]
    fn generic_gradient(x in values(0)) {
        let (_, g) = generic_sum_of_cubes::grad(&x);
        let expected: Vec<f64> = x.iter().map(|a| 3.0 * a * a).collect();
        assert_close(&g.x, &expected, 1e-12, "generic f64");
        let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
        let (_, g32) = generic_sum_of_cubes::grad(&x32);
        let g32: Vec<f64> = g32.x.iter().map(|&a| a as f64).collect();
        assert_close(&g32, &expected, 1e-4, "generic f32");
    }
}

/// A method with a differentiated slice: its siblings take and return the slice's
/// gradient as the free function's do.
#[derive(Clone, Copy, Debug)]
pub struct Weights {
    pub scale: f64,
}

#[differentiable]
impl Weights {
    pub fn energy(&self, x: &[f64], #[constant] c: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += self.scale * c[i] * x[i] * x[i];
        }
        s
    }
}

#[test]
fn method_with_a_slice_grad_vjp_jvp() {
    let w = Weights { scale: 1.5 };
    let x = [0.3, -1.2, 2.0];
    let c = [1.0, 0.5, -0.25];
    let (e, g) = w.energy_grad(&x, &c);
    assert!((e - w.energy(&x, &c)).abs() < 1e-15);
    let numeric = central_gradient(|v: &[f64]| w.energy(v, &c), &x);
    assert_close(&g.x, &numeric, TOL, "method grad");
    let (e2, pull) = w.energy_vjp(&x, &c);
    assert_eq!(e, e2);
    assert_close(
        &pull(2.0).x,
        &numeric.iter().map(|d| 2.0 * d).collect::<Vec<_>>(),
        TOL,
        "method vjp",
    );
    let v = [1.0, 0.0, -1.0];
    let (_, d) = w.energy_jvp(&x, &c, &weights_energy::Grad { x: v.to_vec() });
    assert!((d - directional(|p| w.energy(p, &c), &x, &v)).abs() < TOL);
}
