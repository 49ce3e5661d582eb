//! Second order in the static engine.
//!
//! - Each rule's second-order term (the derivative of its pullback along the
//!   operands' tangents, for a fixed output cotangent) against central differences
//!   of the pullback itself, by proptest over values and shapes.
//! - `NAME::hvp` and `NAME::hessian` against closed forms (Rosenbrock, a quadratic
//!   form, the tanh neuron) and against central differences of the generated
//!   gradient. The random programs (`tests/static_random_programs.rs`) check `hvp`
//!   on every construct of the language.

use autograd::__private as ad;
use autograd::__private::rules::{
    Abs, ComponentDivRule, Cos, DivRule, ExpRule, Ln, NormRule, PowfRule, PowiRule, Recip, Relu,
    Sigmoid, Sin, Softplus, Sqrt, Tanh, Unary,
};
use autograd::nalgebra::{Matrix2, Matrix3, RealField, SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, directional_derivative, Flat};
use proptest::prelude::*;
use proptest::strategy::Union;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{counts, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

type M<const R: usize, const C: usize> = SMatrix<f64, R, C>;

/// Relative tolerance against central differences of a pullback.
const TOL: f64 = 1e-6;

/// `second` must equal the derivative of `pullback` at `x` along `dx`.
fn check_second<X: Flat>(what: &str, pullback: impl Fn(&X) -> X, x: &X, dx: &X, second: &X) {
    assert_close(
        &second.flat(),
        &directional_derivative(pullback, x, dx),
        TOL,
        what,
    );
}

fn val() -> impl Strategy<Value = f64> + Clone {
    -2.0..2.0
}

fn away(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    Union::new([(lo..hi).boxed(), (-hi..-lo).boxed()])
}

fn mat<const R: usize, const C: usize>(
    entry: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = M<R, C>> {
    prop::collection::vec(entry, R * C).prop_map(|v| M::<R, C>::from_column_slice(&v))
}

/// A scalar function's second-order term on a scalar and on a matrix.
fn unary<F, const R: usize, const C: usize>(what: &str, x: M<R, C>, dx: M<R, C>, g: M<R, C>)
where
    f64: Unary<F>,
    M<R, C>: Unary<F>,
{
    let out = <M<R, C> as Unary<F>>::value(&x);
    let second = <M<R, C> as Unary<F>>::second(&x, &out, &dx, &g);
    let pullback =
        |x: &M<R, C>| <M<R, C> as Unary<F>>::pullback(x, &<M<R, C> as Unary<F>>::value(x), &g);
    check_second(what, pullback, &x, &dx, &second);
    let (x, dx, g) = (x[0], dx[0], g[0]);
    let out = <f64 as Unary<F>>::value(&x);
    let second = <f64 as Unary<F>>::second(&x, &out, &dx, &g);
    let pullback = |x: &f64| <f64 as Unary<F>>::pullback(x, &<f64 as Unary<F>>::value(x), &g);
    check_second(what, pullback, &x, &dx, &second);
}

fn all_unary<const R: usize, const C: usize>(
    x: M<R, C>,
    p: M<R, C>,
    a: M<R, C>,
    dx: M<R, C>,
    g: M<R, C>,
) {
    unary::<Tanh, R, C>("tanh", x, dx, g);
    unary::<Sin, R, C>("sin", x, dx, g);
    unary::<Cos, R, C>("cos", x, dx, g);
    unary::<Sigmoid, R, C>("sigmoid", x * 3.0, dx, g);
    unary::<Softplus, R, C>("softplus", x * 3.0, dx, g);
    unary::<Ln, R, C>("ln", p, dx, g);
    unary::<Sqrt, R, C>("sqrt", p, dx, g);
    unary::<Recip, R, C>("recip", p, dx, g);
    unary::<Abs, R, C>("abs", a, dx, g);
    unary::<Relu, R, C>("relu", a, dx, g);
}

fn divisions<const R: usize, const C: usize>(
    a: M<R, C>,
    b: M<R, C>,
    da: M<R, C>,
    db: M<R, C>,
    g: M<R, C>,
) {
    // Matrix by matrix, entry by entry.
    let out = ComponentDivRule::value(&a, &b);
    let (sa, sb) = ComponentDivRule::second(&a, &b, &out, &da, &db, &g);
    let pb = |x: &(M<R, C>, M<R, C>)| {
        ComponentDivRule::pullback(&x.0, &x.1, &x.0.component_div(&x.1), &g)
    };
    check_second("component_div", pb, &(a, b), &(da, db), &(sa, sb));
    // Matrix by scalar.
    let (s, ds) = (b[0], db[0]);
    let out = DivRule::value(&a, &s);
    let second = DivRule::second(&a, &s, &out, &da, &ds, &g);
    let pb = |x: &(M<R, C>, f64)| DivRule::pullback(&x.0, &x.1, &(x.0 / x.1), &g);
    check_second("matrix / scalar", pb, &(a, s), &(da, ds), &second);
    // Scalar by scalar.
    let (x, dx, g) = (a[0], da[0], g[0]);
    let out = DivRule::value(&x, &s);
    let second = DivRule::second(&x, &s, &out, &dx, &ds, &g);
    let pb = |v: &(f64, f64)| DivRule::pullback(&v.0, &v.1, &(v.0 / v.1), &g);
    check_second("scalar / scalar", pb, &(x, s), &(dx, ds), &second);
}

/// The bilinear rules' `second` (the pullback at the tangents), through the tokens
/// the generated code uses.
fn bilinear<const R: usize, const K: usize, const C: usize>(
    a: M<R, K>,
    b: M<K, C>,
    da: M<R, K>,
    db: M<K, C>,
    g: M<R, C>,
) {
    let (out, tok) = ad::mul(&a, &b);
    let second = tok.second(&a, &b, &out, &da, &db, &g);
    let pb = |x: &(M<R, K>, M<K, C>)| ad::mul(&x.0, &x.1).1.pullback(&x.0, &x.1, &(x.0 * x.1), &g);
    check_second("matrix product", pb, &(a, b), &(da, db), &second);

    let (s, ds) = (b[0], db[0]);
    let (out, tok) = ad::mul(&s, &a);
    let gs = a * g[0];
    let second = tok.second(&s, &a, &out, &ds, &da, &gs);
    let pb = |x: &(f64, M<R, K>)| {
        ad::mul(&x.0, &x.1)
            .1
            .pullback(&x.0, &x.1, &(x.1 * x.0), &gs)
    };
    check_second("scalar * matrix", pb, &(s, a), &(ds, da), &second);

    let (out, tok) = ad::component_mul(&a, &da);
    let second = tok.second(
        &a,
        &da,
        &out,
        &a.map(|v| v.sin()),
        &da.map(|v| v.cos()),
        &gs,
    );
    let pb = |x: &(M<R, K>, M<R, K>)| {
        ad::component_mul(&x.0, &x.1)
            .1
            .pullback(&x.0, &x.1, &x.0.component_mul(&x.1), &gs)
    };
    check_second(
        "component_mul",
        pb,
        &(a, da),
        &(a.map(|v| v.sin()), da.map(|v| v.cos())),
        &second,
    );

    let (a2, da2) = (da.map(|v| v.cos()), da.map(|v| v.sin()));
    let u = g[0];
    let (out, tok) = ad::dot(&a, &a2);
    let second = tok.second(&a, &a2, &out, &da, &da2, &u);
    let pb = |x: &(M<R, K>, M<R, K>)| {
        ad::dot(&x.0, &x.1)
            .1
            .pullback(&x.0, &x.1, &x.0.dot(&x.1), &u)
    };
    check_second("dot", pb, &(a, a2), &(da, da2), &second);

    let (out, tok) = ad::norm_squared(&a);
    let second = tok.second(&a, &out, &da, &u);
    let pb = |x: &M<R, K>| ad::norm_squared(x).1.pullback(x, &x.norm_squared(), &u);
    check_second("norm_squared", pb, &a, &da, &second);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn unary_second_order_terms(
        x in mat::<2, 3>(val()),
        p in mat::<2, 3>(0.3..3.0),
        a in mat::<2, 3>(away(0.1, 2.0)),
        dx in mat::<2, 3>(val()),
        g in mat::<2, 3>(val()),
    ) {
        all_unary::<2, 3>(x, p, a, dx, g);
        let (x1, p1, a1, d1, g1) = (
            M::<1, 1>::new(x[0]), M::<1, 1>::new(p[1]), M::<1, 1>::new(a[2]),
            M::<1, 1>::new(dx[3]), M::<1, 1>::new(g[4]),
        );
        all_unary::<1, 1>(x1, p1, a1, d1, g1);
        // `exp` is a scalar rule of its own (on matrices it is the matrix exponential).
        let (x, dx, g) = (x[0], dx[0], g[0]);
        let second = ExpRule::second(&x, &x.exp(), &dx, &g);
        check_second("exp", |x: &f64| ExpRule::pullback(x, &x.exp(), &g), &x, &dx, &second);
    }

    #[test]
    fn division_second_order_terms(
        a in mat::<3, 2>(val()),
        b in mat::<3, 2>(away(0.3, 2.0)),
        da in mat::<3, 2>(val()),
        db in mat::<3, 2>(val()),
        g in mat::<3, 2>(val()),
    ) {
        divisions::<3, 2>(a, b, da, db, g);
    }

    #[test]
    fn powers_and_norm_second_order_terms(
        base in 0.3..2.5f64,
        p in -2.5..2.5f64,
        n in -3..5i32,
        (da, dp, g) in (val(), val(), val()),
        v in mat::<3, 1>(away(0.2, 2.0)),
        dv in mat::<3, 1>(val()),
    ) {
        let second = PowfRule::second(&base, &p, &base.powf(p), &da, &dp, &g);
        let pb = |x: &(f64, f64)| PowfRule::pullback(&x.0, &x.1, &x.0.powf(x.1), &g);
        check_second("powf", pb, &(base, p), &(da, dp), &second);

        // Both signs, kept 0.3 away from 0: near 0 a negative power's second
        // derivative grows past what central differences resolve.
        let x = if base < 1.3 { base - 1.6 } else { base - 1.0 };
        let second = PowiRule::second(&x, n, &x.powi(n), &da, &g);
        check_second("powi", |x: &f64| PowiRule::pullback(x, n, &x.powi(n), &g), &x, &da, &second);

        let second = NormRule::second(&v, &v.norm(), &dv, &g);
        check_second("norm", |x: &M<3, 1>| NormRule::pullback(x, &x.norm(), &g), &v, &dv, &second);
    }

    #[test]
    fn bilinear_second_order_terms(
        a in mat::<2, 3>(val()),
        b in mat::<3, 2>(val()),
        da in mat::<2, 3>(val()),
        db in mat::<3, 2>(val()),
        g in mat::<2, 2>(val()),
    ) {
        bilinear::<2, 3, 2>(a, b, da, db, g);
    }
}

// ---------------------------------------------------------------------------
// Hessians of whole functions

#[differentiable]
fn rosenbrock(x: &Vector2<f64>) -> f64 {
    (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
}

/// Rosenbrock's Hessian in closed form.
fn rosenbrock_hessian(x: &Vector2<f64>) -> Matrix2<f64> {
    Matrix2::new(
        2.0 - 400.0 * (x[1] - 3.0 * x[0] * x[0]),
        -400.0 * x[0],
        -400.0 * x[0],
        200.0,
    )
}

#[test]
fn rosenbrock_hessian_at_the_minimum_is_the_textbook_one() {
    let x = Vector2::new(1.0, 1.0);
    let h = rosenbrock::hessian(&x);
    assert_eq!(h, Matrix2::new(802.0, -400.0, -400.0, 200.0));
    let e0 = rosenbrock::Grad {
        x: Vector2::new(1.0, 0.0),
    };
    let (v, g, h0) = rosenbrock::hvp(&x, &e0);
    assert_eq!(v, 0.0);
    assert_eq!(g.x, Vector2::zeros());
    assert_eq!(h0.x, Vector2::new(802.0, -400.0));
}

#[test]
fn rosenbrock_hessian_matches_the_closed_form_elsewhere() {
    for x in [
        Vector2::new(-1.2, 1.0),
        Vector2::new(0.3, -0.7),
        Vector2::new(2.0, 4.5),
    ] {
        let h = rosenbrock::hessian(&x);
        assert_close(
            h.as_slice(),
            rosenbrock_hessian(&x).as_slice(),
            1e-12,
            "rosenbrock hessian",
        );
        assert_eq!(h, h.transpose(), "a Hessian is symmetric");
    }
}

/// `x^T A x / 2 + b^T x` with a constant `A`: the Hessian is `(A + A^T) / 2`.
#[differentiable]
fn quadratic(
    x: &Vector3<f64>,
    #[constant] a: &SMatrix<f64, 3, 3>,
    #[constant] b: &Vector3<f64>,
) -> f64 {
    0.5 * (x.transpose() * a * x)[0] + b.dot(x)
}

#[test]
fn quadratic_form_hessian_is_the_symmetric_part() {
    let a = SMatrix::<f64, 3, 3>::new(2.0, 1.0, 0.0, -1.0, 3.0, 0.5, 4.0, 0.0, 1.0);
    let b = Vector3::new(0.1, -0.2, 0.3);
    let h = quadratic::hessian(&Vector3::new(0.4, -1.0, 2.0), &a, &b);
    assert_close(
        h.as_slice(),
        ((a + a.transpose()) * 0.5).as_slice(),
        1e-15,
        "quadratic hessian",
    );
}

/// The tanh neuron of the PyTorch tutorial, with several differentiated parameters
/// of different shapes: the Hessian is over all their entries, in order.
#[differentiable]
fn neuron(w: &SVector<f64, 2>, b: f64, #[constant] x: &SVector<f64, 2>) -> f64 {
    (w.dot(x) + b).tanh().powi(2)
}

#[test]
fn hessian_over_several_parameters_matches_differences_of_the_gradient() {
    let (w, b, x) = (Vector2::new(-3.0, 1.0), 6.88, Vector2::new(2.0, 0.0));
    let h = neuron::hessian(&w, b, &x);
    // Columns: derivatives of the gradient (w0, w1, b) along each coordinate.
    let grad = |c: &[f64]| {
        let g = neuron::grad(&Vector2::new(c[0], c[1]), c[2], &x).1;
        vec![g.w[0], g.w[1], g.b]
    };
    let base = [w[0], w[1], b];
    let step = 1e-6;
    for j in 0..3 {
        let (mut up, mut down) = (base, base);
        up[j] += step;
        down[j] -= step;
        let column: Vec<f64> = grad(&up)
            .iter()
            .zip(grad(&down))
            .map(|(u, d)| (u - d) / (2.0 * step))
            .collect();
        assert_close(
            h.column(j).as_slice(),
            &column,
            1e-6,
            "neuron hessian column",
        );
    }
    // The direction in `hvp` is a `Grad`: here along b only.
    let along_b = neuron::Grad {
        w: Vector2::zeros(),
        b: 1.0,
    };
    let (_, _, hb) = neuron::hvp(&w, b, &x, &along_b);
    assert_close(
        &[hb.w[0], hb.w[1], hb.b],
        h.column(2).as_slice(),
        1e-15,
        "hvp = H e_b",
    );
}

/// A tanh layer with a loop, a branch and a `map`: the constructs whose second
/// order goes through closures.
#[differentiable]
fn layer_loss(w: &SMatrix<f64, 3, 2>, x: &SVector<f64, 2>) -> f64 {
    let h = (w * x).map(|v| v.tanh());
    let mut s = 0.0;
    for i in 0..3 {
        s += if h[i] > 0.0 { h[i] * h[i] } else { -h[i] };
    }
    s
}

#[test]
fn hvp_and_hessian_allocate_nothing() {
    let w = SMatrix::<f64, 3, 2>::new(0.3, -0.5, 0.8, 0.1, -0.4, 0.9);
    let x = Vector2::new(0.7, -1.1);
    let dir = layer_loss::Grad {
        w: SMatrix::repeat(0.5),
        x: Vector2::new(1.0, -2.0),
    };
    let before = counts();
    let (_, _, hv) = layer_loss::hvp(&w, &x, &dir);
    let h = layer_loss::hessian(&w, &x);
    let after = counts();
    assert_eq!(after.0 - before.0, 0, "hvp and hessian allocated");
    // The Hessian has 6 + 2 = 8 columns; `hvp` along `dir` is its product with
    // `dir`'s entries.
    assert_eq!(h.ncols(), 8);
    let d = SVector::<f64, 8>::from_iterator(dir.w.iter().chain(dir.x.iter()).copied());
    let hd = h * d;
    let hv: Vec<f64> = hv.w.iter().chain(hv.x.iter()).copied().collect();
    assert_close(&hv, hd.as_slice(), 1e-12, "H d");
    // The counter does see allocations: the test cannot pass vacuously.
    let v = vec![1.0f64; 4];
    assert!(counts().0 > after.0);
    drop(v);
}

/// Generic functions get `hvp` too (not `hessian`, whose size must be a constant).
#[differentiable]
fn generic_cubic<T: RealField + Copy, const N: usize>(v: &SVector<T, N>) -> T {
    let mut s = v[0] * v[0] * v[0];
    for i in 1..N {
        s += v[i - 1] * v[i] * v[i];
    }
    s
}

#[test]
fn hvp_of_generic_functions_in_f32_and_f64() {
    let v = Vector3::new(0.5, -1.0, 2.0);
    let e = |i: usize| generic_cubic::Grad {
        v: Vector3::from_fn(|r, _| if r == i { 1.0 } else { 0.0 }),
    };
    // Closed form: s = v0^3 + v0 v1^2 + v1 v2^2.
    let expected = Matrix3::new(
        6.0 * v[0],
        2.0 * v[1],
        0.0,
        2.0 * v[1],
        2.0 * v[0],
        2.0 * v[2],
        0.0,
        2.0 * v[2],
        2.0 * v[1],
    );
    for j in 0..3 {
        let (_, _, h) = generic_cubic::hvp(&v, &e(j));
        assert_close(
            h.v.as_slice(),
            expected.column(j).as_slice(),
            1e-15,
            "f64 column",
        );
        let v32 = v.map(|x| x as f32);
        let e32 = generic_cubic::Grad {
            v: e(j).v.map(|x| x as f32),
        };
        let (_, _, h32) = generic_cubic::hvp(&v32, &e32);
        let h32: Vec<f64> = h32.v.iter().map(|&x| f64::from(x)).collect();
        assert_close(&h32, expected.column(j).as_slice(), 1e-6, "f32 column");
    }
}
