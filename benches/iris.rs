//! One training step of the 4-16-3 tanh network of `examples/iris_static.rs` on
//! a mini-batch of 8 flowers, in both engines from the same start, in `f64`:
//!
//! - `static step`: the generated gradient of the `#[derive(Tangent)]` struct and
//!   `static_optim::Adam` (no allocation);
//! - `static grad`: the gradient alone;
//! - `tape step`: the same network as two `nn::Linear`, `cross_entropy`,
//!   `backward` and `optim::Adam` on the `Tensor` tape.
//!
//! Run with `cargo bench --bench iris`.

#[allow(dead_code)]
#[path = "../examples/iris_static.rs"]
mod iris_static;

use autograd::prelude::*;
use autograd::static_optim::Adam;
use criterion::{criterion_group, criterion_main, Criterion};
use iris_static::*;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn training_step(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/iris.csv");
    let (train, _) = split(&path, 0).expect("the iris data");
    let (x, y) = train.batch(&(0..BATCH).collect::<Vec<_>>());
    let start = Mlp::init(0);
    let mut g = c.benchmark_group("iris_4_16_3_batch8");

    let (mut m, mut opt) = (start, Adam::new(&start, 1e-3));
    g.bench_function("static step", |b| {
        b.iter(|| train_step(&mut m, &mut opt, black_box(&x), black_box(&y)))
    });
    g.bench_function("static grad", |b| {
        b.iter(|| batch_loss::grad(black_box(&start), black_box(&x), black_box(&y)))
    });

    let tape = TapeMlp::new(&start);
    let mut opt = optim::Adam::new(tape.parameters(), 1e-3);
    let (tx, tc) = tape_batch(&x, &y);
    g.bench_function("tape step", |b| {
        b.iter(|| tape_step(&tape, &mut opt, black_box(&tx), black_box(&tc)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = training_step
}
criterion_main!(benches);
