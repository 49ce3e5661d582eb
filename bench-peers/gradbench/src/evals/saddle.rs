//! GradBench's `saddle` eval (Pearlmutter and Siskind): the saddle point of
//!
//! ```text
//! f(p1, p2) = (p1_0^2 + p1_1^2) - (p2_0^2 + p2_1^2)
//! ```
//!
//! as `r1 = argmin_{p1} max_{p2} f(p1, p2)`, then `r2 = argmax_{p2} f(r1, p2)`,
//! every optimisation by the gradient descent of `descent.rs` from the input's
//! `start`. The outer derivative (of `p1 -> max_{p2} f(p1, p2)`) goes through the
//! whole inner descent, gradients included: nested AD. The four functions name
//! the mode of the outer derivative (and of step 2's), then the inner one:
//! `rf` is the outer gradient by reverse mode through an inner descent whose
//! gradients are by forward mode.
//!
//! Static: the inner descent is a `#[differentiable]` function (its loop,
//! branches and `break`s lowered by the macro), calling the inner gradient as a
//! function with a custom rule (`#[differentiable(vjp = ..)]`): its body is
//! `objective::grad` (reverse) or two `objective::jvp` (forward), its pullback
//! the Hessian-vector product `objective::hvp` (forward over reverse), since a
//! differentiable body cannot call a generated `grad` itself. The outer
//! gradient is `grad` (reverse) or one `jvp` per coordinate (forward) of that
//! function. So the second derivatives come from `hvp` in all four variants; the
//! engine has no forward-over-forward mode.
//!
//! Tape: the inner gradient by `autograd::grad` with `create_graph` (reverse), or
//! by the double-backward trick (forward: the tape has no forward mode; as
//! `torch.autograd.functional.jvp`, `J v` is the derivative in `u` of `(J^T u)
//! . v`), and the outer derivative the same way through the recorded graph.

use super::descent::{argmax, argmin, unit};
use autograd::nalgebra::Vector2;
use autograd::prelude::*;

/// Which mode of AD computes a gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Forward,
    Reverse,
}

/// The function names of the eval: the outer mode, then the inner one.
pub fn modes(function: &str) -> Option<(Mode, Mode)> {
    let mode = |c| match c {
        'f' => Some(Mode::Forward),
        'r' => Some(Mode::Reverse),
        _ => None,
    };
    let mut cs = function.chars();
    let (outer, inner) = (mode(cs.next()?)?, mode(cs.next()?)?);
    cs.next().is_none().then_some((outer, inner))
}

#[differentiable]
pub fn objective(p1: Vector2<f64>, p2: Vector2<f64>) -> f64 {
    (p1[0] * p1[0] + p1[1] * p1[1]) - (p2[0] * p2[0] + p2[1] * p2[1])
}

/// The pullback of `(p1, p2) -> -d f / d p2` with cotangent `u`: minus the
/// Hessian of `f` applied to `(0, u)`, which is `(d^2 f / dp1 dp2 u, d^2 f / dp2^2 u)`.
fn inner_grad_pullback(p1: Vector2<f64>, p2: Vector2<f64>, u: Vector2<f64>) -> objective::Grad {
    let tangent = objective::Grad {
        p1: Vector2::zeros(),
        p2: u,
    };
    let (_, _, hu) = objective::hvp(p1, p2, &tangent);
    objective::Grad {
        p1: -hu.p1,
        p2: -hu.p2,
    }
}

/// The gradient in `p2` of `-f`, which the inner descent follows, by reverse mode.
#[differentiable(vjp = inner_grad_r_pullback)]
pub fn inner_grad_r(p1: Vector2<f64>, p2: Vector2<f64>) -> Vector2<f64> {
    -objective::grad(p1, p2).1.p2
}

fn inner_grad_r_pullback(
    p1: Vector2<f64>,
    p2: Vector2<f64>,
    u: Vector2<f64>,
) -> inner_grad_r::Grad {
    let g = inner_grad_pullback(p1, p2, u);
    inner_grad_r::Grad { p1: g.p1, p2: g.p2 }
}

