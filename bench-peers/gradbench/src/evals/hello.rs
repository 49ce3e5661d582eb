//! GradBench's `hello` eval: `square(x) = x^2` and its gradient `double(x) = 2x`.

use autograd::prelude::*;

#[differentiable]
pub fn square(x: f64) -> f64 {
    x * x
}

/// The gradient of [`square`] by the static engine.
pub fn static_double(x: f64) -> f64 {
    square::grad(x).1.x
}

pub fn tape_square(x: f64) -> f64 {
    let x = Tensor::scalar(x);
    (&x * &x).item()
}

pub fn tape_double(x: f64) -> f64 {
    let x = Tensor::scalar(x).requires_grad_(true);
    (&x * &x).backward().expect("backward of a scalar");
    x.grad().expect("x requires grad").item()
}
