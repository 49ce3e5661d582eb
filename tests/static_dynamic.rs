//! Dynamically sized nalgebra: differentiated `DVector<f64>` and `DMatrix<f64>`
//! parameters (by `&` or by value) and values, with the operations of their
//! static twins. Each gradient is checked against central differences of the
//! user's function, at random shapes and values; `jvp` against a directional
//! difference; a vector output's pullback against random cotangents.

// The loops over indices are what is being tested.
#![allow(clippy::needless_range_loop)]

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use autograd::nalgebra::{DMatrix, DVector, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, numeric_gradient, Flat};
use counting_alloc::{assert_none_since, counts, Counting};
use proptest::prelude::*;

#[global_allocator]
static GLOBAL: Counting = Counting;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(24)
}

fn vector(n: usize, lo: f64, hi: f64) -> impl Strategy<Value = DVector<f64>> {
    proptest::collection::vec(lo..hi, n).prop_map(DVector::from_vec)
}

fn matrix(r: usize, c: usize) -> impl Strategy<Value = DMatrix<f64>> {
    proptest::collection::vec(-2.0..2.0f64, r * c)
        .prop_map(move |v| DMatrix::from_column_slice(r, c, &v))
}

/// Two vectors of one random length (at least `min`).
fn two_vectors(min: usize) -> impl Strategy<Value = (DVector<f64>, DVector<f64>)> {
    (min..8usize).prop_flat_map(|n| (vector(n, -2.0, 2.0), vector(n, -2.0, 2.0)))
}

// ----- the rules, one function each ------------------------------------------

#[differentiable]
fn add_sub(a: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let c = a + b;
    let d = a - b;
    c.dot(&d) + (-c).sum()
}

#[differentiable]
fn scale_divide(a: DVector<f64>, s: f64) -> f64 {
    let b = s * a;
    let c = b * 3.0 / s.exp();
    (c / 2.0).norm_squared()
}

#[differentiable]
fn norms(v: &DVector<f64>) -> f64 {
    v.norm() + 0.5 * v.norm_squared() + v.mean() * v.sum()
}

#[differentiable]
fn entrywise(a: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let p = a.component_mul(b);
    let q = p.component_div(b);
    (q + p.tanh()).sum()
}

#[differentiable]
fn extremes(v: &DVector<f64>, s: f64) -> f64 {
    v.max() - 2.0 * v.min() + v.add_scalar(s).abs().sum()
}

/// `m[(i, j)]`, `v[i]` and `len()`/`nrows()`/`ncols()` as constants.
#[differentiable]
fn indexing(m: &DMatrix<f64>, v: &DVector<f64>) -> f64 {
    let last = v.len() - 1;
    let corner = m[(m.nrows() - 1, m.ncols() - 1)];
    m[(0, 0)] * v[0] + corner * v[last] + m[1]
}

/// Products of every pair of shapes and transposes.
#[differentiable]
fn products(a: &DMatrix<f64>, b: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let ab = a * b;
    let t = ab.transpose();
    let u = b.transpose() * a.transpose();
    let q = (x.transpose() * (ab * x))[0];
    t.component_mul(&u).sum() + q
}

/// The least-squares residual `|A x - b|^2`.
#[differentiable]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, #[constant] b: &DVector<f64>) -> f64 {
    (a * x - b).norm_squared()
}

/// A weighted sum over a `DVector` by a loop whose trip count is its length.
#[differentiable]
fn weighted(w: &DVector<f64>, x: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] * x[i] * x[i];
    }
    s
}

/// A loop that carries a `DVector`.
#[differentiable]
fn repeated(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut y = x.clone();
    for _ in 0..3 {
        y = (a * y).tanh();
    }
    y.norm_squared()
}

/// A dynamic vector beside a static one.
#[differentiable]
fn mixed(x: &DVector<f64>, w: &Vector3<f64>) -> f64 {
    x.norm_squared() * w.norm() + x[0] * w[1]
}

