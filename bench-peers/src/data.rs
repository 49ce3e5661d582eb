//! The workloads' data, parameters and the gradient each library must reproduce.
//!
//! W1-W3 use the definitions of `benches/workloads/mod.rs` (included by path in
//! `main.rs`). W4 and W5 follow `benches/workloads/training.rs` (shapes,
//! arithmetic, classes `i % 10`, standard normal input) but draw their weights
//! (PyTorch's `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` bounds) and inputs from [`Rng`]
//! with a fixed seed, so every library starts from the same numbers and can be
//! checked against ours; `pytorch_bench.py` reads them from the file
//! [`crate::export`] writes.

use crate::workloads::{mlp_sample, thermometer, Mlp};

/// SplitMix64: a tiny, portable generator (also easy to mirror elsewhere).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// `n` values uniform in `[-bound, bound)`, rounded to `f32`.
    pub fn uniform_f32(&mut self, n: usize, bound: f64) -> Vec<f32> {
        (0..n).map(|_| ((self.uniform() * 2.0 - 1.0) * bound) as f32).collect()
    }
}

/// A named array in PyTorch's layout (row-major; `nn.Linear` weights `(out, in)`,
/// `nn.Conv2d` weights `(out, in, k, k)`).
#[derive(Clone, Debug)]
pub struct Array {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Array {
    pub fn new(name: &'static str, shape: &[usize], data: Vec<f64>) -> Array {
        assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}");
        Array { name, shape: shape.to_vec(), data }
    }
    pub fn f32(name: &'static str, shape: &[usize], data: &[f32]) -> Array {
        Array::new(name, shape, data.iter().map(|&v| v as f64).collect())
    }
    pub fn as_f32(&self) -> Vec<f32> {
        self.data.iter().map(|&v| v as f32).collect()
    }
}

/// A loss and the gradient of every parameter, in the order of the workload's
/// parameter list.
#[derive(Clone, Debug)]
pub struct LossGrad {
    pub loss: f64,
    pub grads: Vec<Vec<f64>>,
}

/// Compares `got` with `reference`: the loss and each gradient array must agree
/// to `rtol` relative to the array's largest magnitude (max-norm).
pub fn check(got: &LossGrad, reference: &LossGrad, rtol: f64) -> Result<f64, String> {
    let scale = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    let mut worst = (got.loss - reference.loss).abs() / reference.loss.abs().max(1e-30);
    if !(worst <= rtol) {
        return Err(format!("loss {} vs ours {}", got.loss, reference.loss));
    }
    if got.grads.len() != reference.grads.len() {
        return Err(format!("{} gradients vs ours {}", got.grads.len(), reference.grads.len()));
    }
    let mut bad = Vec::new();
    for (i, (g, r)) in got.grads.iter().zip(&reference.grads).enumerate() {
        if g.len() != r.len() {
            return Err(format!("gradient {i}: {} values vs ours {}", g.len(), r.len()));
        }
        let s = scale(r);
        let err = g.iter().zip(r).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / s;
        if !(err <= rtol) {
            bad.push(format!("gradient {i}: relative max error {err:.3e} > {rtol:.0e}"));
        }
        worst = worst.max(err);
    }
    if bad.is_empty() {
        Ok(worst)
    } else {
        Err(bad.join("; "))
    }
}

/// W1: thermometer readings (scaled by 0.1 as in benches/static.rs) and the start.
pub struct W1 {
    pub t_u: [f64; 11],
    pub t_c: [f64; 11],
    pub w: f64,
    pub b: f64,
}

pub fn w1() -> W1 {
    W1 {
        t_u: thermometer::T_U.map(|v| v * 0.1),
        t_c: thermometer::T_C,
        w: 1.0,
        b: 0.0,
    }
}

/// W2: the neuron at the point of benches/static.rs.
pub struct W2 {
    pub w: f64,
    pub b: f64,
    pub x: f64,
    pub y: f64,
}

pub fn w2() -> W2 {
    W2 { w: 0.3, b: -0.1, x: 1.7, y: 0.4 }
}

/// W3: the 4-16-16-1 tanh network as row-major arrays, and its sample.
pub struct W3 {
    pub m: Mlp,
    /// w1 (16x4), b1 (16), w2 (16x16), b2 (16), w3 (1x16), b3 (1), row-major.
    pub params: Vec<Array>,
    pub x: [f64; 4],
    pub y: f64,
}

