//! Every derivative rule of the static engine, checked on its own.
//!
//! For each rule and each implementation (scalar-scalar, scalar-matrix,
//! matrix-scalar, matrix-matrix, every unary function on scalars and on matrices of
//! several shapes), proptest draws inputs and a cotangent `u`, and the rule's
//! pullback must equal the gradient of `x -> <u, plain(x)>` by central finite
//! differences, where `plain` is the ordinary `f64`/nalgebra expression the rule
//! stands for (so the reference never goes through the rule itself). Each rule's
//! `value` must also equal that plain expression.
//!
//! Inputs are kept away from kinks and singularities (ties of `max`/`min`, zero for
//! `abs`/`relu`, non-positive bases of `ln`/`sqrt`/`recip`/`powf`, small divisors);
//! the conventions at the kinks are then pinned with exact assertions (PyTorch's:
//! `relu'(0) = abs'(0) = 0`, a binary max/min tie splits `g` in half, a max/min
//! reduction shares `g` evenly among the tied entries).

use autograd::__private::rules::{
    fill_cotangent, new_arg_cotangent, Abs, AddRule, ComponentDivRule, ComponentMulRule, Cos,
    DivRule, DotRule, ExpRule, IndexRule, Ln, MaxEntryRule, MaxRule, MeanRule, MinEntryRule,
    MinRule, MulRule, NegRule, NormRule, NormSquaredRule, PowfRule, PowiRule, Recip, Relu, Sigmoid,
    Sin, Softplus, Sqrt, SubRule, SumRule, Tanh, TransposeRule, Unary,
};
use autograd::nalgebra::SMatrix;
use autograd::testing::{assert_close, central_gradient, check_vjp};
use proptest::prelude::*;
use proptest::strategy::Union;

type M<const R: usize, const C: usize> = SMatrix<f64, R, C>;

/// Relative tolerance of the finite-difference comparisons (the central
/// differences are accurate to about 1e-9 on these inputs).
const TOL: f64 = 1e-6;
/// Relative tolerance of value comparisons where the rule and the plain expression
/// are computed by different but equivalent formulas (sigmoid, softplus).
const VALUE_TOL: f64 = 1e-14;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(32)
}

// ---------------------------------------------------------------------------
// Strategies

/// Any value in `[-2, 2]`.
fn val() -> impl Strategy<Value = f64> + Clone {
    -2.0..2.0
}

/// A value of magnitude in `[lo, hi]` and either sign: away from zero.
fn away(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    Union::new([(lo..hi).boxed(), (-hi..-lo).boxed()])
}

/// A positive value in `[lo, hi]`.
fn pos(lo: f64, hi: f64) -> impl Strategy<Value = f64> + Clone {
    lo..hi
}