/// A vector output.
#[differentiable]
fn affine(a: &DMatrix<f64>, x: &DVector<f64>, s: f64) -> DVector<f64> {
    a * x * s + x.component_mul(x)
}

/// A vector output through a branch on a constant.
#[differentiable]
fn branch(x: &DVector<f64>, #[constant] flip: bool) -> f64 {
    let y = if flip { -x } else { x * 2.0 };
    y.sum() + y.norm()
}

/// `map` with a closure over a captured scalar.
#[differentiable]
fn mapped(v: &DVector<f64>, s: f64) -> f64 {
    v.map(|x| (x * s).sin() + x * x).sum()
}

/// Iterators over `DVector`s.
#[differentiable]
fn iterated(v: &DVector<f64>, w: &DVector<f64>) -> f64 {
    let mut s = 0.0;
    for (i, x) in v.iter().enumerate() {
        s += x * w[i];
    }
    s + v.iter().zip(w.iter()).map(|(a, b)| a * b * b).sum::<f64>()
}

/// A call to another differentiable function, on dynamic values.
#[differentiable]
fn calls(a: &DMatrix<f64>, x: &DVector<f64>, #[constant] b: &DVector<f64>) -> f64 {
    let y = x * 0.5;
    least_squares(a, &y, b) + norms(&y)
}

