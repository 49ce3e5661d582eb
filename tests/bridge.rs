//! The bridge: a `#[differentiable]` function as one node of the dynamic graph.

use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;
use autograd::testing::assert_close;

#[differentiable]
fn neuron(w: f64, b: f64, #[constant] x: f64, #[constant] y: f64) -> f64 {
    let p = (w * x + b).tanh();
    (y - p).powi(2)
}

#[differentiable]
fn layer(w: &SMatrix<f64, 2, 3>, x: &SVector<f64, 3>) -> SVector<f64, 2> {
    (w * x).map(|v| v.tanh())
}

#[test]
fn applied_neuron_gives_the_tutorial_gradient() {
    let w = Tensor::scalar(-0.5).requires_grad_(true);
    let b = Tensor::scalar(0.5).requires_grad_(true);
    let loss = neuron::apply(&w, &b, &Tensor::scalar(1.0), &Tensor::scalar(7.0));
    assert_eq!(loss.item(), 49.0);
    assert_eq!(loss.grad_fn().unwrap().name(), "neuronBackward");
    loss.backward().unwrap();
    assert_eq!(
        (w.grad().unwrap().item(), b.grad().unwrap().item()),
        (-14.0, -14.0)
    );
}

#[test]
fn tape_ops_and_an_applied_kernel_give_the_same_gradients() {
    let w_data: Vec<f64> = vec![0.1, -0.2, 0.3, 0.4, 0.5, -0.6];
    let x_data: Vec<f64> = vec![1.0, -2.0, 0.5];
    let target: Vec<f64> = vec![0.25, -0.5];

    // Op by op on the tape.
    let w1 = Tensor::from_vec(w_data.clone(), &[2, 3]).requires_grad_(true);
    let x1 = Tensor::from_vec(x_data.clone(), &[3, 1]).requires_grad_(true);
    let y1 = w1.matmul(&x1).tanh().reshape(&[2]);
    let loss1 = (y1 - Tensor::from_vec(target.clone(), &[2])).pow(2.0).sum();
    loss1.backward().unwrap();

    // The same layer as one applied static kernel inside the tape.
    let w2 = Tensor::from_vec(w_data, &[2, 3]).requires_grad_(true);
    let x2 = Tensor::from_vec(x_data, &[3]).requires_grad_(true);
    let y2 = layer::apply(&w2, &x2);
    assert_eq!(y2.shape(), &[2]);
    let loss2 = (y2 - Tensor::from_vec(target, &[2])).pow(2.0).sum();
    loss2.backward().unwrap();

    assert_close(&[loss2.item()], &[loss1.item()], 1e-14, "loss");
    assert_close(
        &w2.grad().unwrap().to_vec::<f64>(),
        &w1.grad().unwrap().to_vec::<f64>(),
        1e-12,
        "grad w",
    );
    assert_close(
        &x2.grad().unwrap().to_vec::<f64>(),
        &x1.grad().unwrap().to_vec::<f64>(),
        1e-12,
        "grad x",
    );
}

#[test]
fn a_model_mixing_tape_ops_and_a_kernel_trains() {
    // Fit y = tanh(W x) for fixed x to a target by gradient descent through `apply`.
    let w = Tensor::from_vec(vec![0.0_f64; 6], &[2, 3]).requires_grad_(true);
    let x = Tensor::from_vec(vec![1.0_f64, 0.5, -1.0], &[3]);
    let target = Tensor::from_vec(vec![0.5_f64, -0.3], &[2]);
    let mut last = f64::INFINITY;
    for _ in 0..200 {
        let loss = (layer::apply(&w, &x) - &target).pow(2.0).mean();
        last = loss.item();
        loss.backward().unwrap();
        no_grad(|| w.sub_(&(w.grad().unwrap() * 0.5)));
        w.zero_grad();
    }
    assert!(last < 1e-6, "loss after training {last}");
}

#[test]
fn mismatched_tensors_are_errors_naming_the_parameter() {
    let w = Tensor::from_vec(vec![0.0_f64; 6], &[3, 2]);
    let x = Tensor::from_vec(vec![0.0_f64; 3], &[3]);
    let err = layer::try_apply(&w, &x).unwrap_err().to_string();
    assert!(
        err.contains("layer::apply: parameter `w`")
            && err.contains("[2, 3]")
            && err.contains("[3, 2]"),
        "{err}"
    );

    let w32 = Tensor::zeros(&[2, 3]); // f32, but the function takes f64
    let err = layer::try_apply(&w32, &x).unwrap_err().to_string();
    assert!(
        err.contains("parameter `w`") && err.contains("F32"),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "parameter `x`")]
fn apply_panics_with_the_signature_error() {
    let w = Tensor::from_vec(vec![0.0_f64; 6], &[2, 3]);
    let _ = layer::apply(&w, &Tensor::from_vec(vec![0.0_f64; 4], &[4]));
}