pub fn w3() -> W3 {
    let m = Mlp::new();
    let (x, y) = mlp_sample();
    let rows = |name, r: usize, c: usize, get: &dyn Fn(usize, usize) -> f64| {
        let mut v = Vec::with_capacity(r * c);
        for i in 0..r {
            for j in 0..c {
                v.push(get(i, j));
            }
        }
        Array::new(name, &[r, c], v)
    };
    let params = vec![
        rows("w1", 16, 4, &|i, j| m.w1[(i, j)]),
        Array::new("b1", &[16], m.b1.iter().copied().collect()),
        rows("w2", 16, 16, &|i, j| m.w2[(i, j)]),
        Array::new("b2", &[16], m.b2.iter().copied().collect()),
        rows("w3", 1, 16, &|i, j| m.w3[(i, j)]),
        Array::new("b3", &[1], vec![m.b3]),
    ];
    W3 { m, params, x: [x[0], x[1], x[2], x[3]], y }
}

/// Learning rate of the SGD step of W4 and W5.
pub const LR: f64 = 0.01;

/// W4: 784-128-10 ReLU perceptron, batch 64, f32, cross-entropy (mean).
pub struct W4 {
    /// fc1.weight (128x784), fc1.bias, fc2.weight (10x128), fc2.bias.
    pub params: Vec<Array>,
    /// `(64, 784)`, standard normal.
    pub x: Vec<f32>,
    /// 64 class indices in `0..10`.
    pub labels: Vec<usize>,
}

pub const W4_BATCH: usize = 64;

fn linear_init(rng: &mut Rng, wname: &'static str, bname: &'static str, i: usize, o: usize) -> [Array; 2] {
    let bound = 1.0 / (i as f64).sqrt();
    [
        Array::f32(wname, &[o, i], &rng.uniform_f32(o * i, bound)),
        Array::f32(bname, &[o], &rng.uniform_f32(o, bound)),
    ]
}

fn conv_init(rng: &mut Rng, wname: &'static str, bname: &'static str, i: usize, o: usize, k: usize) -> [Array; 2] {
    let bound = 1.0 / ((i * k * k) as f64).sqrt();
    [
        Array::f32(wname, &[o, i, k, k], &rng.uniform_f32(o * i * k * k, bound)),
        Array::f32(bname, &[o], &rng.uniform_f32(o, bound)),
    ]
}

/// Standard normal inputs (Box-Muller) and the classes `i % 10`, as in
/// `benches/workloads/training.rs`.
fn inputs_and_labels(rng: &mut Rng, n: usize, per: usize) -> (Vec<f32>, Vec<usize>) {
    let x = (0..n * per)
        .map(|_| {
            let (u, v) = (1.0 - rng.uniform(), rng.uniform());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect();
    (x, (0..n).map(|i| i % 10).collect())
}

pub fn w4() -> W4 {
    let mut rng = Rng::new(4);
    let mut params = Vec::new();
    params.extend(linear_init(&mut rng, "fc1.weight", "fc1.bias", 784, 128));
    params.extend(linear_init(&mut rng, "fc2.weight", "fc2.bias", 128, 10));
    let (x, labels) = inputs_and_labels(&mut rng, W4_BATCH, 784);
    W4 { params, x, labels }
}

/// W5: LeNet as in `benches/workloads/training.rs` and examples/lenet.rs (conv
/// 1->6 3x3, ReLU, max-pool 2, conv 6->16 3x3, ReLU, max-pool 2, 576-120-84-10
/// with ReLU), batch 32 of 1x32x32, f32, cross-entropy, SGD.
pub struct W5 {
    /// conv1.weight (6,1,3,3), conv1.bias, conv2.weight (16,6,3,3), conv2.bias,
    /// fc1.weight (120,576), fc1.bias, fc2.weight (84,120), fc2.bias,
    /// fc3.weight (10,84), fc3.bias.
    pub params: Vec<Array>,
    /// `(32, 1, 32, 32)`, standard normal.
    pub x: Vec<f32>,
    pub labels: Vec<usize>,
}

pub const W5_BATCH: usize = 32;
pub const W5_SIDE: usize = 32;
/// Side of the feature maps after the second pooling: 32 -> 30 -> 15 -> 13 -> 6.
pub const W5_POOLED: usize = ((W5_SIDE - 2) / 2 - 2) / 2;
pub const W5_FLAT: usize = 16 * W5_POOLED * W5_POOLED;

pub fn w5() -> W5 {
    let mut rng = Rng::new(5);
    let mut params = Vec::new();
    params.extend(conv_init(&mut rng, "conv1.weight", "conv1.bias", 1, 6, 3));
    params.extend(conv_init(&mut rng, "conv2.weight", "conv2.bias", 6, 16, 3));
    params.extend(linear_init(&mut rng, "fc1.weight", "fc1.bias", W5_FLAT, 120));
    params.extend(linear_init(&mut rng, "fc2.weight", "fc2.bias", 120, 84));
    params.extend(linear_init(&mut rng, "fc3.weight", "fc3.bias", 84, 10));
    let (x, labels) = inputs_and_labels(&mut rng, W5_BATCH, W5_SIDE * W5_SIDE);
    W5 { params, x, labels }
}