// ----- checks -----------------------------------------------------------------

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn add_sub_gradient((a, b) in two_vectors(0)) {
        let (v, g) = add_sub::grad(&a, &b);
        prop_assert_eq!(v, add_sub(&a, &b));
        let f = |p: &(DVector<f64>, DVector<f64>)| add_sub(&p.0, &p.1);
        let n = numeric_gradient(f, &(a.clone(), b.clone()));
        assert_close(&(g.a.clone(), g.b.clone()).flat(), &n, TOL, "add_sub");
        prop_assert_eq!(g.a.shape(), a.shape());
        // `Grad` is `Clone` (and, with a `DVector` field, not `Copy`).
        let g2 = g.clone();
        prop_assert_eq!(g2, g);
    }

    #[test]
    fn scale_divide_gradient(a in (0..8usize).prop_flat_map(|n| vector(n, -2.0, 2.0)), s in -1.5..1.5f64) {
        let (v, g) = scale_divide::grad(a.clone(), s);
        prop_assert_eq!(v, scale_divide(a.clone(), s));
        let n = numeric_gradient(|p: &(DVector<f64>, f64)| scale_divide(p.0.clone(), p.1), &(a.clone(), s));
        assert_close(&(g.a, g.s).flat(), &n, TOL, "scale_divide");
    }

    #[test]
    fn norms_gradient(v in (1..8usize).prop_flat_map(|n| vector(n, -2.0, 2.0))) {
        let (_, g) = norms::grad(&v);
        assert_close(&g.v.flat(), &numeric_gradient(|v: &DVector<f64>| norms(v), &v), TOL, "norms");
    }

    #[test]
    fn extremes_gradient(v in (1..8usize).prop_flat_map(|n| vector(n, -2.0, 2.0)), s in -1.0..1.0f64) {
        let (val, g) = extremes::grad(&v, s);
        prop_assert_eq!(val, extremes(&v, s));
        let n = numeric_gradient(|p: &(DVector<f64>, f64)| extremes(&p.0, p.1), &(v.clone(), s));
        assert_close(&(g.v, g.s).flat(), &n, TOL, "extremes");
    }

    #[test]
    fn entrywise_gradient(
        (a, b) in (0..8usize).prop_flat_map(|n| (vector(n, -2.0, 2.0), vector(n, 0.5, 2.0)))
    ) {
        let (_, g) = entrywise::grad(&a, &b);
        let f = |p: &(DVector<f64>, DVector<f64>)| entrywise(&p.0, &p.1);
        let n = numeric_gradient(f, &(a.clone(), b.clone()));
        assert_close(&(g.a, g.b).flat(), &n, TOL, "entrywise");
    }

    #[test]
    fn indexing_gradient(
        (m, v) in (2..5usize, 1..5usize, 1..6usize)
            .prop_flat_map(|(r, c, n)| (matrix(r, c), vector(n, -2.0, 2.0)))
    ) {
        let (val, g) = indexing::grad(&m, &v);
        prop_assert_eq!(val, indexing(&m, &v));
        let f = |p: &(DMatrix<f64>, DVector<f64>)| indexing(&p.0, &p.1);
        let n = numeric_gradient(f, &(m.clone(), v.clone()));
        assert_close(&(g.m, g.v).flat(), &n, TOL, "indexing");
    }

    #[test]
    fn products_gradient(
        // `x^T (A B x)` needs `A B` square.
        (a, b, x) in (1..5usize, 1..5usize)
            .prop_flat_map(|(r, k)| (matrix(r, k), matrix(k, r), vector(r, -2.0, 2.0)))
    ) {
        let (val, g) = products::grad(&a, &b, &x);
        prop_assert_eq!(val, products(&a, &b, &x));
        let f = |p: &(DMatrix<f64>, DMatrix<f64>, DVector<f64>)| products(&p.0, &p.1, &p.2);
        let n = numeric_gradient(f, &(a.clone(), b.clone(), x.clone()));
        assert_close(&(g.a, g.b, g.x).flat(), &n, TOL, "products");
    }

    #[test]
    fn least_squares_gradient_and_jvp(
        (a, x, b, da, dx) in (1..7usize, 1..7usize).prop_flat_map(|(r, c)| (
            matrix(r, c), vector(c, -2.0, 2.0), vector(r, -2.0, 2.0), matrix(r, c), vector(c, -1.0, 1.0)
        ))
    ) {
        let (v, g) = least_squares::grad(&a, &x, &b);
        prop_assert_eq!(v, least_squares(&a, &x, &b));
        let f = |p: &(DMatrix<f64>, DVector<f64>)| least_squares(&p.0, &p.1, &b);
        let n = numeric_gradient(f, &(a.clone(), x.clone()));
        assert_close(&(g.a.clone(), g.x.clone()).flat(), &n, TOL, "least_squares");
        // The closed form: d/dx = 2 A^T (A x - b).
        let r = &a * &x - &b;
        assert_close(g.x.as_slice(), (a.transpose() * &r * 2.0).as_slice(), 1e-12, "2 A^T r");
        // Forward mode along (da, dx).
        let t = least_squares::Grad { a: da.clone(), x: dx.clone() };
        let (v2, d) = least_squares::jvp(&a, &x, &b, &t);
        prop_assert_eq!(v2, v);
        let dd = directional_derivative(f, &(a.clone(), x.clone()), &(da, dx));
        assert_close(&[d], &dd, TOL, "least_squares jvp");
    }

    #[test]
    fn weighted_loop_gradient((w, x) in two_vectors(0)) {
        let (v, g) = weighted::grad(&w, &x);
        prop_assert_eq!(v, weighted(&w, &x));
        let f = |p: &(DVector<f64>, DVector<f64>)| weighted(&p.0, &p.1);
        let n = numeric_gradient(f, &(w.clone(), x.clone()));
        assert_close(&(g.w, g.x).flat(), &n, TOL, "weighted");
    }

    #[test]
    fn repeated_loop_gradient(
        (a, x) in (1..6usize).prop_flat_map(|n| (matrix(n, n), vector(n, -2.0, 2.0)))
    ) {
        let (v, g) = repeated::grad(&a, &x);
        prop_assert_eq!(v, repeated(&a, &x));
        let f = |p: &(DMatrix<f64>, DVector<f64>)| repeated(&p.0, &p.1);
        let n = numeric_gradient(f, &(a.clone(), x.clone()));
        assert_close(&(g.a, g.x).flat(), &n, TOL, "repeated");
    }

    #[test]
    fn mixed_gradient(x in (1..6usize).prop_flat_map(|n| vector(n, -2.0, 2.0)), w in proptest::array::uniform3(-2.0..2.0f64)) {
        let w = Vector3::from(w);
        let (_, g) = mixed::grad(&x, &w);
        let f = |p: &(DVector<f64>, Vector3<f64>)| mixed(&p.0, &p.1);
        let n = numeric_gradient(f, &(x.clone(), w));
        assert_close(&(g.x, g.w).flat(), &n, TOL, "mixed");
    }

    #[test]
    fn affine_vjp_with_random_cotangents(
        // `A x + x .* x` needs `A` square.
        (a, x, u, da, dx) in (1..6usize).prop_flat_map(|n| (
            matrix(n, n), vector(n, -2.0, 2.0), vector(n, -2.0, 2.0), matrix(n, n), vector(n, -1.0, 1.0)
        )),
        s in -2.0..2.0f64,
    ) {
        let (y, pb) = affine::vjp(&a, &x, s);
        prop_assert_eq!(&y, &affine(&a, &x, s));
        let g = pb(u.clone());
        let f = |p: &(DMatrix<f64>, DVector<f64>, f64)| affine(&p.0, &p.1, p.2);
        check_vjp("affine", f, &(a.clone(), x.clone(), s), &u, &(g.a, g.x, g.s), TOL);
        let t = affine::Grad { a: da.clone(), x: dx.clone(), s: 0.5 };
        let (y2, dy) = affine::jvp(&a, &x, s, &t);
        prop_assert_eq!(&y2, &y);
        let dd = directional_derivative(f, &(a.clone(), x.clone(), s), &(da, dx, 0.5));
        assert_close(dy.as_slice(), &dd, TOL, "affine jvp");
    }

    #[test]
    fn mapped_gradient_and_hvp(
        (v, dv) in (0..8usize).prop_flat_map(|n| (vector(n, -2.0, 2.0), vector(n, -1.0, 1.0))),
        s in -2.0..2.0f64,
    ) {
        let (val, g) = mapped::grad(&v, s);
        prop_assert_eq!(val, mapped(&v, s));
        let f = |p: &(DVector<f64>, f64)| mapped(&p.0, p.1);
        let n = numeric_gradient(f, &(v.clone(), s));
        assert_close(&(g.v.clone(), g.s).flat(), &n, TOL, "mapped");
        let (_, d) = mapped::jvp(&v, s, &mapped::Grad { v: dv.clone(), s: 0.5 });
        let dd = directional_derivative(f, &(v.clone(), s), &(dv.clone(), 0.5));
        assert_close(&[d], &dd, TOL, "mapped jvp");
        let (_, _, hv) = mapped::hvp(&v, s, &mapped::Grad { v: dv.clone(), s: 0.5 });
        let grad = |p: &(DVector<f64>, f64)| {
            let (_, g) = mapped::grad(&p.0, p.1);
            (g.v, g.s)
        };
        let dh = directional_derivative(grad, &(v.clone(), s), &(dv, 0.5));
        assert_close(&(hv.v, hv.s).flat(), &dh, 1e-5, "mapped hvp");
    }

    #[test]
    fn iterated_gradient((v, w) in two_vectors(0)) {
        let (val, g) = iterated::grad(&v, &w);
        prop_assert_eq!(val, iterated(&v, &w));
        let f = |p: &(DVector<f64>, DVector<f64>)| iterated(&p.0, &p.1);
        let n = numeric_gradient(f, &(v.clone(), w.clone()));
        assert_close(&(g.v, g.w).flat(), &n, TOL, "iterated");
    }

    #[test]
    fn calls_gradient(
        (a, x, b) in (1..6usize, 1..6usize)
            .prop_flat_map(|(r, c)| (matrix(r, c), vector(c, -2.0, 2.0), vector(r, -2.0, 2.0)))
    ) {
        let (v, g) = calls::grad(&a, &x, &b);
        prop_assert_eq!(v, calls(&a, &x, &b));
        let f = |p: &(DMatrix<f64>, DVector<f64>)| calls(&p.0, &p.1, &b);
        let n = numeric_gradient(f, &(a.clone(), x.clone()));
        assert_close(&(g.a, g.x).flat(), &n, TOL, "calls");
    }

    #[test]
    fn hessian_vector_products(
        (a, x, b, da, dx) in (1..5usize, 1..5usize).prop_flat_map(|(r, c)| (
            matrix(r, c), vector(c, -2.0, 2.0), vector(r, -2.0, 2.0), matrix(r, c), vector(c, -1.0, 1.0)
        ))
    ) {
        let t = least_squares::Grad { a: da.clone(), x: dx.clone() };
        let (v, g, hv) = least_squares::hvp(&a, &x, &b, &t);
        prop_assert_eq!(v, least_squares(&a, &x, &b));
        let (_, g0) = least_squares::grad(&a, &x, &b);
        assert_close(&(g.a, g.x).flat(), &(g0.a, g0.x).flat(), 1e-12, "hvp's gradient");
        let grad = |p: &(DMatrix<f64>, DVector<f64>)| {
            let (_, g) = least_squares::grad(&p.0, &p.1, &b);
            (g.a, g.x)
        };
        let dd = directional_derivative(grad, &(a.clone(), x.clone()), &(da, dx));
        assert_close(&(hv.a, hv.x).flat(), &dd, 1e-5, "least_squares hvp");
    }

    #[test]
    fn branch_gradient(x in (1..6usize).prop_flat_map(|n| vector(n, -2.0, 2.0)), flip in any::<bool>()) {
        let (v, g) = branch::grad(&x, flip);
        prop_assert_eq!(v, branch(&x, flip));
        let n = numeric_gradient(|x: &DVector<f64>| branch(x, flip), &x);
        assert_close(&g.x.flat(), &n, TOL, "branch");
    }
}

