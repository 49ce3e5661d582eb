//! LeNet of the PyTorch tutorials ("Neural Networks": conv 1->6 3x3, max-pool,
//! conv 6->16 3x3, max-pool, 576-120-84-10) on the 8x8 handwritten digits
//! (`examples/data/digits.csv.gz`, 1,797 images) scaled to 32x32.
//!
//! Trains on four fifths of the data with Adam (learning rate on a cosine
//! schedule) on shuffled mini-batches, shows a
//! progress bar, writes a loss and accuracy PNG, and saves a safetensors
//! checkpoint in `examples/out/`. A second run finds the checkpoint, loads it
//! into a fresh network and evaluates it without training (pass `--retrain` to
//! train again).
//!
//! Run with `cargo run --release --example lenet`.

use autograd::data::{random_split, DataLoader, Dataset, TensorDataset};
use autograd::nn::functional as F;
use autograd::optim::{CosineAnnealingLR, LrScheduler};
use autograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::Path;

/// The network, its layers registered by `#[derive(Module)]` under the names
/// PyTorch's tutorial gives them (`conv1.weight`, ..., `fc3.bias`).
#[derive(Module)]
pub struct LeNet {
    conv1: nn::Conv2d,
    conv2: nn::Conv2d,
    fc1: nn::Linear,
    fc2: nn::Linear,
    fc3: nn::Linear,
}

impl LeNet {
    /// A network with PyTorch's default initialisation.
    pub fn new() -> Self {
        LeNet {
            conv1: nn::Conv2d::new(1, 6, 3),
            conv2: nn::Conv2d::new(6, 16, 3),
            fc1: nn::Linear::new(16 * 6 * 6, 120),
            fc2: nn::Linear::new(120, 84),
            fc3: nn::Linear::new(84, 10),
        }
    }
}

impl Default for LeNet {
    fn default() -> Self {
        Self::new()
    }
}

impl Module for LeNet {
    /// `(n, 1, 32, 32)` images to `(n, 10)` class scores.
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = F::max_pool2d(&F::relu(&self.conv1.forward(x)), 2); // (n, 6, 15, 15)
        let x = F::max_pool2d(&F::relu(&self.conv2.forward(&x)), 2); // (n, 16, 6, 6)
        let x = F::flatten(&x, 1, -1); // (n, 576)
        let x = F::relu(&self.fc1.forward(&x));
        let x = F::relu(&self.fc2.forward(&x));
        self.fc3.forward(&x)
    }
}

/// The digits as `(1797, 1, 32, 32)` images in `[0, 1]` (each 8x8 pixel repeated
/// over a 4x4 block) and `(1797)` classes.
pub fn load_digits(path: &Path) -> Result<(Tensor, Tensor), Box<dyn std::error::Error>> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    let (mut images, mut labels) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f32> = line.split(',').map(str::parse).collect::<Result<_, _>>()?;
        if v.len() != 65 {
            return Err(format!("expected 65 values per row, found {}", v.len()).into());
        }
        for r in 0..32 {
            for c in 0..32 {
                images.push(v[(r / 4) * 8 + c / 4] / 16.0);
            }
        }
        labels.push(v[64]);
    }
    let n = labels.len();
    Ok((
        Tensor::from_vec(images, &[n, 1, 32, 32]),
        Tensor::from_vec(labels, &[n]),
    ))
}

/// Training settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Passes over the training split.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Train on only this many training images (for quick runs); evaluation
    /// always uses the whole held-out fifth.
    pub train_limit: Option<usize>,
    /// Seeds the initialisation, the split and the shuffling.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            epochs: 15,
            batch_size: 32,
            lr: 2e-3,
            train_limit: None,
            seed: 0,
        }
    }
}

/// The training and held-out splits: four fifths and one fifth, by `seed`.
pub fn split(x: Tensor, y: Tensor, cfg: &Config) -> (TensorDataset, TensorDataset) {
    let all = TensorDataset::new(x, y);
    let n = all.len();
    let parts = random_split(&all, &[n - n / 5, n / 5], cfg.seed);
    let mut train_idx = parts[0].indices().to_vec();
    if let Some(k) = cfg.train_limit {
        train_idx.truncate(k);
    }
    let (xt, yt) = all.get_batch(&train_idx);
    let (xv, yv) = all.get_batch(parts[1].indices());
    (TensorDataset::new(xt, yt), TensorDataset::new(xv, yv))
}

/// Fraction of `data` classified correctly, in evaluation mode, without a graph.
pub fn accuracy(model: &LeNet, data: &TensorDataset) -> f64 {
    no_grad(|| {
        let loader = DataLoader::new(data, 256);
        let correct: f64 = loader
            .iter()
            .map(|(x, y)| model.forward(&x).argmax(1, false).eq_elem(&y).sum().item())
            .sum();
        correct / data.len() as f64
    })
}

