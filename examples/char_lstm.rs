//! A character-level language model (Karpathy's "char-rnn" in miniature):
//! `nn::Embedding` -> `nn::LSTM` -> `nn::Linear`, trained to predict the next
//! character of eight of Shakespeare's sonnets (`examples/data/sonnets.txt`,
//! about 5 KB, public domain).
//!
//! The text is cut into `batch_size` parallel streams read `seq_len` characters
//! at a time: truncated backpropagation through time, the LSTM's state carried
//! from one chunk to the next but detached, so each backward stops at the chunk's
//! start. Adam, cross entropy, gradient clipping at norm 1, a progress bar, a
//! loss PNG in `examples/out/`, and at the end a few hundred sampled characters.
//!
//! Run with `cargo run --release --example char_lstm`.

use autograd::nn::functional as F;
use autograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

/// The characters of a text, sorted, and the index of each.
#[derive(Clone, Debug)]
pub struct Vocab {
    /// Index to character.
    pub chars: Vec<char>,
}

impl Vocab {
    /// Every distinct character of `text`.
    pub fn new(text: &str) -> Vocab {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        Vocab { chars }
    }

    /// Number of characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The index of `c`.
    ///
    /// # Panics
    /// If `c` is not in the vocabulary.
    pub fn index(&self, c: char) -> usize {
        self.chars
            .binary_search(&c)
            .unwrap_or_else(|_| panic!("{c:?} is not in the vocabulary"))
    }

    /// `text` as indices.
    pub fn encode(&self, text: &str) -> Vec<usize> {
        text.chars().map(|c| self.index(c)).collect()
    }
}

/// The sonnets, as shipped in `examples/data/`.
pub fn load_text(root: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(root.join("examples/data/sonnets.txt"))
}

/// The network: registered by `#[derive(Module)]` as `embed.weight`,
/// `lstm.weight_ih_l0`, ..., `head.bias`.
#[derive(Module)]
pub struct CharLstm {
    embed: nn::Embedding,
    lstm: nn::LSTM,
    head: nn::Linear,
}

/// The LSTM's `(h, c)`, each `(1, batch, hidden)`.
pub type State = (Tensor, Tensor);

impl CharLstm {
    /// A network over `vocab` characters, with PyTorch's default init.
    pub fn new(vocab: usize, embed: usize, hidden: usize) -> CharLstm {
        CharLstm {
            embed: nn::Embedding::new(vocab, embed),
            lstm: nn::LSTM::new(embed, hidden),
            head: nn::Linear::new(hidden, vocab),
        }
    }

    /// `(T, B)` character indices (as `f32`) to `(T B, vocab)` scores of the
    /// next character, row `t B + b` for step `t` of stream `b`, and the state
    /// after the last step. `state` is `None` for zeros.
    pub fn step(&self, x: &Tensor, state: Option<&State>) -> (Tensor, State) {
        let (t, b) = (x.shape()[0], x.shape()[1]);
        let e = self.embed.forward(x); // (T, B, E)
        let (y, state) = self.lstm.forward_with(&e, state.map(|(h, c)| (h, c)));
        let hidden = y.shape()[2];
        (self.head.forward(&y.reshape(&[t * b, hidden])), state)
    }
}

impl Module for CharLstm {
    /// `(T, B)` indices to `(T B, vocab)` scores, from a zero state.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.step(x, None).0
    }
}

/// Training settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Passes over the text.
    pub epochs: usize,
    /// Parallel streams the text is cut into.
    pub batch_size: usize,
    /// Characters per chunk: how far back each backward reaches.
    pub seq_len: usize,
    /// Size of a character's embedding.
    pub embed: usize,
    /// Size of the LSTM's state.
    pub hidden: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// The gradients' largest 2-norm (`clip_grad_norm_`).
    pub clip: f64,
    /// Seeds the initialisation and the sampling.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            epochs: 60,
            batch_size: 16,
            seq_len: 32,
            embed: 32,
            hidden: 128,
            lr: 3e-3,
            clip: 1.0,
            seed: 0,
        }
    }
}

/// The text as `batch_size` streams: `chunks[k]` is the `k`-th pair of
/// `(seq_len, batch_size)` inputs and targets (the next characters).
pub fn batches(ids: &[usize], cfg: &Config) -> Vec<(Tensor, Tensor)> {
    let (b, t) = (cfg.batch_size, cfg.seq_len);
    // Each stream needs one character beyond its inputs for the last target.
    let stream = (ids.len() - 1) / b;
    let stream_of = |s: usize| &ids[s * stream..s * stream + stream + 1];
    (0..stream / t)
        .map(|k| {
            let (mut x, mut y) = (Vec::with_capacity(t * b), Vec::with_capacity(t * b));
            for i in 0..t {
                for s in 0..b {
                    let p = k * t + i;
                    x.push(stream_of(s)[p] as f32);
                    y.push(stream_of(s)[p + 1] as f32);
                }
            }
            (Tensor::from_vec(x, &[t, b]), Tensor::from_vec(y, &[t * b]))
        })
        .collect()
}

