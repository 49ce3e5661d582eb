//! The scalar functions of the table beyond the activations (`tan` .. `cbrt`, the
//! two-operand `atan2`, `hypot`, `log`, the desugared `mul_add` and `clamp`, the
//! piecewise-constant `floor` .. `signum`), checked two ways:
//!
//! - each rule on its own: its derivative against central differences of its
//!   value, its second derivative against central differences of its derivative
//!   (what `hvp` and `hessian` use), on random points of its domain;
//! - through `#[differentiable]`: `grad` against central differences of the
//!   user's function, `jvp` against a directional difference, and `hessian`
//!   against central differences of `grad`.

use autograd::__private::rules::{
    Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Cbrt, Ceil, Cosh, Exp2, ExpM1, Floor, Hypot,
    Ln1p, Log, Log10, Log2, Round, ScalarFn, ScalarFn2, Signum, Sinh, Tan, Trunc,
};
use autograd::nalgebra::{SMatrix, Vector2};
use autograd::prelude::*;
use autograd::testing::{
    assert_close, central_difference, directional_derivative, numeric_gradient, Flat, STEP,
};
use proptest::prelude::*;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

/// The central difference of `f` at `x`, entry by entry.
fn diff(f: impl Fn(f64) -> Vec<f64>, x: f64) -> Vec<f64> {
    central_difference(|t| f(x + t), STEP * x.abs().max(1.0))
}

/// `F'` against the difference of `F`, `F''` against the difference of `F'`.
fn scalar_rule<F: ScalarFn>(x: f64) {
    let d = F::derivative(x, F::value(x));
    let fd = diff(|t| vec![F::value(t)], x)[0];
    assert_close(&[d], &[fd], TOL, &format!("{} at {x}", F::NAME));
    let dd = F::second_derivative(x, F::value(x));
    let fdd = diff(|t| vec![F::derivative(t, F::value(t))], x)[0];
    assert_close(&[dd], &[fdd], TOL, &format!("{}'' at {x}", F::NAME));
}

/// The partials against differences of `F`, the second partials against
/// differences of the partials.
fn binary_rule<F: ScalarFn2>(a: f64, b: f64) {
    let (fa, fb) = F::partials(a, b, F::value(a, b));
    let fda = diff(|t| vec![F::value(t, b)], a)[0];
    let fdb = diff(|t| vec![F::value(a, t)], b)[0];
    assert_close(
        &[fa, fb],
        &[fda, fdb],
        TOL,
        &format!("{} at {a}, {b}", F::NAME),
    );
    let p = |a: f64, b: f64| F::partials(a, b, F::value(a, b));
    let (faa, fab, fbb) = F::second_partials(a, b, F::value(a, b));
    let along_a = diff(|t| vec![p(t, b).0, p(t, b).1], a);
    let along_b = diff(|t| vec![p(a, t).1], b);
    assert_close(
        &[faa, fab, fbb],
        &[along_a[0], along_a[1], along_b[0]],
        TOL,
        &format!("{}'' at {a}, {b}", F::NAME),
    );
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn smooth_scalar_rules(x in -2.0..2.0f64, u in -0.9..0.9f64, big in 1.05..4.0f64,
                           p in 0.1..4.0f64) {
        scalar_rule::<Tan>(u * 1.5);
        scalar_rule::<Asin>(u);
        scalar_rule::<Acos>(u);
        scalar_rule::<Atan>(x);
        scalar_rule::<Sinh>(x);
        scalar_rule::<Cosh>(x);
        scalar_rule::<Asinh>(x);
        scalar_rule::<Acosh>(big);
        scalar_rule::<Atanh>(u);
        scalar_rule::<Exp2>(x);
        scalar_rule::<ExpM1>(x);
        scalar_rule::<Ln1p>(u);
        scalar_rule::<Log2>(p);
        scalar_rule::<Log10>(p);
        scalar_rule::<Cbrt>(if x.abs() < 0.1 { x + 0.5 } else { x });
    }

    #[test]
    fn two_operand_rules(a in -2.0..2.0f64, b in -2.0..2.0f64, p in 0.2..4.0f64,
                         base in 1.3..6.0f64) {
        prop_assume!(a * a + b * b > 0.05);
        binary_rule::<Atan2>(a, b);
        binary_rule::<Hypot>(a, b);
        binary_rule::<Log>(p, base);
        binary_rule::<Log>(p, 1.0 / base);
    }

    #[test]
    fn piecewise_constant_rules_have_derivative_zero(x in -5.0..5.0f64) {
        let zeros = [
            Floor::derivative(x, x.floor()),
            Ceil::derivative(x, x.ceil()),
            Round::derivative(x, x.round()),
            Trunc::derivative(x, x.trunc()),
            Signum::derivative(x, x.signum()),
        ];
        prop_assert_eq!(zeros, [0.0; 5]);
        prop_assert_eq!(Floor::value(x), x.floor());
        prop_assert_eq!(Round::value(x), x.round());
        prop_assert_eq!(Signum::value(x), x.signum());
    }
}

