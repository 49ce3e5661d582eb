//! The tape's kernels at 1 thread and at 2, across sizes around the thresholds
//! from which they run on the pool (`autograd-core/src/parallel.rs` says what was
//! measured). No recording: the data kernels alone.
//!
//! Run with `cargo bench --bench threads`; the 2-thread runs are meaningful only
//! on a machine with two idle cores.

use autograd::prelude::*;
use autograd::set_num_threads;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

type Kernel = fn(&Tensor, &Tensor) -> Tensor;

/// Element-wise and reduction kernels over `n` elements, below and above the
/// threshold: below it both counts run the same code on the calling thread.
fn element_wise(c: &mut Criterion) {
    let kernels: [(&str, Kernel); 4] = [
        ("add", |x, y| x + y),
        ("tanh", |x, _| x.tanh()),
        ("relu", |x, _| x.relu()),
        ("sum", |x, _| x.sum()),
    ];
    for (name, kernel) in kernels {
        let mut g = c.benchmark_group(format!("threads/{name}"));
        for n in [1usize << 12, 1 << 14, 1 << 16, 1 << 18] {
            let x = Tensor::randn(&[n]);
            let y = Tensor::randn(&[n]);
            g.throughput(Throughput::Elements(n as u64));
            for threads in [1, 2] {
                set_num_threads(threads);
                g.bench_with_input(BenchmarkId::new(format!("{threads}t"), n), &n, |b, _| {
                    b.iter(|| no_grad(|| black_box(kernel(&x, &y))))
                });
            }
        }
        g.finish();
    }
}

/// Square matrix products `n x n` by `n x n`, `f32`; from `n = 64` on at 2
/// threads they run on the pool.
fn gemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("threads/matmul");
    for n in [32usize, 64, 96, 128, 256] {
        let a = Tensor::randn(&[n, n]);
        let b = Tensor::randn(&[n, n]);
        g.throughput(Throughput::Elements((n * n * n) as u64));
        for threads in [1, 2] {
            set_num_threads(threads);
            g.bench_with_input(
                BenchmarkId::new(format!("{threads}t"), n),
                &n,
                |bench, _| bench.iter(|| no_grad(|| black_box(a.matmul(&b)))),
            );
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    targets = element_wise, gemm
}
criterion_main!(benches);