/// Trains `model` on `data` (from [`batches`]) and returns the mean loss
/// (nats per character) of each epoch, reporting on `bar`.
pub fn train(
    model: &CharLstm,
    data: &[(Tensor, Tensor)],
    cfg: &Config,
    bar: &ProgressBar,
) -> Vec<f64> {
    let params = model.parameters();
    let mut opt = optim::Adam::new(params.clone(), cfg.lr);
    bar.set_length((cfg.epochs * data.len()) as u64);
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let mut state: Option<State> = None;
        let mut total = 0.0;
        for (x, y) in data {
            let (logits, (h, c)) = model.step(x, state.as_ref());
            let loss = F::cross_entropy(&logits, y);
            opt.zero_grad();
            loss.backward().expect("the loss is a scalar");
            optim::clip_grad_norm_(&params, cfg.clip);
            opt.step();
            // Truncated BPTT: the next chunk starts from this state's value,
            // not from its graph.
            state = Some((h.detach(), c.detach()));
            total += loss.item();
            bar.inc(1);
        }
        history.push(total / data.len() as f64);
        bar.set_message(format!("epoch {epoch}: loss {:.3}", history[epoch - 1]));
    }
    history
}

/// `n` characters after `prompt`, each drawn from the model's softmax at
/// `temperature` (the generator seeded by `autograd::manual_seed`).
pub fn sample(model: &CharLstm, vocab: &Vocab, prompt: &str, n: usize, temperature: f64) -> String {
    no_grad(|| {
        let ids = vocab.encode(prompt);
        let x = Tensor::from_vec(ids.iter().map(|&i| i as f32).collect(), &[ids.len(), 1]);
        let (logits, mut state) = model.step(&x, None);
        let mut last = logits.narrow(0, ids.len() - 1, 1);
        let mut out = String::new();
        for _ in 0..n {
            let p = (last / temperature).softmax(-1).to_vec::<f64>();
            let u = Tensor::rand(&[1]).item();
            let mut acc = 0.0;
            let next = p
                .iter()
                .position(|&q| {
                    acc += q;
                    u < acc
                })
                .unwrap_or(p.len() - 1);
            out.push(vocab.chars[next]);
            let x = Tensor::from_vec(vec![next as f32], &[1, 1]);
            let (logits, s) = model.step(&x, Some(&state));
            last = logits;
            state = s;
        }
        out
    })
}

/// The entropy of the text's character frequencies, in nats: the loss of the
/// best model that ignores every earlier character.
pub fn unigram_entropy(ids: &[usize], vocab: usize) -> f64 {
    let mut counts = vec![0usize; vocab];
    ids.iter().for_each(|&i| counts[i] += 1);
    let n = ids.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| -(c as f64 / n) * (c as f64 / n).ln())
        .sum()
}

/// The loss per epoch (blue) against the unigram entropy (red line).
pub fn plot(history: &[f64], unigram: f64, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path, (600, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = history.len().max(2);
    let top = history.iter().cloned().fold(unigram, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .margin(20)
        .build_cartesian_2d(1..n, 0.0..top * 1.05)?;
    chart.configure_mesh().draw()?;
    chart.draw_series(LineSeries::new(
        [(1, unigram), (n, unigram)],
        RED.mix(0.6).stroke_width(1),
    ))?;
    chart.draw_series(LineSeries::new(
        history.iter().enumerate().map(|(i, &v)| (i + 1, v)),
        BLUE.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = Config::default();
    autograd::manual_seed(cfg.seed);
    let text = load_text(root)?;
    let vocab = Vocab::new(&text);
    let ids = vocab.encode(&text);
    let data = batches(&ids, &cfg);
    let unigram = unigram_entropy(&ids, vocab.len());
    println!(
        "{} characters, {} distinct: uniform guessing costs ln {} = {:.3} nats a character, \
         the character frequencies alone {unigram:.3}",
        ids.len(),
        vocab.len(),
        vocab.len(),
        (vocab.len() as f64).ln()
    );
    let model = CharLstm::new(vocab.len(), cfg.embed, cfg.hidden);
    println!(
        "{} parameters; {} chunks of {} x {} characters an epoch",
        model.num_parameters(),
        data.len(),
        cfg.seq_len,
        cfg.batch_size
    );
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos:>5}/{len:5} [{elapsed_precise}] {msg}",
    )?);
    let start = std::time::Instant::now();
    let history = train(&model, &data, &cfg, &bar);
    bar.finish();
    println!(
        "loss {:.3} after the first epoch, {:.3} after the last; trained in {:.1} s",
        history[0],
        history[history.len() - 1],
        start.elapsed().as_secs_f64()
    );
    let png = root.join("examples/out/char_lstm.png");
    plot(&history, unigram, &png)?;
    println!("loss per epoch: {}", png.display());
    let prompt = "Shall I ";
    println!("\n{prompt}{}", sample(&model, &vocab, prompt, 300, 0.8));
    Ok(())
}
