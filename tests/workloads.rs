//! The benchmark workloads (`benches/workloads/`) compute what they claim: every
//! form of W1-W3 (generated `grad`, hand-written gradient, the tape, `apply`,
//! finite differences) gives the same loss and gradient, and the W4 and W5
//! training steps lower the loss and give the same bits on 1, 2 and 4 threads.

#[path = "../benches/workloads/training.rs"]
mod training;
#[path = "../benches/workloads/mod.rs"]
mod workloads;

use autograd::nalgebra::SVector;
use autograd::prelude::*;
use autograd::testing::{assert_close, central_gradient};
use autograd::{get_num_threads, set_num_threads};
use workloads::thermometer::{T_C, T_U};
use workloads::*;

/// Loss and gradients of a tape loss over fresh leaves made from `params`.
fn on_tape(params: &[Tensor], loss: impl Fn(&[Tensor]) -> Tensor) -> (f64, Vec<f64>) {
    let l = loss(params);
    l.backward().unwrap();
    let g = params
        .iter()
        .flat_map(|p| p.grad().unwrap().to_vec::<f64>())
        .collect();
    (l.item(), g)
}

fn scalar(v: f64) -> Tensor {
    Tensor::scalar(v).requires_grad_(true)
}

/// Checks a two-parameter workload's forms against its generated `grad`
/// (`want`: loss, then the two derivatives).
fn two_parameter_forms_agree(
    what: &str,
    want: [f64; 3],
    by_hand: (f64, f64, f64),
    at: [f64; 2],
    tape: impl Fn(&[Tensor]) -> Tensor,
    apply: impl Fn(&[Tensor]) -> Tensor,
    forward: impl Fn(&[f64]) -> f64,
) {
    let (l, gw, gb) = by_hand;
    assert_close(&[l, gw, gb], &want, 1e-12, &format!("{what} by hand"));
    for (form, f) in [
        ("tape", &tape as &dyn Fn(&[Tensor]) -> Tensor),
        ("apply", &apply),
    ] {
        let (l, g) = on_tape(&at.map(scalar), f);
        assert_close(&[l, g[0], g[1]], &want, 1e-12, &format!("{what} {form}"));
    }
    let fd = central_gradient(forward, &at);
    assert_close(&fd, &want[1..], 1e-6, &format!("{what} finite differences"));
}

#[test]
fn every_form_of_w1_agrees() {
    let t_u: Vec<f64> = T_U.iter().map(|u| u * 0.1).collect();
    let (tu, tc) = (SVector::from_column_slice(&t_u), SVector::from(T_C));
    let tu_t = Tensor::from_vec(t_u, &[11]);
    let tc_t = Tensor::from_vec(T_C.to_vec(), &[11]);
    let (w, b) = (1.3, -0.4);
    let (loss, g) = thermometer_loss::grad(w, b, &tu, &tc);
    two_parameter_forms_agree(
        "W1",
        [loss, g.w, g.b],
        thermometer_by_hand(w, b, &tu, &tc),
        [w, b],
        |p| thermometer_tape(&p[0], &p[1], &tu_t, &tc_t),
        |p| thermometer_loss::apply(&p[0], &p[1], &tu_t, &tc_t),
        |v| thermometer_loss(v[0], v[1], &tu, &tc),
    );
}

#[test]
fn every_form_of_w2_agrees() {
    let (w, b, x, y) = (0.3, -0.1, 1.7, 0.4);
    let (xt, yt) = (Tensor::scalar(x), Tensor::scalar(y));
    let (loss, g) = neuron::grad(w, b, x, y);
    two_parameter_forms_agree(
        "W2",
        [loss, g.w, g.b],
        neuron_by_hand(w, b, x, y),
        [w, b],
        |p| neuron_tape(&p[0], &p[1], &xt, &yt),
        |p| neuron::apply(&p[0], &p[1], &xt, &yt),
        |v| neuron(v[0], v[1], x, y),
    );
}

#[test]
fn every_form_of_w3_agrees() {
    let m = Mlp::new();
    let (x, y) = mlp_sample();
    let (loss, g) = mlp_loss::grad(&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, &x, y);
    let (l, by_hand) = mlp_by_hand(&m, &x, y);
    assert_close(&[l], &[loss], 1e-12, "W3 loss by hand");
    // Every gradient in nalgebra's column-major order, as `Mlp::flat`.
    let generated = Mlp {
        w1: g.w1,
        b1: g.b1,
        w2: g.w2,
        b2: g.b2,
        w3: g.w3,
        b3: g.b3,
    }
    .flat();
    assert_close(&by_hand.flat(), &generated, 1e-12, "W3 by hand");
    let fd = central_gradient(|v| Mlp::from_flat(v).loss(&x, y), &m.flat());
    assert_close(&fd, &generated, 1e-6, "W3 finite differences");

    let (xt, yt) = (
        Tensor::from_vec(x.as_slice().to_vec(), &[4]),
        Tensor::scalar(y),
    );
    // The tape's gradients are row-major: read them back through `Mlp::tensors`'s
    // layout by comparing against the generated gradient as tensors.
    let want: Vec<f64> = Mlp {
        w1: g.w1,
        b1: g.b1,
        w2: g.w2,
        b2: g.b2,
        w3: g.w3,
        b3: g.b3,
    }
    .tensors()
    .iter()
    .flat_map(|t| t.to_vec::<f64>())
    .collect();
    let p = m.tensors();
    let (l, tape) = on_tape(&p, |p| mlp_tape(p.try_into().unwrap(), &xt, &yt));
    assert_close(&[l], &[loss], 1e-12, "W3 tape loss");
    assert_close(&tape, &want, 1e-12, "W3 tape");
    let p = m.tensors();
    let (l, applied) = on_tape(&p, |p| {
        mlp_loss::apply(&p[0], &p[1], &p[2], &p[3], &p[4], &p[5], &xt, &yt)
    });
    assert_close(&[l], &[loss], 1e-12, "W3 apply loss");
    assert_close(&applied, &want, 1e-12, "W3 apply");
}

/// The bits of every parameter.
fn bits(params: &[Tensor]) -> Vec<Vec<u32>> {
    params
        .iter()
        .map(|p| p.to_vec::<f32>().into_iter().map(f32::to_bits).collect())
        .collect()
}

#[test]
fn training_steps_learn_and_do_not_depend_on_the_thread_count() {
    let before = get_num_threads();
    let runs = [1, 2, 4].map(|n| {
        set_num_threads(n);
        let mut mlp = training::mlp_step();
        let mut lenet = training::lenet_step();
        let losses = [mlp.run(), mlp.run(), lenet.run(), lenet.run()];
        (
            losses,
            bits(&mlp.model.parameters()),
            bits(&lenet.model.parameters()),
        )
    });
    set_num_threads(before);
    let [one, two, four] = &runs;
    assert!(one.0[1] < one.0[0], "W4's loss went down: {:?}", one.0);
    assert!(one.0[3] < one.0[2], "W5's loss went down: {:?}", one.0);
    assert!(one == two, "1 and 2 threads differ");
    assert!(one == four, "1 and 4 threads differ");
}