#[test]
#[should_panic(expected = "(3, 1) and (2, 1)")]
fn vectors_of_different_lengths_panic_naming_both_shapes() {
    let _ = add_sub::grad(&DVector::zeros(3), &DVector::zeros(2));
}

#[test]
#[should_panic(expected = "(2, 3) * (2, 1)")]
fn a_product_of_shapes_that_do_not_multiply_names_both() {
    let _ = least_squares::grad(
        &DMatrix::zeros(2, 3),
        &DVector::zeros(2),
        &DVector::zeros(2),
    );
}

/// A static function beside the dynamic ones.
#[differentiable]
fn static_energy(x: &Vector3<f64>, k: f64) -> f64 {
    0.5 * k * x.norm_squared() + x.dot(&Vector3::new(1.0, 2.0, 3.0))
}

#[test]
fn static_shapes_still_allocate_nothing_and_dynamic_ones_allocate() {
    let x = Vector3::new(0.5, -1.0, 2.0);
    let before = counts();
    let (v, g) = std::hint::black_box(static_energy::grad(&x, 2.0));
    assert_none_since(before, "static_energy::grad");
    assert!(v.is_finite() && g.k.is_finite());

    let a = DMatrix::from_fn(4, 3, |i, j| (i + j) as f64 * 0.1);
    let (xd, b) = (DVector::from_element(3, 0.5), DVector::from_element(4, 1.0));
    let before = counts();
    let v = std::hint::black_box(least_squares(&a, &xd, &b));
    let own = counts().0 - before.0;
    let before = counts();
    let (gv, g) = std::hint::black_box(least_squares::grad(&a, &xd, &b));
    let grad = counts().0 - before.0;
    assert_eq!(gv, v);
    assert_eq!(g.x.len(), 3);
    // The user's expression allocates `A x` and `A x - b`; the gradient also
    // owns copies of the `&` parameters and of the constant and allocates the
    // cotangents it returns (and their intermediates).
    assert!(
        own >= 1 && grad > own,
        "value {own} allocations, grad {grad}"
    );
    assert!(grad <= 12, "grad allocated {grad} times");
}
