//! A 4-16-3 tanh network on Fisher's iris flowers (`examples/data/iris.csv`),
//! trained entirely in the static engine: the model is a plain struct deriving
//! `Tangent`, the softmax cross-entropy of a mini-batch of 8 is a
//! `#[differentiable]` function (calling another, the loss of one flower) whose
//! gradient is generated at compile time, and
//! `static_optim::Adam` updates the struct in place. A training step allocates
//! nothing (`tests/examples_iris_static.rs` counts). The features are
//! standardised with the statistics of the training split; a fifth of the
//! flowers is held out. At the end the same model, from the same start, takes
//! training steps on the `Tensor` tape (`nn::Linear`, `cross_entropy`,
//! `optim::Adam`) for a rough timing; `benches/iris.rs` measures both properly.
//!
//! Run with `cargo run --release --example iris_static`.

use autograd::nalgebra::{SMatrix, SVector};
use autograd::nn::functional as F;
use autograd::prelude::*;
use autograd::static_optim::Adam;
use std::path::Path;
use std::time::Instant;

/// Inputs per flower: sepal length and width, petal length and width.
pub const FEATURES: usize = 4;
/// Hidden units.
pub const HIDDEN: usize = 16;
/// Species: setosa, versicolor, virginica.
pub const CLASSES: usize = 3;
/// Flowers per training step.
pub const BATCH: usize = 8;

/// One flower's standardised features.
pub type Features = SVector<f64, FEATURES>;
/// A mini-batch of features, one flower a row.
pub type BatchX = SMatrix<f64, BATCH, FEATURES>;
/// A mini-batch of one-hot classes, one flower a row.
pub type BatchY = SMatrix<f64, BATCH, CLASSES>;

/// A fully connected layer `y = W x + b` from `I` inputs to `O` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
pub struct Dense<const I: usize, const O: usize> {
    /// `(O, I)`, as `nn.Linear`'s weight.
    pub w: SMatrix<f64, O, I>,
    /// `(O)`.
    pub b: SVector<f64, O>,
}

/// The network: `out(tanh(hidden(x)))`, whose outputs are the class scores
/// (logits). A value of this type is also its own gradient and optimizer state.
#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
pub struct Mlp {
    /// Input to hidden layer.
    pub hidden: Dense<FEATURES, HIDDEN>,
    /// Hidden to output layer.
    pub out: Dense<HIDDEN, CLASSES>,
}

/// SplitMix64: a small seeded generator, enough for initialisation and shuffling.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Shuffles `v` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// PyTorch's default initialisation of `nn.Linear(I, O)`: every entry
    /// uniform in `(-1/sqrt(I), 1/sqrt(I))`.
    pub fn init(rng: &mut Rng) -> Self {
        let bound = 1.0 / (I as f64).sqrt();
        let mut draw = || bound * (2.0 * rng.uniform() - 1.0);
        let w = SMatrix::from_fn(|_, _| draw());
        let b = SVector::from_fn(|_, _| draw());
        Dense { w, b }
    }
}

impl Mlp {
    /// A network initialised from `seed`.
    pub fn init(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let hidden = Dense::init(&mut rng);
        let out = Dense::init(&mut rng);
        Mlp { hidden, out }
    }

    /// The class scores of one flower.
    pub fn logits(&self, x: &Features) -> SVector<f64, CLASSES> {
        let h = (self.hidden.w * x + self.hidden.b).map(f64::tanh);
        self.out.w * h + self.out.b
    }

    /// The most likely class of one flower.
    pub fn predict(&self, x: &Features) -> usize {
        self.logits(x).argmax().0
    }
}

/// The softmax cross-entropy of one flower's class scores `z` against its
/// one-hot class `y`: `log(sum_c exp(z_c)) - z_y`. The largest score is
/// subtracted before `exp` and added back: a constant (hence `detach`) that keeps
/// `exp` from overflowing without changing the value or the gradient.
#[differentiable]
pub fn cross_entropy(z: &SVector<f64, CLASSES>, #[constant] y: &SVector<f64, CLASSES>) -> f64 {
    let top = autograd::detach(z.max());
    let lse = (z - SVector::<f64, CLASSES>::repeat(top))
        .map(|v| v.exp())
        .sum()
        .ln()
        + top;
    lse - z.dot(y)
}

/// The mean cross-entropy of a mini-batch (`F.cross_entropy` on the logits and
/// the class indices): the network on all rows at once, then [`cross_entropy`]
/// row by row.
#[differentiable]
pub fn batch_loss(m: &Mlp, #[constant] x: &BatchX, #[constant] y: &BatchY) -> f64 {
    let ones = SVector::<f64, BATCH>::repeat(1.0);
    let h = (x * m.hidden.w.transpose() + ones * m.hidden.b.transpose()).tanh();
    let z = h * m.out.w.transpose() + ones * m.out.b.transpose();
    let mut total = 0.0;
    for i in 0..BATCH {
        let zi = SVector::<f64, CLASSES>::new(z[(i, 0)], z[(i, 1)], z[(i, 2)]);
        total += cross_entropy(&zi, &y.row(i).transpose());
    }
    total / BATCH as f64
}