/// A matrix whose entries are drawn from `entry`.
fn mat<const R: usize, const C: usize>(
    entry: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = M<R, C>> {
    prop::collection::vec(entry, R * C).prop_map(|v| M::<R, C>::from_column_slice(&v))
}

/// A matrix whose largest and smallest entries are each unique by a margin far wider
/// than the finite-difference step.
fn mat_distinct_extremes<const R: usize, const C: usize>() -> impl Strategy<Value = M<R, C>> {
    mat::<R, C>(val()).prop_filter("extremes must be unique", |m| {
        let mut v: Vec<f64> = m.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        v.len() < 2 || (v[1] - v[0] > 1e-3 && v[v.len() - 1] - v[v.len() - 2] > 1e-3)
    })
}

/// Two scalars at least 0.05 apart, in random order.
fn distinct_pair() -> impl Strategy<Value = (f64, f64)> {
    (val(), 0.05..1.0, any::<bool>()).prop_map(|(a, d, up)| (a, if up { a + d } else { a - d }))
}

// ---------------------------------------------------------------------------
// Generic checks, shared by every shape

/// A unary rule on a matrix against `x.map(plain)`.
fn unary_mat<F, const R: usize, const C: usize>(
    what: &str,
    plain: fn(f64) -> f64,
    exact: bool,
    x: M<R, C>,
    u: M<R, C>,
) where
    M<R, C>: Unary<F>,
{
    let out = <M<R, C> as Unary<F>>::value(&x);
    let expected = x.map(plain);
    if exact {
        assert_eq!(out, expected, "{what}: value");
    } else {
        assert_close(out.as_slice(), expected.as_slice(), VALUE_TOL, what);
    }
    let g = <M<R, C> as Unary<F>>::pullback(&x, &out, &u);
    check_vjp(what, |x: &M<R, C>| x.map(plain), &x, &u, &g, TOL);
}

/// A unary rule on a scalar against `plain`.
fn unary_scalar<F>(what: &str, plain: fn(f64) -> f64, exact: bool, x: f64, u: f64)
where
    f64: Unary<F>,
{
    let out = <f64 as Unary<F>>::value(&x);
    if exact {
        assert_eq!(out, plain(x), "{what}: value at {x}");
    } else {
        assert_close(&[out], &[plain(x)], VALUE_TOL, what);
    }
    let g = <f64 as Unary<F>>::pullback(&x, &out, &u);
    check_vjp(what, |x: &f64| plain(*x), &x, &u, &g, TOL);
}

/// The same unary rule in `f32` agrees with the `f64` one (the rules are generic
/// over the scalar type).
fn unary_f32_agrees<F>(what: &str, x: f64, u: f64)
where
    f64: Unary<F>,
    f32: Unary<F>,
{
    let out64 = <f64 as Unary<F>>::value(&x);
    let g64 = <f64 as Unary<F>>::pullback(&x, &out64, &u);
    let (x32, u32) = (x as f32, u as f32);
    let out32 = <f32 as Unary<F>>::value(&x32);
    let g32 = <f32 as Unary<F>>::pullback(&x32, &out32, &u32);
    assert_close(
        &[out32 as f64, g32 as f64],
        &[out64, g64],
        1e-4,
        &format!("{what} in f32"),
    );
}

fn plain_sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn plain_softplus(x: f64) -> f64 {
    (1.0 + x.exp()).ln()
}

fn plain_relu(x: f64) -> f64 {
    x.max(0.0)
}

/// Every element-wise unary rule on one matrix shape. Domains: `ln`, `sqrt` and
/// `recip` on positive entries; `abs` and `relu` away from zero; `softplus` below
/// its threshold of 20 (checked above it separately).
fn all_unary_mat<const R: usize, const C: usize>(x: M<R, C>, p: M<R, C>, u: M<R, C>) {
    unary_mat::<Tanh, R, C>("tanh", f64::tanh, true, x, u);
    unary_mat::<Sin, R, C>("sin", f64::sin, true, x, u);
    unary_mat::<Cos, R, C>("cos", f64::cos, true, x, u);
    unary_mat::<Sigmoid, R, C>("sigmoid", plain_sigmoid, false, x * 4.0, u);
    unary_mat::<Softplus, R, C>("softplus", plain_softplus, false, x * 4.0, u);
    unary_mat::<Ln, R, C>("ln", f64::ln, true, p, u);
    unary_mat::<Sqrt, R, C>("sqrt", f64::sqrt, true, p, u);
    unary_mat::<Recip, R, C>("recip", f64::recip, true, p, u);
}

fn check_add<const R: usize, const C: usize>(a: M<R, C>, b: M<R, C>, u: M<R, C>) {
    let out = AddRule::value(&a, &b);
    assert_eq!(out, a + b);
    let (ga, gb) = AddRule::pullback(&a, &b, &out, &u);
    check_vjp(
        "add",
        |x: &(M<R, C>, M<R, C>)| x.0 + x.1,
        &(a, b),
        &u,
        &(ga, gb),
        TOL,
    );
}

fn check_sub<const R: usize, const C: usize>(a: M<R, C>, b: M<R, C>, u: M<R, C>) {
    let out = SubRule::value(&a, &b);
    assert_eq!(out, a - b);
    let (ga, gb) = SubRule::pullback(&a, &b, &out, &u);
    check_vjp(
        "sub",
        |x: &(M<R, C>, M<R, C>)| x.0 - x.1,
        &(a, b),
        &u,
        &(ga, gb),
        TOL,
    );
}

fn check_neg<const R: usize, const C: usize>(a: M<R, C>, u: M<R, C>) {
    let out = NegRule::value(&a);
    assert_eq!(out, -a);
    let ga = NegRule::pullback(&a, &out, &u);
    check_vjp("neg", |x: &M<R, C>| -x, &a, &u, &ga, TOL);
}

fn check_mul_scalar_mat<const R: usize, const C: usize>(s: f64, m: M<R, C>, u: M<R, C>) {
    let out = <f64 as MulRule<M<R, C>>>::value(&s, &m);
    assert_eq!(out, m * s);
    let (gs, gm) = <f64 as MulRule<M<R, C>>>::pullback(&s, &m, &out, &u);
    check_vjp(
        "scalar * matrix",
        |x: &(f64, M<R, C>)| x.1 * x.0,
        &(s, m),
        &u,
        &(gs, gm),
        TOL,
    );
}

fn check_mul_mat_scalar<const R: usize, const C: usize>(m: M<R, C>, s: f64, u: M<R, C>) {
    let out = <M<R, C> as MulRule<f64>>::value(&m, &s);
    assert_eq!(out, m * s);
    let (gm, gs) = <M<R, C> as MulRule<f64>>::pullback(&m, &s, &out, &u);
    check_vjp(
        "matrix * scalar",
        |x: &(M<R, C>, f64)| x.0 * x.1,
        &(m, s),
        &u,
        &(gm, gs),
        TOL,
    );
}

fn check_div_mat_scalar<const R: usize, const C: usize>(m: M<R, C>, s: f64, u: M<R, C>) {
    let out = <M<R, C> as DivRule<f64>>::value(&m, &s);
    assert_eq!(out, m / s);
    let (gm, gs) = <M<R, C> as DivRule<f64>>::pullback(&m, &s, &out, &u);
    check_vjp(
        "matrix / scalar",
        |x: &(M<R, C>, f64)| x.0 / x.1,
        &(m, s),
        &u,
        &(gm, gs),
        TOL,
    );
}

fn check_matmul<const R: usize, const K: usize, const C: usize>(
    a: M<R, K>,
    b: M<K, C>,
    u: M<R, C>,
) {
    let out = <M<R, K> as MulRule<M<K, C>>>::value(&a, &b);
    assert_eq!(out, a * b);
    let (ga, gb) = <M<R, K> as MulRule<M<K, C>>>::pullback(&a, &b, &out, &u);
    check_vjp(
        "matrix product",
        |x: &(M<R, K>, M<K, C>)| x.0 * x.1,
        &(a, b),
        &u,
        &(ga, gb),
        TOL,
    );
}

fn check_component_mul<const R: usize, const C: usize>(a: M<R, C>, b: M<R, C>, u: M<R, C>) {
    let out = ComponentMulRule::value(&a, &b);
    assert_eq!(out, a.component_mul(&b));
    let (ga, gb) = ComponentMulRule::pullback(&a, &b, &out, &u);
    let f = |x: &(M<R, C>, M<R, C>)| x.0.component_mul(&x.1);
    check_vjp("component_mul", f, &(a, b), &u, &(ga, gb), TOL);
}

fn check_component_div<const R: usize, const C: usize>(a: M<R, C>, b: M<R, C>, u: M<R, C>) {
    let out = ComponentDivRule::value(&a, &b);
    assert_eq!(out, a.component_div(&b));
    let (ga, gb) = ComponentDivRule::pullback(&a, &b, &out, &u);
    let f = |x: &(M<R, C>, M<R, C>)| x.0.component_div(&x.1);
    check_vjp("component_div", f, &(a, b), &u, &(ga, gb), TOL);
}

fn check_dot<const R: usize, const C: usize>(a: M<R, C>, b: M<R, C>, u: f64) {
    let out = DotRule::value(&a, &b);
    assert_eq!(out, a.dot(&b));
    let (ga, gb) = DotRule::pullback(&a, &b, &out, &u);
    check_vjp(
        "dot",
        |x: &(M<R, C>, M<R, C>)| x.0.dot(&x.1),
        &(a, b),
        &u,
        &(ga, gb),
        TOL,
    );
}

fn check_transpose<const R: usize, const C: usize>(a: M<R, C>, u: M<C, R>) {
    let out = TransposeRule::value(&a);
    assert_eq!(out, a.transpose());
    let ga = TransposeRule::pullback(&a, &out, &u);
    check_vjp("transpose", |x: &M<R, C>| x.transpose(), &a, &u, &ga, TOL);
}

/// `sum`, `mean`, `norm`, `norm_squared`, `max()` and `min()` of one matrix (with
/// unique extremes).
fn check_reductions<const R: usize, const C: usize>(a: M<R, C>, u: f64) {
    let out = SumRule::value(&a);
    assert_eq!(out, a.sum());
    let ga = SumRule::pullback(&a, &out, &u);
    check_vjp("sum", |x: &M<R, C>| x.sum(), &a, &u, &ga, TOL);

    let out = MeanRule::value(&a);
    assert_eq!(out, a.mean());
    let ga = MeanRule::pullback(&a, &out, &u);
    check_vjp("mean", |x: &M<R, C>| x.mean(), &a, &u, &ga, TOL);

    let out = NormRule::value(&a);
    assert_eq!(out, a.norm());
    let ga = NormRule::pullback(&a, &out, &u);
    check_vjp("norm", |x: &M<R, C>| x.norm(), &a, &u, &ga, TOL);

    let out = NormSquaredRule::value(&a);
    assert_eq!(out, a.norm_squared());
    let ga = NormSquaredRule::pullback(&a, &out, &u);
    check_vjp(
        "norm_squared",
        |x: &M<R, C>| x.norm_squared(),
        &a,
        &u,
        &ga,
        TOL,
    );

    let plain_max = |x: &M<R, C>| x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let out = MaxEntryRule::value(&a);
    assert_eq!(out, plain_max(&a), "max entry of {a}");
    let ga = MaxEntryRule::pullback(&a, &out, &u);
    check_vjp("max entry", plain_max, &a, &u, &ga, TOL);

    let plain_min = |x: &M<R, C>| x.iter().copied().fold(f64::INFINITY, f64::min);
    let out = MinEntryRule::value(&a);
    assert_eq!(out, plain_min(&a), "min entry of {a}");
    let ga = MinEntryRule::pullback(&a, &out, &u);
    check_vjp("min entry", plain_min, &a, &u, &ga, TOL);
}

/// `abs` and `relu` on entries away from zero.
fn check_kinked_unary<const R: usize, const C: usize>(x: M<R, C>, u: M<R, C>) {
    unary_mat::<Abs, R, C>("abs", f64::abs, true, x, u);
    // nalgebra's own `abs` is what `m.abs()` computes in user code.
    assert_eq!(<M<R, C> as Unary<Abs>>::value(&x), x.abs());
    unary_mat::<Relu, R, C>("relu", plain_relu, true, x, u);
}

/// `m[i]` (column-major) and `m[(r, c)]` at every index.
fn check_index<const R: usize, const C: usize>(a: M<R, C>, u: f64) {
    for i in 0..R * C {
        let out = IndexRule::<usize>::value(&a, i);
        assert_eq!(out, a.as_slice()[i]);
        let ga = IndexRule::<usize>::pullback(&a, i, &out, &u);
        check_vjp("index", |x: &M<R, C>| x[i], &a, &u, &ga, TOL);
    }
    for r in 0..R {
        for c in 0..C {
            let out = IndexRule::<(usize, usize)>::value(&a, (r, c));
            assert_eq!(out, a.as_slice()[c * R + r]);
            let ga = IndexRule::<(usize, usize)>::pullback(&a, (r, c), &out, &u);
            check_vjp("index (r, c)", |x: &M<R, C>| x[(r, c)], &a, &u, &ga, TOL);
        }
    }
}

/// The constructors' cotangents: `SMatrix::new(..)` takes its arguments row by
/// row, `from_element`/`repeat` put one scalar everywhere.
fn check_constructors<const R: usize, const C: usize>(args: M<R, C>, u: M<R, C>) {
    // `SMatrix::new(v0, v1, ..)` is `from_row_slice(&[v0, v1, ..])`.
    let row_major: Vec<f64> = args.transpose().as_slice().to_vec();
    assert_eq!(M::<R, C>::from_row_slice(&row_major), args);
    let gs: Vec<f64> = (0..R * C).map(|k| new_arg_cotangent(&u, k)).collect();
    let numeric = central_gradient(|v| u.dot(&M::<R, C>::from_row_slice(v)), &row_major);
    assert_close(&gs, &numeric, TOL, "new_arg_cotangent");

    let s = args[0];
    let gs = fill_cotangent(&u);
    check_vjp(
        "from_element",
        |x: &f64| M::<R, C>::from_element(*x),
        &s,
        &u,
        &gs,
        TOL,
    );
    check_vjp("repeat", |x: &f64| M::<R, C>::repeat(*x), &s, &u, &gs, TOL);
}

macro_rules! shape_tests {
    ($($name:ident: $r:literal x $c:literal),* $(,)?) => {$(
        mod $name {
            use super::*;
            const R: usize = $r;
            const C: usize = $c;

            proptest! {
                #![proptest_config(cfg())]

                #[test]
                fn add_sub_neg(a in mat::<R, C>(val()), b in mat::<R, C>(val()),
                               u in mat::<R, C>(val())) {
                    check_add(a, b, u);
                    check_sub(a, b, u);
                    check_neg(a, u);
                }

                #[test]
                fn scalar_products(m in mat::<R, C>(val()), s in val(), u in mat::<R, C>(val())) {
                    check_mul_scalar_mat(s, m, u);
                    check_mul_mat_scalar(m, s, u);
                }

                #[test]
                fn div_by_scalar(m in mat::<R, C>(val()), s in away(0.3, 3.0),
                                 u in mat::<R, C>(val())) {
                    check_div_mat_scalar(m, s, u);
                }

                #[test]
                fn component_mul_div(a in mat::<R, C>(val()), b in mat::<R, C>(val()),
                                     d in mat::<R, C>(away(0.3, 3.0)),
                                     u in mat::<R, C>(val())) {
                    check_component_mul(a, b, u);
                    check_component_div(a, d, u);
                }

                #[test]
                fn dot(a in mat::<R, C>(val()), b in mat::<R, C>(val()), u in val()) {
                    check_dot(a, b, u);
                }

                #[test]
                fn transpose(a in mat::<R, C>(val()), u in mat::<C, R>(val())) {
                    check_transpose(a, u);
                }

                #[test]
                fn reductions(a in mat_distinct_extremes::<R, C>(), u in val()) {
                    check_reductions(a, u);
                }

                #[test]
                fn index(a in mat::<R, C>(val()), u in val()) {
                    check_index(a, u);
                }

                #[test]
                fn constructors(a in mat::<R, C>(val()), u in mat::<R, C>(val())) {
                    check_constructors(a, u);
                }

                #[test]
                fn smooth_unary(x in mat::<R, C>(val()), p in mat::<R, C>(pos(0.2, 4.0)),
                                u in mat::<R, C>(val())) {
                    all_unary_mat(x, p, u);
                }

                #[test]
                fn abs_relu(x in mat::<R, C>(away(0.01, 2.0)), u in mat::<R, C>(val())) {
                    check_kinked_unary(x, u);
                }
            }
        }
    )*};
}

shape_tests!(
    shape_1x1: 1 x 1,
    shape_2x3: 2 x 3,
    shape_3x2: 3 x 2,
    shape_4x4: 4 x 4,
    shape_1x5: 1 x 5,
    shape_5x1: 5 x 1,
);

macro_rules! matmul_tests {
    ($($name:ident: $r:literal x $k:literal x $c:literal),* $(,)?) => {
        proptest! {
            #![proptest_config(cfg())]
            $(
                #[test]
                fn $name(a in mat::<$r, $k>(val()), b in mat::<$k, $c>(val()),
                         u in mat::<$r, $c>(val())) {
                    check_matmul::<$r, $k, $c>(a, b, u);
                }
            )*
        }
    };
}

matmul_tests!(
    matmul_1x1x1: 1 x 1 x 1,
    matmul_2x3x4: 2 x 3 x 4,
    matmul_3x2x1: 3 x 2 x 1,
    matmul_1x5x1: 1 x 5 x 1,
    matmul_5x1x5: 5 x 1 x 5,
    matmul_4x4x4: 4 x 4 x 4,
    matmul_2x2x3: 2 x 2 x 3,
    matmul_3x4x2: 3 x 4 x 2,
);

// ---------------------------------------------------------------------------
// Scalar-scalar rules

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn scalar_add_sub_mul_neg(a in val(), b in val(), u in val()) {
        let out = AddRule::value(&a, &b);
        assert_eq!(out, a + b);
        let g = AddRule::pullback(&a, &b, &out, &u);
        check_vjp("scalar add", |x: &(f64, f64)| x.0 + x.1, &(a, b), &u, &g, TOL);

        let out = SubRule::value(&a, &b);
        assert_eq!(out, a - b);
        let g = SubRule::pullback(&a, &b, &out, &u);
        check_vjp("scalar sub", |x: &(f64, f64)| x.0 - x.1, &(a, b), &u, &g, TOL);

        let out = <f64 as MulRule>::value(&a, &b);
        assert_eq!(out, a * b);
        let g = <f64 as MulRule>::pullback(&a, &b, &out, &u);
        check_vjp("scalar mul", |x: &(f64, f64)| x.0 * x.1, &(a, b), &u, &g, TOL);

        let out = NegRule::value(&a);
        assert_eq!(out, -a);
        let g = NegRule::pullback(&a, &out, &u);
        check_vjp("scalar neg", |x: &f64| -x, &a, &u, &g, TOL);
    }

    #[test]
    fn scalar_div(a in val(), b in away(0.3, 3.0), u in val()) {
        let out = <f64 as DivRule>::value(&a, &b);
        assert_eq!(out, a / b);
        let g = <f64 as DivRule>::pullback(&a, &b, &out, &u);
        check_vjp("scalar div", |x: &(f64, f64)| x.0 / x.1, &(a, b), &u, &g, TOL);
    }

    #[test]
    fn scalar_exp(x in -4.0..4.0f64, u in val()) {
        let out = ExpRule::value(&x);
        assert_eq!(out, x.exp());
        let g = ExpRule::pullback(&x, &out, &u);
        check_vjp("exp", |x: &f64| x.exp(), &x, &u, &g, TOL);
    }

    #[test]
    fn scalar_powf(a in pos(0.2, 3.0), p in -2.5..2.5f64, u in val()) {
        let out = PowfRule::value(&a, &p);
        assert_eq!(out, a.powf(p));
        let g = PowfRule::pullback(&a, &p, &out, &u);
        check_vjp("powf", |x: &(f64, f64)| x.0.powf(x.1), &(a, p), &u, &g, TOL);
    }

    #[test]
    fn scalar_powi(x in away(0.3, 2.0), n in -3i32..=5, u in val()) {
        let out = PowiRule::value(&x, n);
        // Rust leaves the rounding of `powi` unspecified, even between two calls.
        assert_close(&[out], &[x.powi(n)], 1e-15, "powi value");
        let g = PowiRule::pullback(&x, n, &out, &u);
        check_vjp(&format!("powi({n})"), |x: &f64| x.powi(n), &x, &u, &g, TOL);
    }

    #[test]
    fn scalar_max_min((a, b) in distinct_pair(), u in val()) {
        let out = MaxRule::value(&a, &b);
        assert_eq!(out, a.max(b));
        let g = MaxRule::pullback(&a, &b, &out, &u);
        check_vjp("max", |x: &(f64, f64)| x.0.max(x.1), &(a, b), &u, &g, TOL);

        let out = MinRule::value(&a, &b);
        assert_eq!(out, a.min(b));
        let g = MinRule::pullback(&a, &b, &out, &u);
        check_vjp("min", |x: &(f64, f64)| x.0.min(x.1), &(a, b), &u, &g, TOL);
    }

    #[test]
    fn scalar_smooth_unary(x in val(), p in pos(0.2, 4.0), u in val()) {
        unary_scalar::<Tanh>("tanh", f64::tanh, true, x, u);
        unary_scalar::<Sin>("sin", f64::sin, true, x, u);
        unary_scalar::<Cos>("cos", f64::cos, true, x, u);
        unary_scalar::<Sigmoid>("sigmoid", plain_sigmoid, false, x * 4.0, u);
        unary_scalar::<Softplus>("softplus", plain_softplus, false, x * 4.0, u);
        unary_scalar::<Ln>("ln", f64::ln, true, p, u);
        unary_scalar::<Sqrt>("sqrt", f64::sqrt, true, p, u);
        unary_scalar::<Recip>("recip", f64::recip, true, p, u);
    }

    #[test]
    fn scalar_abs_relu(x in away(0.01, 2.0), u in val()) {
        unary_scalar::<Abs>("abs", f64::abs, true, x, u);
        unary_scalar::<Relu>("relu", plain_relu, true, x, u);
    }

    #[test]
    fn sigmoid_softplus_in_the_tails(x in away(8.0, 19.0), u in val()) {
        unary_scalar::<Sigmoid>("sigmoid tail", plain_sigmoid, false, x, u);
        unary_scalar::<Softplus>("softplus tail", plain_softplus, false, x, u);
    }

    #[test]
    fn softplus_is_the_identity_above_20(x in 20.5..60.0f64, u in val()) {
        let out = <f64 as Unary<Softplus>>::value(&x);
        assert_eq!(out, x);
        assert_eq!(<f64 as Unary<Softplus>>::pullback(&x, &out, &u), u);
    }

    #[test]
    fn f32_rules_agree_with_f64(x in val(), p in pos(0.2, 4.0), u in val()) {
        unary_f32_agrees::<Tanh>("tanh", x, u);
        unary_f32_agrees::<Sin>("sin", x, u);
        unary_f32_agrees::<Cos>("cos", x, u);
        unary_f32_agrees::<Sigmoid>("sigmoid", x, u);
        unary_f32_agrees::<Softplus>("softplus", x, u);
        unary_f32_agrees::<Ln>("ln", p, u);
        unary_f32_agrees::<Sqrt>("sqrt", p, u);
        unary_f32_agrees::<Recip>("recip", p, u);
        unary_f32_agrees::<Abs>("abs", x, u);
        unary_f32_agrees::<Relu>("relu", x, u);
    }

    // ---- kink conventions, exactly ----

    #[test]
    fn binary_max_min_tie_splits_g_in_half(a in val(), g in val()) {
        assert_eq!(MaxRule::pullback(&a, &a, &a, &g), (g / 2.0, g / 2.0));
        assert_eq!(MinRule::pullback(&a, &a, &a, &g), (g / 2.0, g / 2.0));
    }

    #[test]
    fn binary_max_min_send_all_of_g_to_the_winner((a, b) in distinct_pair(), g in val()) {
        let (hi, lo) = (a.max(b), a.min(b));
        assert_eq!(MaxRule::pullback(&hi, &lo, &hi, &g), (g, 0.0));
        assert_eq!(MaxRule::pullback(&lo, &hi, &hi, &g), (0.0, g));
        assert_eq!(MinRule::pullback(&hi, &lo, &lo, &g), (0.0, g));
        assert_eq!(MinRule::pullback(&lo, &hi, &lo, &g), (g, 0.0));
    }

    #[test]
    fn max_min_entry_ties_share_g_evenly(
        base in mat::<4, 3>(-1.0..1.0),
        picks in prop::collection::btree_set(0usize..12, 2..6),
        g in val(),
    ) {
        let k = picks.len() as f64;
        let mut hi = base;
        let mut lo = base;
        for &i in &picks {
            hi[i] = 2.0;
            lo[i] = -2.0;
        }
        let expected = |m: &M<4, 3>, v: f64| m.map(|e| if e == v { g / k } else { 0.0 });
        assert_eq!(MaxEntryRule::pullback(&hi, &2.0, &g), expected(&hi, 2.0));
        assert_eq!(MinEntryRule::pullback(&lo, &-2.0, &g), expected(&lo, -2.0));
        assert_eq!(MaxEntryRule::value(&hi), 2.0);
        assert_eq!(MinEntryRule::value(&lo), -2.0);
    }
}

