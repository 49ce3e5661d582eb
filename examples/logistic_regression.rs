//! Logistic regression on the Wisconsin breast-cancer data (569 tumours, 30
//! features, `examples/data/breast_cancer.csv`): a module with one
//! `nn::Linear`, trained with `binary_cross_entropy_with_logits` on mini-batches
//! from a `DataLoader`, the features standardised with the training split's mean
//! and deviation; prints the accuracy on a held-out fifth.
//!
//! Run with `cargo run --release --example logistic_regression`.

use autograd::data::{random_split, DataLoader, Dataset, TensorDataset};
use autograd::nn::functional as F;
use autograd::prelude::*;
use std::path::Path;

/// `sigmoid(w . x + b)` is the probability of a benign tumour; `forward` returns
/// the score `w . x + b` (the logit).
#[derive(Module)]
pub struct LogisticRegression {
    linear: nn::Linear,
}

impl LogisticRegression {
    /// A model over `features` inputs, initialised as `nn.Linear(features, 1)`.
    pub fn new(features: usize) -> Self {
        LogisticRegression {
            linear: nn::Linear::new(features, 1),
        }
    }
}

impl Module for LogisticRegression {
    fn forward(&self, x: &Tensor) -> Tensor {
        let z = self.linear.forward(x);
        z.reshape(&[z.shape()[0]])
    }
}

/// The data set: features `(569, 30)` and classes `(569)` (0 malignant, 1 benign).
pub fn load(path: &Path) -> Result<(Tensor, Tensor), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<usize> = lines
        .next()
        .ok_or("empty file")?
        .split(',')
        .take(2)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let (n, d) = (header[0], header[1]);
    let (mut x, mut y) = (Vec::with_capacity(n * d), Vec::with_capacity(n));
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let v: Vec<f32> = line.split(',').map(str::parse).collect::<Result<_, _>>()?;
        if v.len() != d + 1 {
            return Err(format!("expected {} values per row, found {}", d + 1, v.len()).into());
        }
        x.extend_from_slice(&v[..d]);
        y.push(v[d]);
    }
    if y.len() != n {
        return Err(format!("the header announces {n} rows, the file has {}", y.len()).into());
    }
    Ok((Tensor::from_vec(x, &[n, d]), Tensor::from_vec(y, &[n])))
}

/// What a run reports.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// Mean training loss of the last epoch.
    pub train_loss: f64,
    /// Accuracy on the training split.
    pub train_accuracy: f64,
    /// Accuracy on the held-out split.
    pub test_accuracy: f64,
    /// Number of held-out examples.
    pub test_size: usize,
}

/// Fraction of examples whose predicted class (`logit > 0`) is the label.
pub fn accuracy(model: &impl Module, x: &Tensor, y: &Tensor) -> f64 {
    no_grad(|| {
        let pred = model.forward(x).gt_scalar(0.0);
        pred.eq_elem(y).mean().item()
    })
}

/// Splits 80/20 with `seed`, standardises, trains `epochs` epochs of SGD with
/// momentum on batches of 32 and evaluates.
pub fn run(
    path: &Path,
    epochs: usize,
    seed: u64,
    verbose: bool,
) -> Result<Report, Box<dyn std::error::Error>> {
    autograd::manual_seed(seed);
    let (x, y) = load(path)?;
    let n = y.shape()[0];
    let n_test = n / 5;
    let all = TensorDataset::new(x, y);
    let parts = random_split(&all, &[n - n_test, n_test], seed);
    let train_idx = parts[0].indices();
    let test_idx = parts[1].indices();
    let (x_train, y_train) = all.get_batch(train_idx);
    let (x_test, y_test) = all.get_batch(test_idx);

    // Standardise with the statistics of the training split only.
    let mean = x_train.mean_dim(0, true);
    let std = (&x_train - &mean).square().mean_dim(0, true).sqrt() + 1e-8;
    let x_train = (x_train - &mean) / &std;
    let x_test = (x_test - &mean) / &std;

    let model = LogisticRegression::new(x_train.shape()[1]);
    let mut opt = optim::Sgd::new(model.parameters(), 0.05).momentum(0.9);
    let loader =
        DataLoader::new(TensorDataset::new(x_train.clone(), y_train.clone()), 32).shuffle(seed);
    let mut train_loss = f64::NAN;
    for epoch in 1..=epochs {
        let mut total = 0.0;
        for (xb, yb) in &loader {
            let loss = F::binary_cross_entropy_with_logits(&model.forward(&xb), &yb);
            opt.zero_grad();
            loss.backward()?;
            opt.step();
            total += loss.item() * yb.shape()[0] as f64;
        }
        train_loss = total / loader.dataset().len() as f64;
        if verbose && (epoch == 1 || epoch % 10 == 0) {
            println!("epoch {epoch:>3}  training loss {train_loss:.4}");
        }
    }
    Ok(Report {
        train_loss,
        train_accuracy: accuracy(&model, &x_train, &y_train),
        test_accuracy: accuracy(&model, &x_test, &y_test),
        test_size: n_test,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/breast_cancer.csv");
    let r = run(&path, 50, 0, true)?;
    println!("training accuracy {:.2}%", 100.0 * r.train_accuracy);
    println!(
        "held-out accuracy {:.2}% on {} tumours",
        100.0 * r.test_accuracy,
        r.test_size
    );
    Ok(())
}