/// One training step: the loss of the batch, its gradient with respect to the
/// whole struct, and Adam's update. Allocates nothing.
#[inline(never)]
pub fn train_step(m: &mut Mlp, opt: &mut Adam<Mlp>, x: &BatchX, y: &BatchY) -> f64 {
    let (loss, g) = batch_loss::grad(m, x, y);
    opt.step(m, &g.m);
    loss
}

/// The flowers' measurements, one row of four per flower, and their classes.
pub type Flowers = (Vec<[f64; FEATURES]>, Vec<usize>);

/// The data set: one row of four measurements and one class per flower.
pub fn load(path: &Path) -> Result<Flowers, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let n: usize = lines
        .next()
        .ok_or("empty file")?
        .split(',')
        .next()
        .ok_or("no header")?
        .parse()?;
    let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line.split(',').map(str::parse).collect::<Result<_, _>>()?;
        if v.len() != FEATURES + 1 {
            return Err(format!(
                "expected {} values per row, found {}",
                FEATURES + 1,
                v.len()
            )
            .into());
        }
        x.push([v[0], v[1], v[2], v[3]]);
        y.push(v[FEATURES] as usize);
    }
    if y.len() != n {
        return Err(format!("the header announces {n} rows, the file has {}", y.len()).into());
    }
    Ok((x, y))
}

/// Flowers, standardised, with their classes.
#[derive(Clone, Debug, Default)]
pub struct Split {
    /// Features.
    pub x: Vec<Features>,
    /// Classes 0..3.
    pub y: Vec<usize>,
}

impl Split {
    /// Fraction of the flowers whose predicted class is their class.
    pub fn accuracy(&self, m: &Mlp) -> f64 {
        let right = self
            .x
            .iter()
            .zip(&self.y)
            .filter(|(x, &y)| m.predict(x) == y)
            .count();
        right as f64 / self.y.len() as f64
    }

    /// The mini-batch of the flowers at `idx` (`BATCH` of them).
    pub fn batch(&self, idx: &[usize]) -> (BatchX, BatchY) {
        let mut x = BatchX::zeros();
        let mut y = BatchY::zeros();
        for (r, &i) in idx.iter().enumerate().take(BATCH) {
            x.set_row(r, &self.x[i].transpose());
            y[(r, self.y[i])] = 1.0;
        }
        (x, y)
    }
}

/// Shuffles the flowers with `seed`, holds out a fifth, and standardises both
/// parts with the training part's mean and deviation.
pub fn split(path: &Path, seed: u64) -> Result<(Split, Split), Box<dyn std::error::Error>> {
    let (x, y) = load(path)?;
    let mut order: Vec<usize> = (0..y.len()).collect();
    Rng::new(seed).shuffle(&mut order);
    let n_test = y.len() / 5;
    let (test_idx, train_idx) = order.split_at(n_test);
    let raw = |i: usize| Features::from(x[i]);
    let mean = train_idx.iter().map(|&i| raw(i)).sum::<Features>() / train_idx.len() as f64;
    let var = train_idx
        .iter()
        .map(|&i| (raw(i) - mean).map(|d| d * d))
        .sum::<Features>()
        / train_idx.len() as f64;
    let std = var.map(|v| v.sqrt() + 1e-8);
    let part = |idx: &[usize]| Split {
        x: idx
            .iter()
            .map(|&i| (raw(i) - mean).component_div(&std))
            .collect(),
        y: idx.iter().map(|&i| y[i]).collect(),
    };
    Ok((part(train_idx), part(test_idx)))
}

/// What a run reports.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// Mean training loss over the last epoch's steps.
    pub train_loss: f64,
    /// Accuracy on the training split.
    pub train_accuracy: f64,
    /// Accuracy on the held-out split.
    pub test_accuracy: f64,
    /// Flowers held out.
    pub test_size: usize,
    /// Training steps taken.
    pub steps: usize,
}

/// Trains a network initialised from `seed` for `epochs` passes over the
/// shuffled training split (`train.len() / BATCH` steps each; the remainder of
/// a pass waits for the next shuffle) with Adam at `lr`.
pub fn train(train: &Split, epochs: usize, lr: f64, seed: u64) -> (Mlp, f64, usize) {
    let mut model = Mlp::init(seed);
    let mut opt = Adam::new(&model, lr);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut order: Vec<usize> = (0..train.y.len()).collect();
    let (mut last, mut steps) = (f64::NAN, 0);
    for _ in 0..epochs {
        rng.shuffle(&mut order);
        let mut total = 0.0;
        let chunks = order.chunks_exact(BATCH);
        let n = chunks.len();
        for idx in chunks {
            let (x, y) = train.batch(idx);
            total += train_step(&mut model, &mut opt, &x, &y);
        }
        steps += n;
        last = total / n as f64;
    }
    (model, last, steps)
}