#[test]
fn relu_and_abs_have_zero_derivative_at_zero() {
    for g in [1.0, -2.5, 7.0] {
        assert_eq!(<f64 as Unary<Relu>>::pullback(&0.0, &0.0, &g), 0.0);
        assert_eq!(<f64 as Unary<Abs>>::pullback(&0.0, &0.0, &g), 0.0);
        assert_eq!(<f64 as Unary<Relu>>::pullback(&-0.0, &0.0, &g), 0.0);
        assert_eq!(<f64 as Unary<Abs>>::pullback(&-0.0, &0.0, &g), 0.0);
    }
    let x = M::<2, 2>::new(0.0, 1.5, -1.5, 0.0);
    let g = M::<2, 2>::new(3.0, 3.0, 3.0, 3.0);
    let relu = <M<2, 2> as Unary<Relu>>::value(&x);
    assert_eq!(
        <M<2, 2> as Unary<Relu>>::pullback(&x, &relu, &g),
        M::<2, 2>::new(0.0, 3.0, 0.0, 0.0)
    );
    let abs = <M<2, 2> as Unary<Abs>>::value(&x);
    assert_eq!(
        <M<2, 2> as Unary<Abs>>::pullback(&x, &abs, &g),
        M::<2, 2>::new(0.0, 3.0, -3.0, 0.0)
    );
    assert_eq!(<f64 as Unary<Relu>>::value(&-3.0), 0.0);
}