/// The gradient in `p2` of `-f` by forward mode, one `jvp` per coordinate.
#[differentiable(vjp = inner_grad_f_pullback)]
pub fn inner_grad_f(p1: Vector2<f64>, p2: Vector2<f64>) -> Vector2<f64> {
    let along = |i| {
        let tangent = objective::Grad {
            p1: Vector2::zeros(),
            p2: unit(i),
        };
        -objective::jvp(p1, p2, &tangent).1
    };
    Vector2::new(along(0), along(1))
}

fn inner_grad_f_pullback(
    p1: Vector2<f64>,
    p2: Vector2<f64>,
    u: Vector2<f64>,
) -> inner_grad_f::Grad {
    let g = inner_grad_pullback(p1, p2, u);
    inner_grad_f::Grad { p1: g.p1, p2: g.p2 }
}

/// `max_{p2} f(p1, p2)` by the inner descent (of `-f`, from `start`), written out
/// in the static language so that the outer derivative goes through it; one
/// function per inner gradient.
macro_rules! inner_max {
    ($(#[$doc:meta])* $name:ident, $inner_grad:ident) => {
        $(#[$doc])*
        #[differentiable]
        pub fn $name(p1: Vector2<f64>, #[constant] start: Vector2<f64>) -> f64 {
            let mut x = start;
            let mut fx = -objective(p1, x);
            let mut gx = $inner_grad(p1, x);
            let mut eta = 1e-5;
            let mut i = 0;
            loop {
                if gx.norm() <= 1e-5 {
                    break;
                }
                if i == 10 {
                    eta *= 2.0;
                    i = 0;
                } else {
                    let next = x - eta * gx;
                    if (x - next).norm() <= 1e-5 {
                        break;
                    }
                    let f_next = -objective(p1, next);
                    if f_next < fx {
                        x = next;
                        fx = f_next;
                        gx = $inner_grad(p1, next);
                        i += 1;
                    } else {
                        eta /= 2.0;
                        i = 0;
                    }
                }
            }
            objective(p1, x)
        }
    };
}

inner_max!(
    /// The inner maximum with reverse-mode inner gradients.
    max_r,
    inner_grad_r
);
inner_max!(
    /// The inner maximum with forward-mode inner gradients.
    max_f,
    inner_grad_f
);

/// The gradient in `p1` of one of the inner-maximum functions, in `mode`.
macro_rules! outer_gradient {
    ($f:ident, $mode:expr, $p1:expr, $start:expr) => {
        match $mode {
            Mode::Reverse => $f::grad($p1, $start).1.p1,
            Mode::Forward => {
                let along = |i| $f::jvp($p1, $start, &$f::Grad { p1: unit(i) }).1;
                Vector2::new(along(0), along(1))
            }
        }
    };
}

/// `d f / d p2` at `(r1, p2)`, in `mode` (step 2).
fn step2_gradient(mode: Mode, r1: Vector2<f64>, p2: Vector2<f64>) -> Vector2<f64> {
    match mode {
        Mode::Reverse => objective::grad(r1, p2).1.p2,
        Mode::Forward => {
            let along = |i| {
                let tangent = objective::Grad {
                    p1: Vector2::zeros(),
                    p2: unit(i),
                };
                objective::jvp(r1, p2, &tangent).1
            };
            Vector2::new(along(0), along(1))
        }
    }
}

/// `r1` and `r2`, concatenated.
pub fn static_saddle(start: [f64; 2], outer: Mode, inner: Mode) -> [f64; 4] {
    let s = Vector2::from(start);
    let r1 = match inner {
        Mode::Reverse => argmin(
            |p1| max_r(*p1, s),
            |p1| outer_gradient!(max_r, outer, *p1, s),
            s,
        ),
        Mode::Forward => argmin(
            |p1| max_f(*p1, s),
            |p1| outer_gradient!(max_f, outer, *p1, s),
            s,
        ),
    };
    let r2 = argmax(
        |p2| objective(r1, *p2),
        |p2| step2_gradient(outer, r1, *p2),
        s,
    );
    [r1[0], r1[1], r2[0], r2[1]]
}

fn tape_objective(p1: &Tensor, p2: &Tensor) -> Tensor {
    (p1 * p1).sum() - (p2 * p2).sum()
}

pub fn tensor(v: &Vector2<f64>) -> Tensor {
    Tensor::from_vec(v.as_slice().to_vec(), &[2])
}

pub fn vector(t: &Tensor) -> Vector2<f64> {
    Vector2::from_column_slice(&t.to_vec::<f64>())
}

/// The gradient of the scalar `y` with respect to `x` (two entries) in `mode`,
/// itself recorded (differentiable) when `graph`. Every pass keeps the graph:
/// the outer derivative and later inner gradients run through it again.
pub fn tape_gradient(mode: Mode, y: &Tensor, x: &Tensor, graph: bool) -> Tensor {
    match mode {
        Mode::Reverse => autograd::grad(y, x, None, true, graph)
            .expect("y depends on x")
            .remove(0),
        Mode::Forward => {
            // J^T u with u a variable, then d/du of (J^T u) . e_i = J e_i.
            let u = y.zeros_like().requires_grad_(true);
            let jtu = autograd::grad(y, x, Some(std::slice::from_ref(&u)), true, true)
                .expect("y depends on x")
                .remove(0);
            let n = x.shape()[0];
            let along: Vec<Tensor> = (0..n)
                .map(|i| {
                    let ji = jtu.narrow(0, i, 1).sum();
                    autograd::grad(&ji, &u, None, true, graph)
                        .expect("J^T u depends on u")
                        .remove(0)
                        .reshape(&[1])
                })
                .collect();
            Tensor::cat(&along, 0)
        }
    }
}

/// `max_{p2} f(p1, p2)` by the inner descent on the tape, differentiable in `p1`
/// when `graph`.
pub fn tape_max(p1: &Tensor, start: &Vector2<f64>, inner: Mode, graph: bool) -> Tensor {
    let neg_f = |x: &Tensor| -tape_objective(p1, x);
    let mut x = tensor(start).requires_grad_(true);
    let mut fx = neg_f(&x);
    let mut gx = tape_gradient(inner, &fx, &x, graph);
    let (mut eta, mut i) = (1e-5, 0);
    loop {
        if gx.norm().item() <= 1e-5 {
            break;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
            continue;
        }
        let next = &x - &gx * eta;
        if (&x - &next).norm().item() <= 1e-5 {
            break;
        }
        let f_next = neg_f(&next);
        if f_next.item() < fx.item() {
            gx = tape_gradient(inner, &f_next, &next, graph);
            (x, fx) = (next, f_next);
            i += 1;
        } else {
            eta /= 2.0;
            i = 0;
        }
    }
    tape_objective(p1, &x)
}

/// `r1` and `r2`, concatenated.
pub fn tape_saddle(start: [f64; 2], outer: Mode, inner: Mode) -> [f64; 4] {
    let s = Vector2::from(start);
    let r1 = argmin(
        |p1| tape_max(&tensor(p1), &s, inner, false).item(),
        |p1| {
            let p1 = tensor(p1).requires_grad_(true);
            let v = tape_max(&p1, &s, inner, true);
            vector(&tape_gradient(outer, &v, &p1, false))
        },
        s,
    );
    let r1t = tensor(&r1);
    let r2 = argmax(
        |p2| tape_objective(&r1t, &tensor(p2)).item(),
        |p2| {
            let p2 = tensor(p2).requires_grad_(true);
            vector(&tape_gradient(
                outer,
                &tape_objective(&r1t, &p2),
                &p2,
                false,
            ))
        },
        s,
    );
    [r1[0], r1[1], r2[0], r2[1]]
}
