//! The numbers `examples/logistic_regression.rs` prints.

#[allow(dead_code)]
#[path = "../examples/logistic_regression.rs"]
mod logistic_regression;

use autograd::prelude::*;
use logistic_regression::*;
use std::path::Path;

fn data() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv")
}

/// The generator behind `manual_seed` is global: tests that draw from it run one
/// at a time, so that a seeded run sees the same numbers every time.
fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn data_set_shape_and_classes() {
    let _rng = rng_lock();
    let (x, y) = load(&data()).unwrap();
    assert_eq!(x.shape(), &[569, 30]);
    // scikit-learn's copy: 212 malignant (0), 357 benign (1).
    assert_eq!(y.sum().item(), 357.0);
}

#[test]
fn held_out_accuracy() {
    let _rng = rng_lock();
    let r = run(&data(), 50, 0, false).unwrap();
    assert_eq!(r.test_size, 113);
    assert!(r.train_loss < 0.07, "{r:?}");
    assert!(r.train_accuracy > 0.97, "{r:?}");
    assert!(r.test_accuracy > 0.93, "{r:?}");
    // The run is reproducible from its seed.
    let again = run(&data(), 50, 0, false).unwrap();
    assert_eq!(again.test_accuracy, r.test_accuracy);
    assert_eq!(again.train_loss, r.train_loss);
}

#[test]
fn model_registers_one_linear_layer() {
    let _rng = rng_lock();
    let m = LogisticRegression::new(30);
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["linear.weight", "linear.bias"]);
    assert_eq!(m.forward(&Tensor::zeros(&[4, 30])).shape(), &[4]);
}
