//! GradBench's `lse` eval: `LSE(x) = a + log sum_i exp(x_i - a)` with `a = max x`.
//!
//! `x` has any length (up to 1.28 million in the eval), which the static engine
//! cannot take as one argument (no differentiated slices or `DVector`): it
//! differentiates the two scalar pieces, [`shifted_exp`] per element and
//! [`shift_log`] once, and plain Rust sums the first and chains the second's
//! gradient into each element's. `a` is a constant in both variants: the
//! derivative of LSE with respect to `a` is exactly 0.

use autograd::prelude::*;

/// `exp(x - a)`, one element's term.
#[differentiable]
pub fn shifted_exp(x: f64, #[constant] a: f64) -> f64 {
    (x - a).exp()
}

/// `a + ln(s)`, the outer step.
#[differentiable]
pub fn shift_log(s: f64, #[constant] a: f64) -> f64 {
    a + s.ln()
}

fn max(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

pub fn static_primal(x: &[f64]) -> f64 {
    let a = max(x);
    let s: f64 = x.iter().map(|&xi| shifted_exp(xi, a)).sum();
    shift_log(s, a)
}

pub fn static_gradient(x: &[f64]) -> Vec<f64> {
    let a = max(x);
    let mut s = 0.0;
    let mut g: Vec<f64> = x
        .iter()
        .map(|&xi| {
            let (e, g) = shifted_exp::grad(xi, a);
            s += e;
            g.x
        })
        .collect();
    let ds = shift_log::grad(s, a).1.s;
    for gi in &mut g {
        *gi *= ds;
    }
    g
}

fn tape_objective(x: &Tensor, a: f64) -> Tensor {
    (x - a).exp().sum().ln() + a
}

pub fn tape_primal(x: &[f64]) -> f64 {
    tape_objective(&Tensor::from_vec(x.to_vec(), &[x.len()]), max(x)).item()
}

pub fn tape_gradient(x: &[f64]) -> Vec<f64> {
    let t = Tensor::from_vec(x.to_vec(), &[x.len()]).requires_grad_(true);
    tape_objective(&t, max(x))
        .backward()
        .expect("backward of a scalar");
    t.grad().expect("x requires grad").to_vec::<f64>()
}
