//! Custom rules: `#[differentiable(vjp = PULLBACK)]` on a function whose body the
//! engine does not differentiate (a solver, an FFI call), in the spirit of
//! `jax.custom_vjp`. The user's pullback is used by `grad`, `vjp`, `jacobian` and
//! by every differentiable caller; forward mode is exact (one pullback per output
//! entry); second order through it panics with a message naming it.

use autograd::nalgebra::{Matrix2, SVector, Vector2};
use autograd::prelude::*;
use autograd::testing::{assert_close, directional_derivative, numeric_gradient};
use proptest::prelude::*;

/// `sqrt(a)` by Newton's iteration, opaque to the engine (a `while` loop).
#[differentiable(vjp = sqrt_pullback)]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a.max(1.0);
    while (x * x - a).abs() > 1e-15 * a.max(1.0) {
        x = 0.5 * (x + a / x);
    }
    x
}

/// d sqrt(a) = da / (2 sqrt(a)).
fn sqrt_pullback(a: f64, g: f64) -> newton_sqrt::Grad {
    newton_sqrt::Grad {
        a: g * 0.5 / newton_sqrt(a),
    }
}

/// A rotation of `v` by `theta`, with a hand-written pullback; `v` by reference.
#[differentiable(vjp = rotate_pullback)]
fn rotate(theta: f64, v: &SVector<f64, 2>) -> SVector<f64, 2> {
    let (s, c) = theta.sin_cos();
    Matrix2::new(c, -s, s, c) * v
}

fn rotate_pullback(theta: f64, v: &SVector<f64, 2>, g: SVector<f64, 2>) -> rotate::Grad {
    let (s, c) = theta.sin_cos();
    let r = Matrix2::new(c, -s, s, c);
    let dr = Matrix2::new(-s, -c, c, -s);
    rotate::Grad {
        theta: g.dot(&(dr * v)),
        v: r.transpose() * g,
    }
}

/// Callers compose the custom rules like any differentiable function.
#[differentiable]
fn caller(x: f64, y: f64) -> f64 {
    let r = newton_sqrt(x * x + y * y);
    let v = rotate(x, &Vector2::new(r, y));
    v[0] * v[1] + r
}

#[test]
fn grad_uses_the_pullback() {
    let (y, g) = newton_sqrt::grad(9.0);
    assert_eq!(y, 3.0);
    assert_eq!(g.a, 0.5 / 3.0);
}

#[test]
fn forward_mode_and_the_jacobian_are_exact() {
    let (theta, v) = (0.4, Vector2::new(1.5, -0.5));
    let (_, dy) = rotate::jvp(
        theta,
        &v,
        &rotate::Grad {
            theta: 1.0,
            v: Vector2::zeros(),
        },
    );
    let numeric = directional_derivative(|t: &f64| rotate(*t, &v), &theta, &1.0);
    assert_close(dy.as_slice(), &numeric, 1e-8, "jvp along theta");
    let jac = rotate::jacobian(theta, &v);
    let (s, c) = theta.sin_cos();
    assert_close(
        jac.column(0).as_slice(),
        (Matrix2::new(-s, -c, c, -s) * v).as_slice(),
        1e-15,
        "d/dtheta",
    );
    assert_close(jac.column(1).as_slice(), &[c, s], 1e-15, "d/dv0");
    assert_close(jac.column(2).as_slice(), &[-s, c], 1e-15, "d/dv1");
}

#[test]
#[should_panic(expected = "`newton_sqrt` has a custom vjp and no second derivative")]
fn second_order_through_a_custom_rule_panics() {
    #[differentiable]
    fn square_root_twice(a: f64) -> f64 {
        newton_sqrt(a) * 2.0
    }
    let _ = square_root_twice::hvp(4.0, &square_root_twice::Grad { a: 1.0 });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn callers_match_central_differences(x in -2.0f64..2.0, y in -2.0f64..2.0) {
        let (_, g) = caller::grad(x, y);
        let numeric = numeric_gradient(|p: &(f64, f64)| caller(p.0, p.1), &(x, y));
        assert_close(&[g.x, g.y], &numeric, 1e-6, "caller");
        let (_, dy) = caller::jvp(x, y, &caller::Grad { x: 0.3, y: -0.7 });
        let along = directional_derivative(|p: &(f64, f64)| caller(p.0, p.1), &(x, y), &(0.3, -0.7));
        assert_close(&[dy], &along, 1e-6, "caller jvp");
    }
}
