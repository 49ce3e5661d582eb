//! `examples/lenet.rs` in a run short enough for the test profile: the data, the
//! network's names and size, a four-epoch training on part of the data that must
//! already classify most held-out digits, and the checkpoint round trip. The full
//! run (`cargo run --release --example lenet`) reaches at least 95%.

#[allow(dead_code)]
#[path = "../examples/lenet.rs"]
mod lenet;

use autograd::data::Dataset;
use autograd::prelude::*;
use indicatif::ProgressBar;
use lenet::*;
use std::path::Path;

fn digits() -> (Tensor, Tensor) {
    load_digits(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/digits.csv.gz")).unwrap()
}

/// The generator behind `manual_seed` is global: tests that draw from it run one
/// at a time, so that a seeded run sees the same numbers every time.
fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn digits_are_upscaled_to_32x32() {
    let _rng = rng_lock();
    let (x, y) = digits();
    assert_eq!(x.shape(), &[1797, 1, 32, 32]);
    let v = x.to_vec::<f32>();
    assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
    // Each 8x8 pixel fills a 4x4 block.
    let img = &v[..1024];
    for r in 0..32 {
        for c in 0..32 {
            assert_eq!(img[r * 32 + c], img[(r / 4 * 4) * 32 + c / 4 * 4]);
        }
    }
    let labels = y.to_vec::<f32>();
    for k in 0..10 {
        let count = labels.iter().filter(|&&l| l == k as f32).count();
        assert!((170..=185).contains(&count), "class {k}: {count}");
    }
}

#[test]
fn lenet_has_the_tutorial_layers() {
    let _rng = rng_lock();
    let net = LeNet::new();
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "conv1.weight",
            "conv1.bias",
            "conv2.weight",
            "conv2.bias",
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias",
        ]
    );
    // 60 + 880 + 69,240 + 10,164 + 850.
    assert_eq!(net.num_parameters(), 81_194);
    assert_eq!(
        net.forward(&Tensor::zeros(&[3, 1, 32, 32])).shape(),
        &[3, 10]
    );
}

#[test]
fn short_training_learns_and_the_checkpoint_reloads() {
    let _rng = rng_lock();
    let cfg = Config {
        epochs: 4,
        train_limit: Some(720),
        ..Config::default()
    };
    autograd::manual_seed(cfg.seed);
    let (x, y) = digits();
    let (train_set, test_set) = split(x, y, &cfg);
    assert_eq!((train_set.len(), test_set.len()), (720, 359));
    let mut net = LeNet::new();
    let before = accuracy(&net, &test_set);
    let h = train(
        &mut net,
        &train_set,
        &test_set,
        &cfg,
        &ProgressBar::hidden(),
    );
    assert_eq!(h.loss.len(), 4);
    assert!(h.loss[3] < h.loss[0] && h.loss[0] < 2.31, "{h:?}");
    let acc = *h.accuracy.last().unwrap();
    assert!(
        before < 0.2 && acc > 0.8,
        "accuracy {before} before, {acc} after"
    );

    let dir = std::env::temp_dir().join(format!("lenet-{}", std::process::id()));
    let path = dir.join("lenet.safetensors");
    net.save(&path).unwrap();
    let mut again = LeNet::new();
    again.load(&path).unwrap();
    again.eval();
    let (xb, _) = test_set.get_batch(&[0, 1, 2, 3]);
    assert_eq!(
        net.forward(&xb).to_vec::<f32>(),
        again.forward(&xb).to_vec::<f32>()
    );
    assert_eq!(accuracy(&again, &test_set), acc);
    // A checkpoint of another network is refused, naming what differs.
    let err = nn::Linear::new(576, 120)
        .load(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`conv1.weight`"), "{err}");
    std::fs::remove_dir_all(dir).ok();

    let png = std::env::temp_dir().join(format!("lenet-{}.png", std::process::id()));
    plot(&h, &png).unwrap();
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    std::fs::remove_file(png).ok();
}