/// Per-epoch history of a training run.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Mean training loss of each epoch.
    pub loss: Vec<f64>,
    /// Held-out accuracy after each epoch.
    pub accuracy: Vec<f64>,
}

/// Trains `model` with Adam, a cosine learning-rate schedule and cross entropy,
/// reporting on `bar`.
pub fn train(
    model: &mut LeNet,
    train_set: &TensorDataset,
    test_set: &TensorDataset,
    cfg: &Config,
    bar: &ProgressBar,
) -> History {
    let mut opt = optim::Adam::new(model.parameters(), cfg.lr);
    // The rate decays to 0 along a half cosine, so the last epochs settle.
    let mut schedule = CosineAnnealingLR::new(&mut opt, cfg.epochs, 0.0);
    let loader = DataLoader::new(train_set, cfg.batch_size).shuffle(cfg.seed);
    let mut history = History::default();
    bar.set_length((cfg.epochs * loader.len()) as u64);
    for epoch in 1..=cfg.epochs {
        model.train();
        let mut total = 0.0;
        for (x, y) in &loader {
            let loss = F::cross_entropy(&model.forward(&x), &y);
            opt.zero_grad();
            loss.backward().expect("the loss is a scalar");
            opt.step();
            total += loss.item() * y.shape()[0] as f64;
            bar.inc(1);
        }
        schedule.step(&mut opt);
        model.eval();
        history.loss.push(total / train_set.len() as f64);
        history.accuracy.push(accuracy(model, test_set));
        bar.set_message(format!(
            "epoch {epoch}: loss {:.4}, held-out accuracy {:.2}%",
            history.loss[epoch - 1],
            100.0 * history.accuracy[epoch - 1]
        ));
    }
    history
}

/// Loss (blue, left half) and held-out accuracy (red, right half) per epoch.
pub fn plot(history: &History, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path, (1000, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);
    let n = history.loss.len().max(2);
    let max_loss = history.loss.iter().cloned().fold(0.0, f64::max).max(1e-3);
    let mut chart = ChartBuilder::on(&left)
        .margin(20)
        .build_cartesian_2d(1..n, 0.0..max_loss * 1.05)?;
    chart.configure_mesh().draw()?;
    chart.draw_series(LineSeries::new(
        history.loss.iter().enumerate().map(|(i, &v)| (i + 1, v)),
        BLUE.stroke_width(2),
    ))?;
    let mut chart = ChartBuilder::on(&right)
        .margin(20)
        .build_cartesian_2d(1..n, 0.0..1.0)?;
    chart.configure_mesh().draw()?;
    chart.draw_series(LineSeries::new(
        history
            .accuracy
            .iter()
            .enumerate()
            .map(|(i, &v)| (i + 1, v)),
        RED.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checkpoint = root.join("examples/out/lenet.safetensors");
    let cfg = Config::default();
    autograd::manual_seed(cfg.seed);
    let (x, y) = load_digits(&root.join("examples/data/digits.csv.gz"))?;
    let (train_set, test_set) = split(x, y, &cfg);
    println!(
        "{} training and {} held-out images of 32x32",
        train_set.len(),
        test_set.len()
    );

    let retrain = std::env::args().any(|a| a == "--retrain");
    if checkpoint.exists() && !retrain {
        let mut model = LeNet::new();
        model.load(&checkpoint)?;
        model.eval();
        println!("loaded {}", checkpoint.display());
        println!(
            "held-out accuracy of the reloaded network: {:.2}% (pass --retrain to train again)",
            100.0 * accuracy(&model, &test_set)
        );
        return Ok(());
    }

    let mut model = LeNet::new();
    println!("LeNet: {} parameters", model.num_parameters());
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos:>4}/{len:4} [{elapsed_precise}] {msg}",
    )?);
    let start = std::time::Instant::now();
    let history = train(&mut model, &train_set, &test_set, &cfg, &bar);
    bar.finish();
    for (i, (l, a)) in history.loss.iter().zip(&history.accuracy).enumerate() {
        println!(
            "epoch {:>2}  loss {l:.4}  held-out accuracy {:.2}%",
            i + 1,
            100.0 * a
        );
    }
    println!("trained in {:.1} s", start.elapsed().as_secs_f64());
    model.save(&checkpoint)?;
    println!("saved {} (run again to reload it)", checkpoint.display());
    let png = root.join("examples/out/lenet.png");
    plot(&history, &png)?;
    println!(
        "loss (blue) and held-out accuracy (red) per epoch: {}",
        png.display()
    );
    Ok(())
}