/// Splits with `seed`, trains `epochs` epochs with Adam at `lr`, evaluates.
pub fn run(
    path: &Path,
    epochs: usize,
    lr: f64,
    seed: u64,
) -> Result<(Report, Mlp), Box<dyn std::error::Error>> {
    let (tr, te) = split(path, seed)?;
    let (model, train_loss, steps) = train(&tr, epochs, lr, seed);
    let report = Report {
        train_loss,
        train_accuracy: tr.accuracy(&model),
        test_accuracy: te.accuracy(&model),
        test_size: te.y.len(),
        steps,
    };
    Ok((report, model))
}

/// The same network on the tape: two `nn::Linear` with the static model's
/// parameters (`f64`).
pub struct TapeMlp {
    /// Input to hidden layer.
    pub hidden: nn::Linear,
    /// Hidden to output layer.
    pub out: nn::Linear,
}

fn tensor<const R: usize, const C: usize>(m: &SMatrix<f64, R, C>) -> Tensor {
    // nalgebra stores columns; the tape is row-major.
    let rows: Vec<f64> = m.transpose().iter().copied().collect();
    if C == 1 {
        Tensor::from_vec(rows, &[R])
    } else {
        Tensor::from_vec(rows, &[R, C])
    }
}

impl TapeMlp {
    /// The tape twin of `m`: same weights, leaves that require grad.
    pub fn new(m: &Mlp) -> Self {
        let layer = |w: Tensor, b: Tensor| nn::Linear::from_parameters(w, Some(b));
        TapeMlp {
            hidden: layer(tensor(&m.hidden.w), tensor(&m.hidden.b)),
            out: layer(tensor(&m.out.w), tensor(&m.out.b)),
        }
    }

    /// Parameters in the order weight, bias, weight, bias.
    pub fn parameters(&self) -> Vec<Tensor> {
        let mut p = self.hidden.parameters();
        p.extend(self.out.parameters());
        p
    }

    /// The mean cross-entropy of a batch: features `(BATCH, 4)`, classes `(BATCH)`.
    pub fn loss(&self, x: &Tensor, classes: &Tensor) -> Tensor {
        let logits = self.out.forward(&self.hidden.forward(x).tanh());
        F::cross_entropy(&logits, classes)
    }
}

/// A static batch as tensors: features `(BATCH, 4)` and class indices `(BATCH)`.
pub fn tape_batch(x: &BatchX, y: &BatchY) -> (Tensor, Tensor) {
    let classes: Vec<f64> = (0..BATCH)
        .map(|r| y.row(r).transpose().argmax().0 as f64)
        .collect();
    (tensor(x), Tensor::from_vec(classes, &[BATCH]))
}

/// One training step on the tape: forward, backward, Adam.
pub fn tape_step(m: &TapeMlp, opt: &mut optim::Adam, x: &Tensor, classes: &Tensor) -> f64 {
    opt.zero_grad();
    let loss = m.loss(x, classes);
    loss.backward().expect("a scalar loss");
    opt.step();
    loss.item()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/iris.csv");
    let (r, _) = run(&path, 200, 0.01, 0)?;
    println!(
        "{} steps of {BATCH} flowers, final training loss {:.4}",
        r.steps, r.train_loss
    );
    println!("training accuracy {:.2}%", 100.0 * r.train_accuracy);
    println!(
        "held-out accuracy {:.2}% on {} flowers",
        100.0 * r.test_accuracy,
        r.test_size
    );

    // A rough timing of one step in each engine; benches/iris.rs does it properly.
    let (tr, _) = split(&path, 0)?;
    let (x, y) = tr.batch(&(0..BATCH).collect::<Vec<_>>());
    let steps = 2000;
    let mut m = Mlp::init(0);
    let mut opt = Adam::new(&m, 0.01);
    let start = Instant::now();
    for _ in 0..steps {
        std::hint::black_box(train_step(&mut m, &mut opt, &x, &y));
    }
    let static_us = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
    let tape = TapeMlp::new(&Mlp::init(0));
    let mut opt = optim::Adam::new(tape.parameters(), 0.01);
    let (tx, tc) = tape_batch(&x, &y);
    let start = Instant::now();
    for _ in 0..steps {
        std::hint::black_box(tape_step(&tape, &mut opt, &tx, &tc));
    }
    let tape_us = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
    println!(
        "one training step: static {static_us:.2} us, tape {tape_us:.2} us ({:.0}x)",
        tape_us / static_us
    );
    Ok(())
}
