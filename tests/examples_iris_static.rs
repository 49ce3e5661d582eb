//! The numbers `examples/iris_static.rs` prints, the generated gradient of its
//! loss against the tape's `cross_entropy` on the same network, and a whole
//! static training step (gradient and Adam) without one allocation.

#[allow(dead_code)]
#[path = "../examples/iris_static.rs"]
mod iris_static;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use autograd::prelude::*;
use autograd::static_optim::Adam;
use counting_alloc::{assert_none_since, counts, Counting};
use iris_static::*;
use std::path::{Path, PathBuf};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/iris.csv")
}

#[test]
fn data_set_and_split() {
    let (x, y) = load(&data()).unwrap();
    assert_eq!(x.len(), 150);
    assert_eq!(x[0], [5.1, 3.5, 1.4, 0.2]);
    for c in 0..3 {
        assert_eq!(y.iter().filter(|&&k| k == c).count(), 50);
    }
    let (train, test) = split(&data(), 0).unwrap();
    assert_eq!((train.y.len(), test.y.len()), (120, 30));
    // Standardised with the training split's statistics.
    let n = train.x.len() as f64;
    let mean = train.x.iter().sum::<Features>() / n;
    let var = train.x.iter().map(|x| x.map(|v| v * v)).sum::<Features>() / n;
    assert!(mean.norm() < 1e-12, "{mean}");
    assert!((var - Features::repeat(1.0)).norm() < 1e-6, "{var}");
}

#[test]
fn held_out_accuracy() {
    let (r, _) = run(&data(), 200, 0.01, 0).unwrap();
    assert_eq!(r.test_size, 30);
    assert_eq!(r.steps, 200 * 15);
    assert!(r.train_loss < 0.1, "{r:?}");
    assert!(r.train_accuracy >= 0.97, "{r:?}");
    assert!(r.test_accuracy >= 0.9, "{r:?}");
    // Reproducible from the seed.
    let (again, _) = run(&data(), 200, 0.01, 0).unwrap();
    assert_eq!(again.train_loss, r.train_loss);
}

#[test]
fn static_loss_and_gradient_match_the_tape() {
    let (train, _) = split(&data(), 1).unwrap();
    let idx: Vec<usize> = (0..BATCH).map(|i| 11 * i + 3).collect();
    let (x, y) = train.batch(&idx);
    let m = Mlp::init(7);
    let (loss, g) = batch_loss::grad(&m, &x, &y);
    let tape = TapeMlp::new(&m);
    let (tx, tc) = tape_batch(&x, &y);
    let tape_loss = tape.loss(&tx, &tc);
    tape_loss.backward().unwrap();
    assert!(
        (loss - tape_loss.item()).abs() < 1e-12,
        "{loss} vs {}",
        tape_loss.item()
    );
    // The tape's gradients, row-major, against the struct's fields.
    let grads: Vec<Vec<f64>> = tape
        .parameters()
        .iter()
        .map(|p| p.grad().unwrap().to_vec::<f64>())
        .collect();
    let row_major = |m: &dyn Fn(usize, usize) -> f64, rows: usize, cols: usize| {
        (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .map(|(r, c)| m(r, c))
            .collect::<Vec<f64>>()
    };
    let ours = [
        row_major(&|r, c| g.m.hidden.w[(r, c)], HIDDEN, FEATURES),
        g.m.hidden.b.iter().copied().collect(),
        row_major(&|r, c| g.m.out.w[(r, c)], CLASSES, HIDDEN),
        g.m.out.b.iter().copied().collect(),
    ];
    for (k, (a, b)) in ours.iter().zip(&grads).enumerate() {
        autograd::testing::assert_close(a, b, 1e-10, &format!("parameter {k}"));
    }
    // A finite-difference check of the generated gradient along one direction.
    let dir = Mlp::init(99);
    let h = 1e-6;
    let plus = batch_loss(&m.add(&dir.scale(h)), &x, &y);
    let minus = batch_loss(&m.sub(&dir.scale(h)), &x, &y);
    let numeric = (plus - minus) / (2.0 * h);
    assert!(
        (numeric - g.m.dot(&dir)).abs() < 1e-7,
        "{numeric} vs {}",
        g.m.dot(&dir)
    );
}

#[test]
fn the_loss_survives_large_logits() {
    // The shift by the largest logit keeps exp from overflowing.
    let (train, _) = split(&data(), 0).unwrap();
    let (x, y) = train.batch(&(0..BATCH).collect::<Vec<_>>());
    let big = Mlp::init(3).scale(400.0);
    let (loss, g) = batch_loss::grad(&big, &x, &y);
    assert!(loss.is_finite() && g.m.norm().is_finite(), "{loss}");
}

#[test]
fn a_static_training_step_allocates_nothing() {
    let (train, _) = split(&data(), 0).unwrap();
    let idx: Vec<usize> = (0..BATCH).collect();
    let mut m = Mlp::init(0);
    let mut opt = Adam::new(&m, 0.01);
    let (x, y) = train.batch(&idx);
    let first = train_step(&mut m, &mut opt, &x, &y);
    let before = counts();
    let mut last = first;
    for _ in 0..50 {
        // The whole step: the batch gathered from the data, gradient, update.
        let (x, y) = train.batch(std::hint::black_box(&idx));
        last = std::hint::black_box(train_step(&mut m, &mut opt, &x, &y));
    }
    assert_none_since(before, "50 training steps");
    let after = counts();
    assert!(last < first, "the loss goes down: {first} -> {last}");
    // The counter does see allocations: the test cannot pass vacuously.
    let v = std::hint::black_box(vec![last]);
    assert!(counts().0 > after.0 && v.len() == 1);
}
