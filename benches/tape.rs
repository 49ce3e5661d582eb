//! Overhead of the dynamic tape.
//!
//! - `per_op/*`: a chain of 100 recorded ops on 1- and 16-element tensors
//!   followed by one backward; divide the time by 100 for the cost of one op
//!   (forward, recording, and its share of backward).
//! - `no_grad/*`: the same chain without recording, for comparison.
//! - `mlp`: a 784-128-10 perceptron, forward and backward at batch 64.

use autograd::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

const CHAIN: usize = 100;

type OpFn = fn(&Tensor, &Tensor) -> Tensor;

fn chain(x: &Tensor, w: &Tensor, op: OpFn) -> Tensor {
    let mut y = x.clone();
    for _ in 0..CHAIN {
        y = op(&y, w);
    }
    y
}

fn per_op(c: &mut Criterion) {
    let ops: [(&str, OpFn); 3] = [
        ("add", |y, w| y + w),
        ("mul", |y, w| y * w),
        ("tanh", |y, _| y.tanh()),
    ];
    let mut group = c.benchmark_group("per_op");
    group.throughput(Throughput::Elements(CHAIN as u64));
    for n in [1usize, 16] {
        let x = Tensor::full(&[n], 0.5, DType::F32).requires_grad_(true);
        let w = Tensor::full(&[n], 0.999, DType::F32).requires_grad_(true);
        for (name, op) in ops {
            group.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| {
                    let y = chain(&x, &w, op).sum();
                    y.backward().unwrap();
                    black_box(&y);
                });
                x.zero_grad();
                w.zero_grad();
            });
        }
    }
    group.finish();
    let mut group = c.benchmark_group("no_grad");
    group.throughput(Throughput::Elements(CHAIN as u64));
    let x = Tensor::full(&[1], 0.5, DType::F32);
    for (name, op) in ops {
        group.bench_function(format!("{name}/1"), |b| {
            b.iter(|| black_box(chain(&x, &x, op)));
        });
    }
    group.finish();
}

fn mlp(c: &mut Criterion) {
    autograd::manual_seed(0);
    let w1 = (Tensor::randn(&[784, 128]) * (1.0 / 28.0)).requires_grad_(true);
    let b1 = Tensor::zeros(&[128]).requires_grad_(true);
    let w2 = (Tensor::randn(&[128, 10]) * (1.0 / 11.3)).requires_grad_(true);
    let b2 = Tensor::zeros(&[10]).requires_grad_(true);
    let x = Tensor::randn(&[64, 784]);
    let labels: Vec<usize> = (0..64).map(|i| i % 10).collect();
    let onehot = Tensor::eye(10).index_select(0, &labels);
    c.bench_function("mlp_784_128_10_batch64", |b| {
        b.iter(|| {
            let h = (x.matmul(&w1) + &b1).relu();
            let logits = h.matmul(&w2) + &b2;
            let loss = -(logits.log_softmax(1) * &onehot).sum() / 64.0;
            loss.backward().unwrap();
            for p in [&w1, &b1, &w2, &b2] {
                p.zero_grad();
            }
            black_box(loss)
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = per_op, mlp
}
criterion_main!(benches);
