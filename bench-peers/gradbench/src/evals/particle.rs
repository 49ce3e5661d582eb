//! GradBench's `particle` eval (Pearlmutter and Siskind): a particle of unit mass
//! and charge starts at `(0, 8)` with velocity `(0.75, 0)` in the potential of
//! two unit charges at `(10, 10 - w)` and `(10, 0)`,
//!
//! ```text
//! p(x; w) = 1 / |x - (10, 10 - w)| + 1 / |x - (10, 0)|,     x'' = -grad_x p(x; w)
//! ```
//!
//! integrated by Euler's method with `dt = 0.1` (position first, with the old
//! velocity) until the next position would have `x_1 <= 0`; from the last
//! position above the axis, the crossing is extrapolated along the velocity, and
//! the miss is `x_0(t_f)^2`. The output is `argmin_w` of the miss by the
//! gradient descent of `descent.rs` from the input's `w`. The force inside the
//! integration is itself a gradient (of `p` in `x`), and the descent
//! differentiates the integration in `w`: nested AD. The four functions name
//! the mode of the outer derivative (in `w`), then that of the force.
//!
//! Static: [`miss_r`] and [`miss_f`] are `#[differentiable]` (a `loop` left by
//! `break` on a condition of the state, so the trip count depends on `w`); the
//! force is a function with a custom rule whose body is `potential::grad`
//! (reverse) or two `potential::jvp` (forward) and whose pullback is
//! `potential::hvp`, as in `saddle.rs`. The outer derivative is `grad` or `jvp`.
//!
//! Tape: the force by `autograd::grad` with `create_graph` (reverse) or the
//! double-backward trick (forward, see `saddle.rs`), the outer derivative the
//! same way through the recorded integration.

use super::descent::{argmin, unit};
use super::saddle::{tape_gradient, Mode};
use autograd::nalgebra::{SVector, Vector1, Vector2};
use autograd::prelude::*;

/// The electric potential of the two charges at `x`.
#[differentiable]
pub fn potential(x: Vector2<f64>, w: f64) -> f64 {
    let a = x - Vector2::new(10.0, 10.0 - w);
    let b = x - Vector2::new(10.0, 0.0);
    1.0 / a.norm() + 1.0 / b.norm()
}

/// The pullback of `(x, w) -> -grad_x p(x; w)` with cotangent `u`: minus the
/// Hessian of `p` applied to `(u, 0)`.
fn force_pullback(x: Vector2<f64>, w: f64, u: Vector2<f64>) -> potential::Grad {
    let (_, _, hu) = potential::hvp(x, w, &potential::Grad { x: u, w: 0.0 });
    potential::Grad { x: -hu.x, w: -hu.w }
}

/// The force `-grad_x p(x; w)`, by reverse mode.
#[differentiable(vjp = force_r_pullback)]
pub fn force_r(x: Vector2<f64>, w: f64) -> Vector2<f64> {
    -potential::grad(x, w).1.x
}

fn force_r_pullback(x: Vector2<f64>, w: f64, u: Vector2<f64>) -> force_r::Grad {
    let g = force_pullback(x, w, u);
    force_r::Grad { x: g.x, w: g.w }
}

/// The force `-grad_x p(x; w)`, by forward mode (one `jvp` per coordinate).
#[differentiable(vjp = force_f_pullback)]
pub fn force_f(x: Vector2<f64>, w: f64) -> Vector2<f64> {
    let along = |i| -potential::jvp(x, w, &potential::Grad { x: unit(i), w: 0.0 }).1;
    Vector2::new(along(0), along(1))
}

fn force_f_pullback(x: Vector2<f64>, w: f64, u: Vector2<f64>) -> force_f::Grad {
    let g = force_pullback(x, w, u);
    force_f::Grad { x: g.x, w: g.w }
}

