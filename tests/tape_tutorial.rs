//! Rust twins of the cells of PyTorch's autograd tutorials ("A Gentle
//! Introduction to torch.autograd", the 60-minute blitz "Autograd: automatic
//! differentiation", and micrograd's neuron), with the numbers they print.

use autograd::prelude::*;
use autograd::{BackwardOptions, Error};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * (1.0 + b.abs())
}

fn assert_all(t: &Tensor, expected: &[f64]) {
    let got = t.to_vec::<f64>();
    assert_eq!(got.len(), expected.len(), "{t}");
    for (g, e) in got.iter().zip(expected) {
        assert!(close(*g, *e), "got {got:?}, expected {expected:?}");
    }
}

#[test]
fn polynomial_derivative_at_two_is_330() {
    let x = Tensor::scalar(2.0).requires_grad_(true);
    let y = 9.0 * x.pow(4.0) + 2.0 * x.pow(3.0) + 3.0 * x.pow(2.0) + 6.0 * &x + 1.0;
    assert_eq!(y.item(), 9.0 * 16.0 + 16.0 + 12.0 + 12.0 + 1.0);
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().item(), 330.0);
}

#[test]
fn ones_plus_two_squared_summed() {
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    let y = &x + 2.0;
    assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
    let z = y.pow(2.0);
    assert_eq!(z.grad_fn().unwrap().name(), "PowBackward0");
    let out = z.sum();
    assert_eq!(out.grad_fn().unwrap().name(), "SumBackward0");
    assert_eq!(out.item(), 36.0);
    out.backward().unwrap();
    assert_all(&x.grad().unwrap(), &[6.0; 4]);
}

#[test]
fn blitz_mean_of_three_y_squared() {
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    let y = &x + 2.0;
    let z = &y * &y * 3.0;
    let out = z.mean();
    assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
    assert_eq!(z.grad_fn().unwrap().name(), "MulBackward0");
    assert_eq!(out.grad_fn().unwrap().name(), "MeanBackward0");
    assert_eq!(out.item(), 27.0);
    out.backward_with_options(None, BackwardOptions::default().retain_graph(true))
        .unwrap();
    assert_all(&x.grad().unwrap(), &[4.5; 4]);
    // A second backward through the kept graph accumulates.
    out.backward().unwrap();
    assert_all(&x.grad().unwrap(), &[9.0; 4]);
    // The graph is freed now.
    let err = out.backward().unwrap_err();
    assert!(matches!(err, Error::GraphFreed { .. }), "{err}");
    assert!(err.to_string().contains("retain_graph"), "{err}");
}

#[test]
fn accumulation_across_re_forwards_and_zero_grad() {
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    for expected in [4.5, 9.0] {
        let y = &x + 2.0;
        (&y * &y * 3.0).mean().backward().unwrap();
        assert_all(&x.grad().unwrap(), &[expected; 4]);
    }
    x.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
fn vector_jacobian_product_of_three_x_squared() {
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0], &[3]).requires_grad_(true);
    let y = 3.0 * x.pow(2.0);
    let v = Tensor::from_vec(vec![0.1f32, 1.0, 10.0], &[3]);
    y.backward_with(&v).unwrap();
    assert_all(&x.grad().unwrap(), &[0.6, 6.0, 60.0]);
}

#[test]
fn doubling_loop_vjp() {
    autograd::manual_seed(0);
    let x = Tensor::randn(&[3]).requires_grad_(true);
    let mut y = &x * 2.0;
    let mut k = 1;
    while y.norm().item() < 1000.0 {
        y *= 2.0;
        k += 1;
    }
    let v = Tensor::from_vec(vec![0.1f32, 1.0, 0.0001], &[3]);
    y.backward_with(&v).unwrap();
    let scale = 2f64.powi(k);
    let expected: Vec<f64> = v.to_vec::<f64>().iter().map(|g| g * scale).collect();
    assert_all(&x.grad().unwrap(), &expected);
    assert_all(
        &y,
        &x.to_vec::<f64>()
            .iter()
            .map(|v| v * scale)
            .collect::<Vec<_>>(),
    );
}

#[test]
fn no_grad_and_detach_flags() {
    let x = Tensor::randn(&[2, 2]).requires_grad_(true);
    assert!(x.requires_grad() && x.is_leaf());
    assert!((&x * 2.0).requires_grad());
    let y = no_grad(|| x.pow(2.0));
    assert!(!y.requires_grad());
    assert!(y.grad_fn().is_none());
    let d = x.detach();
    assert!(!d.requires_grad());
    assert_eq!(d.to_vec::<f32>(), x.to_vec::<f32>());
    let b = Tensor::randn(&[2, 2]);
    assert!(!b.requires_grad());
    assert!(!(&b * &b).requires_grad());
    let c = (&b * &b).requires_grad_(true);
    assert!(c.requires_grad() && c.is_leaf());
}

#[test]
fn tanh_neuron_matches_micrograd() {
    let w = Tensor::scalar(-0.5).requires_grad_(true);
    let b = Tensor::scalar(0.5).requires_grad_(true);
    let (x, y) = (Tensor::scalar(1.0), Tensor::scalar(7.0));
    let p = (&w * &x + &b).tanh();
    assert_eq!(p.grad_fn().unwrap().name(), "TanhBackward0");
    let loss = (&y - &p).pow(2.0);
    assert_eq!(loss.grad_fn().unwrap().name(), "PowBackward0");
    assert_eq!(loss.item(), 49.0);
    loss.backward().unwrap();
    assert_eq!(w.grad().unwrap().item(), -14.0);
    assert_eq!(b.grad().unwrap().item(), -14.0);
    assert!(x.grad().is_none());
}

#[test]
fn backward_of_a_matrix_needs_a_gradient() {
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    let y = &x * 2.0;
    let err = y.backward().unwrap_err();
    assert!(
        err.to_string()
            .contains("grad can be implicitly created only for scalar outputs"),
        "{err}"
    );
    assert!(x.grad().is_none());
}

#[test]
fn non_leaves_keep_no_grad_unless_retained() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    let y = &x * 3.0;
    let z = &x * 4.0;
    z.retain_grad();
    (&y * &z).sum().backward().unwrap();
    assert!(y.grad().is_none());
    assert_all(&z.grad().unwrap(), &[3.0, 3.0]);
    assert_all(&x.grad().unwrap(), &[24.0, 24.0]);
}

#[test]
fn next_functions_end_in_accumulate_grad() {
    let a = Tensor::ones(&[2]).requires_grad_(true);
    let b = Tensor::ones(&[2]);
    let c = (&a * &b).sum();
    let sum = c.grad_fn().unwrap();
    let next = sum.next_functions();
    assert_eq!(next.len(), 1);
    let mul = next[0].clone().unwrap();
    assert_eq!(mul.name(), "MulBackward0");
    let inputs = mul.next_functions();
    assert_eq!(inputs[0].as_ref().unwrap().name(), "AccumulateGrad");
    assert!(inputs[0].as_ref().unwrap().variable().unwrap().same(&a));
    assert!(inputs[1].is_none());
}