// ---------------------------------------------------------------------------
// Through the macro

/// The inverse trigonometric and hyperbolic functions in one body.
#[differentiable]
fn trig(x: f64, y: f64) -> f64 {
    let s = x.tan() + y.asin() * x.acos() - x.atan();
    let h = x.sinh() * y.cosh() + x.asinh() - y.atanh();
    let c = (x * x + 1.5).acosh();
    s * h + c
}

/// Exponentials and logarithms with their accurate variants.
#[differentiable]
fn logs(x: f64, y: f64) -> f64 {
    let e = x.exp2() + y.exp_m1() * 2.0;
    let l = (x * x).ln_1p() + (y + 3.0).log2() - (x + 4.0).log10();
    e * l + (x * x + 0.5).cbrt()
}

/// The polar angle and radius of a point, with a logarithm to a base that is
/// itself differentiated.
#[differentiable]
fn polar(p: &Vector2<f64>, base: f64) -> f64 {
    let angle = p[1].atan2(p[0]);
    let radius = p[0].hypot(p[1]);
    angle * radius + radius.log(base)
}

/// `mul_add`, `clamp` and the piecewise-constant functions: the last scale a
/// smooth value, so their zero derivative is visible through the product rule.
#[differentiable]
fn steps(x: f64, y: f64, #[constant] lo: f64) -> f64 {
    let fused = x.mul_add(y, 0.5);
    let clamped = (x * 3.0).clamp(lo, 2.0);
    let k = x.floor() + y.ceil() * 2.0 + (x * 4.0).round() - y.trunc() + x.signum();
    fused * clamped + k * x * y
}

/// The functions in a generic body in `f32` and `f64`.
#[differentiable]
fn generic<T: autograd::nalgebra::RealField + Copy>(x: T, y: T) -> T {
    x.atan2(y) + x.cbrt() * y.tan() + x.hypot(y).ln_1p()
}

