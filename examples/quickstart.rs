//! The tour of the README: the same models through both engines.
//!
//! 1. The tanh neuron of the PyTorch tutorials, differentiated at compile time by
//!    `#[differentiable]` and recorded at run time on the `Tensor` tape.
//! 2. The thermometer calibration of "Deep Learning with PyTorch" (chapter 5):
//!    5000 epochs of plain gradient descent with the generated gradient.
//!
//! Run with `cargo run --release --example quickstart`.

use autograd::nalgebra::SVector;
use autograd::prelude::*;

#[path = "data/thermometer.rs"]
mod thermometer;

/// `(y - tanh(w x + b))^2`: a neuron and its squared error.
#[differentiable]
fn neuron(w: f64, b: f64, #[constant] x: f64, #[constant] y: f64) -> f64 {
    let p = (w * x + b).tanh();
    (y - p).powi(2)
}

/// `mean((w t_u + b - t_c)^2)`: the thermometer's linear model and its loss.
#[differentiable]
fn thermometer_loss(
    w: f64,
    b: f64,
    #[constant] t_u: &SVector<f64, 11>,
    #[constant] t_c: &SVector<f64, 11>,
) -> f64 {
    let t_p = t_u * w + SVector::repeat(b);
    (t_p - t_c).map(|d| d * d).mean()
}

fn main() -> Result<(), autograd::Error> {
    println!("== the tanh neuron, w = -0.5, b = 0.5, x = 1, y = 7");
    let (loss, g) = neuron::grad(-0.5, 0.5, 1.0, 7.0);
    println!(
        "static engine  loss {loss:>6}   dL/dw {:>6}   dL/db {:>6}",
        g.w, g.b
    );

    let w = Tensor::scalar(-0.5).requires_grad_(true);
    let b = Tensor::scalar(0.5).requires_grad_(true);
    let (x, y) = (Tensor::scalar(1.0), Tensor::scalar(7.0));
    let loss = (&y - (&w * &x + &b).tanh()).pow(2.0);
    loss.backward()?;
    let (gw, gb) = (w.grad().map(|t| t.item()), b.grad().map(|t| t.item()));
    let name = loss
        .grad_fn()
        .map(|n| n.name().to_string())
        .unwrap_or_default();
    println!(
        "dynamic tape   loss {:>6}   dL/dw {:>6}   dL/db {:>6}   grad_fn {name}",
        loss.item(),
        gw.unwrap_or(f64::NAN),
        gb.unwrap_or(f64::NAN)
    );

    println!("\n== thermometer calibration, gradient descent at lr 1e-2 on 0.1 * t_u");
    let t_u = SVector::from(thermometer::T_U) * 0.1;
    let t_c = SVector::from(thermometer::T_C);
    let (mut w, mut b) = (1.0, 0.0);
    for epoch in 1..=5000 {
        let (loss, g) = thermometer_loss::grad(w, b, &t_u, &t_c);
        w -= 1e-2 * g.w;
        b -= 1e-2 * g.b;
        if epoch == 1 || epoch % 1000 == 0 {
            println!("epoch {epoch:>4}   loss {loss:>10.6}   w {w:>8.4}   b {b:>9.4}");
        }
    }
    println!("the book's epoch 5000: loss 2.927648, params [5.3671, -17.3012]");
    Ok(())
}
