//! Static twins of the PyTorch tutorial results, and the generated gradients of the
//! benchmark workloads against their hand-written counterparts.

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use autograd::nalgebra::SVector;
use autograd::testing::assert_close;
use workloads::thermometer::{T_C, T_U};
use workloads::*;

#[test]
fn tanh_neuron_gives_the_tutorial_numbers() {
    // w = -0.5, b = 0.5, x = 1, y = 7: p = tanh(0) = 0, loss = 49, dL/dw = dL/db = -14.
    let (loss, g) = neuron::grad(-0.5, 0.5, 1.0, 7.0);
    assert_eq!(loss, 49.0);
    assert_eq!((g.w, g.b), (-14.0, -14.0));
}

#[test]
fn tanh_neuron_matches_the_closed_form_elsewhere() {
    for (w, b, x, y) in [
        (0.3_f64, -0.2, 1.5, 0.7),
        (-1.1, 0.4, -2.0, 3.0),
        (2.0, 1.0, 0.25, -1.0),
    ] {
        let p = (w * x + b).tanh();
        let closed = -2.0 * x * (y - p) * (1.0 - p * p);
        let (loss, g) = neuron::grad(w, b, x, y);
        assert_close(
            &[loss, g.w, g.b],
            &[(y - p).powi(2), closed, closed / x],
            1e-14,
            "neuron",
        );
    }
}

fn data() -> (SVector<f64, 11>, SVector<f64, 11>) {
    (SVector::from(T_U), SVector::from(T_C))
}

#[test]
fn thermometer_gradient_at_the_start_matches_pytorch() {
    let (t_u, t_c) = data();
    let (loss, g) = thermometer_loss::grad(1.0, 0.0, &t_u, &t_c);
    // PyTorch prints loss 1763.8846 and grad [4517.2969, 82.6000], computed in
    // float32: they agree with the f64 values to float32's precision.
    assert_close(
        &[loss, g.w, g.b],
        &[1763.8846, 4517.2969, 82.6],
        2e-7,
        "thermometer at (1, 0)",
    );
}

#[test]
fn thermometer_gradient_descent_matches_pytorch() {
    let (t_u, t_c) = data();
    let t_un = t_u * 0.1;
    let (mut w, mut b) = (1.0, 0.0);
    let mut loss = 0.0;
    for _ in 0..5000 {
        let (l, g) = thermometer_loss::grad(w, b, &t_un, &t_c);
        loss = l;
        w -= 1e-2 * g.w;
        b -= 1e-2 * g.b;
    }
    // "Deep Learning with PyTorch", section 5.4: epoch 5000, loss 2.927647,
    // params tensor([  5.3671, -17.3012]).
    assert!((loss - 2.927647).abs() < 5e-7, "loss {loss}");
    assert!(
        (w - 5.3671).abs() < 5e-5 && (b + 17.3012).abs() < 5e-5,
        "params {w} {b}"
    );
}

#[test]
fn generated_gradients_equal_the_hand_written_ones() {
    let (t_u, t_c) = data();
    let (l, g) = thermometer_loss::grad(0.7, -3.0, &t_u, &t_c);
    let (lh, gw, gb) = thermometer_by_hand(0.7, -3.0, &t_u, &t_c);
    assert_close(&[l, g.w, g.b], &[lh, gw, gb], 1e-13, "thermometer");

    let (l, g) = neuron::grad(0.3, -0.1, 1.7, 0.4);
    let (lh, gw, gb) = neuron_by_hand(0.3, -0.1, 1.7, 0.4);
    assert_close(&[l, g.w, g.b], &[lh, gw, gb], 1e-14, "neuron");

    let m = Mlp::new();
    let (x, y) = mlp_sample();
    let (l, g) = mlp_loss::grad(&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, &x, y);
    let (lh, h) = mlp_by_hand(&m, &x, y);
    let flat = |a: &[&[f64]]| a.concat();
    assert_close(
        &flat(&[
            &[l],
            g.w1.as_slice(),
            g.b1.as_slice(),
            g.w2.as_slice(),
            g.b2.as_slice(),
            g.w3.as_slice(),
            &[g.b3],
        ]),
        &flat(&[
            &[lh],
            h.w1.as_slice(),
            h.b1.as_slice(),
            h.w2.as_slice(),
            h.b2.as_slice(),
            h.w3.as_slice(),
            &[h.b3],
        ]),
        1e-12,
        "mlp",
    );
}
