//! The W1-W5 suite on the tape (workloads defined in `benches/workloads/`).
//!
//! - W1-W3 (`f64`): the computation op by op on the tape (`tape`), the
//!   `#[differentiable]` function applied as one tape node (`apply`), and central
//!   finite differences of the forward function (`finite differences`). Each
//!   iteration computes the loss and the gradient of every parameter; tape leaves
//!   are made once and zeroed after each backward, as in a training loop. The
//!   static engine's variants of the same workloads (generated `grad`,
//!   hand-written gradient, forward only) are in `benches/static.rs`, in the same
//!   criterion groups: run both in one command for ratios,
//!   `cargo bench --bench static --bench suite`.
//! - W4, W5 (`f32`): one SGD training step, at 1 thread and at the default
//!   thread count (`autograd::get_num_threads()`).

use autograd::nalgebra::SVector;
use autograd::prelude::*;
use autograd::testing::central_gradient;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::hint::black_box;
use std::time::Duration;

#[path = "workloads/training.rs"]
mod training;
mod workloads;
use training::{lenet_step, mlp_step, Step};
use workloads::thermometer::{T_C, T_U};
use workloads::*;

/// Times one tape iteration: `loss(params)`, backward, read every gradient,
/// zero them.
fn tape_iteration(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    params: &[Tensor],
    loss: impl Fn() -> Tensor,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            let l = loss();
            l.backward().expect("a scalar loss");
            let grads: Vec<Option<Tensor>> = params.iter().map(Tensor::grad).collect();
            for p in params {
                p.zero_grad();
            }
            black_box((l.item(), grads))
        })
    });
}

fn f64_scalar(v: f64) -> Tensor {
    Tensor::scalar(v).requires_grad_(true)
}

fn thermometer(c: &mut Criterion) {
    let t_u: Vec<f64> = T_U.iter().map(|u| u * 0.1).collect();
    let (tu, tc) = (SVector::from_column_slice(&t_u), SVector::from(T_C));
    let tu_t = Tensor::from_vec(t_u, &[11]);
    let tc_t = Tensor::from_vec(T_C.to_vec(), &[11]);
    let (w, b) = (f64_scalar(1.0), f64_scalar(0.0));
    let mut g = c.benchmark_group("W1 thermometer");
    tape_iteration(&mut g, "tape", &[w.clone(), b.clone()], || {
        thermometer_tape(&w, &b, black_box(&tu_t), black_box(&tc_t))
    });
    tape_iteration(&mut g, "apply", &[w.clone(), b.clone()], || {
        thermometer_loss::apply(&w, &b, black_box(&tu_t), black_box(&tc_t))
    });
    g.bench_function("finite differences", |bench| {
        bench.iter(|| {
            let f = |v: &[f64]| thermometer_loss(v[0], v[1], black_box(&tu), black_box(&tc));
            let x = black_box([1.0, 0.0]);
            (f(&x), central_gradient(f, &x))
        })
    });
    g.finish();
}

fn neuron_suite(c: &mut Criterion) {
    let (w, b) = (f64_scalar(0.3), f64_scalar(-0.1));
    let (x, y) = (Tensor::scalar(1.7), Tensor::scalar(0.4));
    let mut g = c.benchmark_group("W2 neuron");
    tape_iteration(&mut g, "tape", &[w.clone(), b.clone()], || {
        neuron_tape(&w, &b, black_box(&x), black_box(&y))
    });
    tape_iteration(&mut g, "apply", &[w.clone(), b.clone()], || {
        neuron::apply(&w, &b, black_box(&x), black_box(&y))
    });
    g.bench_function("finite differences", |bench| {
        bench.iter(|| {
            let f = |v: &[f64]| neuron(v[0], v[1], black_box(1.7), black_box(0.4));
            let p = black_box([0.3, -0.1]);
            (f(&p), central_gradient(f, &p))
        })
    });
    g.finish();
}

fn mlp_suite(c: &mut Criterion) {
    let m = Mlp::new();
    let (xs, ys) = mlp_sample();
    let p = m.tensors();
    let x = Tensor::from_vec(xs.as_slice().to_vec(), &[4]);
    let y = Tensor::scalar(ys);
    let mut g = c.benchmark_group("W3 mlp 4-16-16-1");
    tape_iteration(&mut g, "tape", &p, || {
        mlp_tape(&p, black_box(&x), black_box(&y))
    });
    tape_iteration(&mut g, "apply", &p, || {
        let [w1, b1, w2, b2, w3, b3] = &p;
        mlp_loss::apply(w1, b1, w2, b2, w3, b3, black_box(&x), black_box(&y))
    });
    let flat = m.flat();
    g.bench_function("finite differences", |bench| {
        bench.iter(|| {
            let f = |v: &[f64]| Mlp::from_flat(v).loss(black_box(&xs), black_box(ys));
            let v = black_box(&flat);
            (f(v), central_gradient(f, v))
        })
    });
    g.finish();
}

/// A training step at 1 thread and at the default thread count.
fn training_step<M: Module>(c: &mut Criterion, group: &str, make: fn() -> Step<M>) {
    let default = autograd::get_num_threads();
    let mut g = c.benchmark_group(group);
    let counts = if default == 1 {
        vec![1]
    } else {
        vec![1, default]
    };
    for threads in counts {
        autograd::set_num_threads(threads);
        let mut step = make();
        let name = format!(
            "tape, {threads} thread{}",
            if threads == 1 { "" } else { "s" }
        );
        g.bench_function(name, |b| b.iter(|| black_box(step.run())));
    }
    autograd::set_num_threads(default);
    g.finish();
}

fn mlp_training(c: &mut Criterion) {
    training_step(c, "W4 mlp 784-128-10 batch 64", mlp_step);
}

fn lenet_training(c: &mut Criterion) {
    training_step(c, "W5 lenet batch 32", lenet_step);
}

criterion_group! {
    name = small;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = thermometer, neuron_suite, mlp_suite
}
criterion_group! {
    name = training;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = mlp_training, lenet_training
}
criterion_main!(small, training);