/// The miss `x_0(t_f)^2` for the control `w`, one function per force.
macro_rules! miss {
    ($(#[$doc:meta])* $name:ident, $force:ident) => {
        $(#[$doc])*
        #[differentiable]
        pub fn $name(w: f64) -> f64 {
            let dt = 0.1;
            let mut x = Vector2::new(0.0, 8.0);
            let mut v = Vector2::new(0.75, 0.0);
            loop {
                let a = $force(x, w);
                let next: Vector2<f64> = x + dt * v;
                if next[1] > 0.0 {
                    x = next;
                    v += dt * a;
                } else {
                    break;
                }
            }
            let dt_f = -x[1] / v[1];
            let x_f = x + dt_f * v;
            x_f[0] * x_f[0]
        }
    };
}

miss!(
    /// The miss with the force by reverse mode.
    miss_r,
    force_r
);
miss!(
    /// The miss with the force by forward mode.
    miss_f,
    force_f
);

macro_rules! descend {
    ($f:ident, $outer:expr, $w0:expr) => {
        argmin(
            |w: &Vector1<f64>| $f(w[0]),
            |w: &Vector1<f64>| {
                Vector1::new(match $outer {
                    Mode::Reverse => $f::grad(w[0]).1.w,
                    Mode::Forward => $f::jvp(w[0], &$f::Grad { w: 1.0 }).1,
                })
            },
            Vector1::new($w0),
        )[0]
    };
}

/// The control `w` that makes the particle hit the origin, from `w0`.
pub fn static_particle(w0: f64, outer: Mode, inner: Mode) -> f64 {
    match inner {
        Mode::Reverse => descend!(miss_r, outer, w0),
        Mode::Forward => descend!(miss_f, outer, w0),
    }
}

fn tape_potential(x: &Tensor, w: &Tensor) -> Tensor {
    let ten = Tensor::from_vec(vec![10.0f64], &[1]);
    let near = Tensor::cat(&[ten.clone(), (w * -1.0 + 10.0).reshape(&[1])], 0);
    let far = Tensor::from_vec(vec![10.0f64, 0.0], &[2]);
    (x - near).norm().recip() + (x - far).norm().recip()
}

/// The miss on the tape; the force's gradients are recorded when `graph`.
pub fn tape_miss(w: &Tensor, inner: Mode, graph: bool) -> Tensor {
    let dt = 0.1;
    let mut x = Tensor::from_vec(vec![0.0f64, 8.0], &[2]).requires_grad_(true);
    let mut v = Tensor::from_vec(vec![0.75f64, 0.0], &[2]);
    loop {
        let a = -tape_gradient(inner, &tape_potential(&x, w), &x, graph);
        let next = &x + &v * dt;
        if next.narrow(0, 1, 1).item() > 0.0 {
            x = next;
            v += a * dt;
        } else {
            break;
        }
    }
    let x1 = x.narrow(0, 1, 1);
    let v1 = v.narrow(0, 1, 1);
    let x_f = &x - &v * (x1 / v1);
    let x0 = x_f.narrow(0, 0, 1).sum();
    &x0 * &x0
}

/// The control `w` that makes the particle hit the origin, from `w0`.
pub fn tape_particle(w0: f64, outer: Mode, inner: Mode) -> f64 {
    let scalar = |w: &SVector<f64, 1>| Tensor::scalar(w[0]);
    argmin(
        |w| tape_miss(&scalar(w), inner, false).item(),
        |w| {
            let w = scalar(w).requires_grad_(true);
            let miss = tape_miss(&w, inner, true);
            let g = match outer {
                Mode::Reverse => autograd::grad(&miss, &w, None, false, false),
                Mode::Forward => {
                    // d miss / dw by the double-backward trick (see saddle.rs).
                    let u = miss.zeros_like().requires_grad_(true);
                    let jtu = autograd::grad(&miss, &w, Some(std::slice::from_ref(&u)), true, true)
                        .expect("the miss depends on w")
                        .remove(0);
                    autograd::grad(&jtu, &u, None, false, false)
                }
            };
            Vector1::new(g.expect("the miss depends on w")[0].item())
        },
        Vector1::new(w0),
    )[0]
}