#[test]
fn binary_max_min_ties_exactly() {
    assert_eq!(MaxRule::pullback(&1.0, &1.0, &1.0, &3.0), (1.5, 1.5));
    assert_eq!(MinRule::pullback(&-2.0, &-2.0, &-2.0, &-1.0), (-0.5, -0.5));
    assert_eq!(MaxRule::pullback(&0.0, &-0.0, &0.0, &2.0), (1.0, 1.0));
}

#[test]
fn max_entry_ties_share_evenly_exactly() {
    let m = M::<2, 3>::new(1.0, 3.0, 3.0, 2.0, 3.0, -1.0);
    let g = MaxEntryRule::pullback(&m, &3.0, &6.0);
    assert_eq!(g, M::<2, 3>::new(0.0, 2.0, 2.0, 0.0, 2.0, 0.0));
    let m = M::<1, 4>::new(-5.0, 0.0, -5.0, 4.0);
    let g = MinEntryRule::pullback(&m, &-5.0, &1.0);
    assert_eq!(g, M::<1, 4>::new(0.5, 0.0, 0.5, 0.0));
    // No tie: everything to the unique extreme.
    let m = M::<3, 1>::new(0.5, -0.25, 0.75);
    assert_eq!(
        MaxEntryRule::pullback(&m, &0.75, &2.0),
        M::<3, 1>::new(0.0, 0.0, 2.0)
    );
    assert_eq!(
        MinEntryRule::pullback(&m, &-0.25, &2.0),
        M::<3, 1>::new(0.0, 2.0, 0.0)
    );
}

