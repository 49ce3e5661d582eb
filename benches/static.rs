//! The static engine against hand-written analytic gradients and the forward pass
//! alone, on the neuron (W2), the thermometer loss (W1) and a 4-16-16-1 tanh MLP
//! (W3). Run with `cargo bench --bench static`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

mod workloads;
use autograd::nalgebra::SVector;
use workloads::thermometer::{T_C, T_U};
use workloads::*;

fn neuron_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("W2 neuron");
    let (w, b, x, y) = (0.3, -0.1, 1.7, 0.4);
    g.bench_function("generated grad", |bn| {
        bn.iter(|| neuron::grad(black_box(w), black_box(b), black_box(x), black_box(y)))
    });
    g.bench_function("hand-written grad", |bn| {
        bn.iter(|| neuron_by_hand(black_box(w), black_box(b), black_box(x), black_box(y)))
    });
    g.bench_function("forward only", |bn| {
        bn.iter(|| neuron(black_box(w), black_box(b), black_box(x), black_box(y)))
    });
    g.finish();
}

fn thermometer_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("W1 thermometer");
    let (t_u, t_c) = (SVector::from(T_U) * 0.1, SVector::from(T_C));
    g.bench_function("generated grad", |bn| {
        bn.iter(|| {
            thermometer_loss::grad(
                black_box(1.0),
                black_box(0.0),
                black_box(&t_u),
                black_box(&t_c),
            )
        })
    });
    g.bench_function("hand-written grad", |bn| {
        bn.iter(|| {
            thermometer_by_hand(
                black_box(1.0),
                black_box(0.0),
                black_box(&t_u),
                black_box(&t_c),
            )
        })
    });
    g.bench_function("forward only", |bn| {
        bn.iter(|| {
            thermometer_loss(
                black_box(1.0),
                black_box(0.0),
                black_box(&t_u),
                black_box(&t_c),
            )
        })
    });
    g.finish();
}

fn mlp_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("W3 mlp 4-16-16-1");
    let m = Mlp::new();
    let (x, y) = mlp_sample();
    g.bench_function("generated grad", |bn| {
        bn.iter(|| {
            let m = black_box(&m);
            mlp_loss::grad(
                &m.w1,
                &m.b1,
                &m.w2,
                &m.b2,
                &m.w3,
                m.b3,
                black_box(&x),
                black_box(y),
            )
        })
    });
    g.bench_function("hand-written grad", |bn| {
        bn.iter(|| mlp_by_hand(black_box(&m), black_box(&x), black_box(y)))
    });
    g.bench_function("forward only", |bn| {
        bn.iter(|| {
            let m = black_box(&m);
            mlp_loss(
                &m.w1,
                &m.b1,
                &m.w2,
                &m.b2,
                &m.w3,
                m.b3,
                black_box(&x),
                black_box(y),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, neuron_bench, thermometer_bench, mlp_bench);
criterion_main!(benches);
