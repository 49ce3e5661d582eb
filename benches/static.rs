//! The static engine against hand-written analytic gradients and the forward pass
//! alone, on the thermometer loss (W1), the neuron (W2) and a 4-16-16-1 tanh MLP
//! (W3). Run with `cargo bench --bench static`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

mod workloads;
use autograd::nalgebra::SVector;
use workloads::thermometer::{T_C, T_U};
use workloads::*;

/// One group per workload: the generated gradient, the hand-written one and the
/// forward function alone, each reading its inputs through `black_box`.
fn compare<A, B, C>(
    c: &mut Criterion,
    workload: &str,
    mut generated: impl FnMut() -> A,
    mut by_hand: impl FnMut() -> B,
    mut forward: impl FnMut() -> C,
) {
    let mut g = c.benchmark_group(workload);
    g.bench_function("generated grad", |b| b.iter(&mut generated));
    g.bench_function("hand-written grad", |b| b.iter(&mut by_hand));
    g.bench_function("forward only", |b| b.iter(&mut forward));
    g.finish();
}

fn thermometer_bench(c: &mut Criterion) {
    let (t_u, t_c) = (SVector::from(T_U) * 0.1, SVector::from(T_C));
    let args = || {
        (
            black_box(1.0),
            black_box(0.0),
            black_box(&t_u),
            black_box(&t_c),
        )
    };
    compare(
        c,
        "W1 thermometer",
        || {
            let (w, b, u, t) = args();
            thermometer_loss::grad(w, b, u, t)
        },
        || {
            let (w, b, u, t) = args();
            thermometer_by_hand(w, b, u, t)
        },
        || {
            let (w, b, u, t) = args();
            thermometer_loss(w, b, u, t)
        },
    );
}

fn neuron_bench(c: &mut Criterion) {
    let args = || {
        (
            black_box(0.3),
            black_box(-0.1),
            black_box(1.7),
            black_box(0.4),
        )
    };
    compare(
        c,
        "W2 neuron",
        || {
            let (w, b, x, y) = args();
            neuron::grad(w, b, x, y)
        },
        || {
            let (w, b, x, y) = args();
            neuron_by_hand(w, b, x, y)
        },
        || {
            let (w, b, x, y) = args();
            neuron(w, b, x, y)
        },
    );
}

fn mlp_bench(c: &mut Criterion) {
    let m = Mlp::new();
    let (x, y) = mlp_sample();
    compare(
        c,
        "W3 mlp 4-16-16-1",
        || {
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
        },
        || mlp_by_hand(black_box(&m), black_box(&x), black_box(y)),
        || {
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
        },
    );
}

criterion_group!(benches, thermometer_bench, neuron_bench, mlp_bench);
criterion_main!(benches);