fn check_grad<X: Flat + Copy>(what: &str, f: impl Fn(&X) -> f64, x: X, g: &[f64]) {
    let numeric = numeric_gradient(f, &x);
    assert_close(g, &numeric, TOL, what);
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn trig_and_hyperbolic_through_the_macro(x in -0.8..0.8f64, y in -0.8..0.8f64) {
        let (v, g) = trig::grad(x, y);
        prop_assert_eq!(v, trig(x, y));
        check_grad("trig", |p: &(f64, f64)| trig(p.0, p.1), (x, y), &[g.x, g.y]);
        let h = trig::hessian(x, y);
        let grad = |p: &(f64, f64)| { let g = trig::grad(p.0, p.1).1; (g.x, g.y) };
        let c0 = directional_derivative(grad, &(x, y), &(1.0, 0.0));
        let c1 = directional_derivative(grad, &(x, y), &(0.0, 1.0));
        assert_close(h.as_slice(), &[c0[0], c0[1], c1[0], c1[1]], 1e-5, "trig hessian");
    }

    #[test]
    fn exponentials_and_logarithms_through_the_macro(x in -1.5..1.5f64, y in -0.9..1.5f64,
                                                     dx in -1.0..1.0f64, dy in -1.0..1.0f64) {
        let (v, g) = logs::grad(x, y);
        prop_assert_eq!(v, logs(x, y));
        check_grad("logs", |p: &(f64, f64)| logs(p.0, p.1), (x, y), &[g.x, g.y]);
        let (_, t) = logs::jvp(x, y, &logs::Grad { x: dx, y: dy });
        let fd = directional_derivative(|p: &(f64, f64)| logs(p.0, p.1), &(x, y), &(dx, dy))[0];
        assert_close(&[t], &[fd], TOL, "logs jvp");
    }

    #[test]
    fn atan2_hypot_and_log_through_the_macro(a in 0.3..2.0f64, b in -2.0..2.0f64,
                                             base in 1.5..5.0f64) {
        let p = Vector2::new(a, b);
        let (v, g) = polar::grad(&p, base);
        prop_assert_eq!(v, polar(&p, base));
        check_grad(
            "polar",
            |x: &(Vector2<f64>, f64)| polar(&x.0, x.1),
            (p, base),
            &[g.p[0], g.p[1], g.base],
        );
        let h: SMatrix<f64, 3, 3> = polar::hessian(&p, base);
        let grad = |x: &(Vector2<f64>, f64)| {
            let g = polar::grad(&x.0, x.1).1;
            (g.p, g.base)
        };
        for j in 0..3 {
            let mut e = (Vector2::zeros(), 0.0);
            if j < 2 { e.0[j] = 1.0 } else { e.1 = 1.0 }
            let col = directional_derivative(grad, &(p, base), &e);
            assert_close(h.column(j).as_slice(), &col, 1e-5, "polar hessian");
        }
    }

    #[test]
    fn mul_add_clamp_and_steps_through_the_macro(x in -1.5..1.5f64, y in -1.5..1.5f64) {
        // Away from the jumps of the step functions and the bounds of `clamp`.
        let near = |v: f64, step: f64| ((v / step) - (v / step).round()).abs() < 0.02;
        prop_assume!(!near(x, 1.0) && !near(y, 1.0) && !near(x * 4.0, 1.0) && !near(x + 0.5, 1.0));
        prop_assume!(!near(x * 3.0 + 0.25, 1.0) && (x * 3.0 - 2.0).abs() > 0.05);
        let lo = -0.25;
        let (v, g) = steps::grad(x, y, lo);
        prop_assert!((v - steps(x, y, lo)).abs() <= 1e-15 * (1.0 + v.abs()));
        check_grad("steps", |p: &(f64, f64)| steps(p.0, p.1, lo), (x, y), &[g.x, g.y]);
    }

    #[test]
    fn the_functions_in_f32_agree_with_f64(x in 0.2..1.2f64, y in 0.2..1.2f64) {
        let (v64, g64) = generic::grad(x, y);
        let (v32, g32) = generic::grad(x as f32, y as f32);
        assert_close(&[v32 as f64, g32.x as f64, g32.y as f64], &[v64, g64.x, g64.y], 1e-4, "f32");
        check_grad("generic", |p: &(f64, f64)| generic(p.0, p.1), (x, y), &[g64.x, g64.y]);
    }
}

#[test]
fn closed_forms_at_chosen_points() {
    // d/dx atan2(y, x) = -y / (x^2 + y^2), d/dy = x / (x^2 + y^2) at (3, 4): r^2 = 25.
    let (v, g) = polar::grad(&Vector2::new(3.0, 4.0), std::f64::consts::E);
    let r = 5.0_f64;
    assert_eq!(v, (4.0_f64).atan2(3.0) * r + r.ln());
    let dangle = Vector2::new(-4.0 / 25.0, 3.0 / 25.0);
    let dradius = Vector2::new(3.0 / 5.0, 4.0 / 5.0);
    let angle = 4.0_f64.atan2(3.0);
    let expected = dangle * r + dradius * (angle + 1.0 / r);
    assert_close(g.p.as_slice(), expected.as_slice(), 1e-14, "atan2/hypot");
    // d/dbase ln r / ln base at base = e: -ln r / e.
    assert_close(
        &[g.base],
        &[-r.ln() / std::f64::consts::E],
        1e-14,
        "log base",
    );
    // clamp at a bound passes half the gradient to `x`, as a max/min tie does
    // (PyTorch's clamp would pass all of it): at x = 0, y = 1.5, lo = 0,
    // d/dx (x y + 0.5) clamp(3x, 0, 2) = 0.5 * 3 / 2, and the steps give k y with
    // k = floor 0 + 2 ceil 1.5 + round 0 - trunc 1.5 + signum 0 = 4.
    let (_, g) = steps::grad(0.0, 1.5, 0.0);
    assert_eq!(g.x, 0.75 + 4.0 * 1.5);
}