#[test]
fn norm_at_zero_has_zero_subgradient() {
    let z = M::<2, 3>::zeros();
    assert_eq!(NormRule::value(&z), 0.0);
    assert_eq!(NormRule::pullback(&z, &0.0, &5.0), M::<2, 3>::zeros());
}

#[test]
fn powf_and_powi_edge_cases() {
    // d/dp a^p at a = 0 (p > 0): PyTorch returns 0 rather than 0 * ln 0 = NaN.
    let (ga, gp) = PowfRule::pullback(&0.0, &2.0, &0.0, &1.0);
    assert_eq!((ga, gp), (0.0, 0.0));
    // d/da a^0 = 0 everywhere (0 * a^-1 would be NaN at 0).
    let (ga, _) = PowfRule::pullback(&0.0, &0.0, &1.0, &1.0);
    assert_eq!(ga, 0.0);
    assert_eq!(PowiRule::pullback(&0.0, 0, &1.0, &1.0), 0.0);
    assert_eq!(PowiRule::pullback(&0.0, 1, &0.0, &3.0), 3.0);
    // powi is defined for negative bases: d/dx x^3 at -2 is 12.
    assert_eq!(PowiRule::pullback(&-2.0, 3, &-8.0, &1.0), 12.0);
}

#[test]
fn softplus_follows_pytorch_threshold() {
    // Identity (derivative 1) strictly above 20, the smooth formula at and below.
    assert_eq!(<f64 as Unary<Softplus>>::value(&25.0), 25.0);
    assert_eq!(<f64 as Unary<Softplus>>::pullback(&25.0, &25.0, &2.0), 2.0);
    let at = <f64 as Unary<Softplus>>::value(&20.0);
    assert!(at > 20.0 && at - 20.0 < 1e-8);
    let d = <f64 as Unary<Softplus>>::pullback(&20.0, &at, &1.0);
    assert!(d < 1.0 && 1.0 - d < 1e-8);
    // No overflow far below the threshold.
    let tiny = <f64 as Unary<Softplus>>::value(&-800.0);
    assert!((0.0..1e-300).contains(&tiny));
}

#[test]
fn constructor_cotangents_are_row_major() {
    let g = M::<2, 3>::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
    let got: Vec<f64> = (0..6).map(|k| new_arg_cotangent(&g, k)).collect();
    assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(fill_cotangent(&g), 21.0);
}
