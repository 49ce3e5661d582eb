//! The benchmark workloads W1-W5, defined once for the benches, the tests and the
//! peer benchmarks in `bench-peers/`.
//!
//! W1-W3 (small, `f64`) each come as a `#[differentiable]` function, a
//! hand-written analytic gradient and the same computation op by op on the tape
//! (`*_tape`): the tests check that all agree, `benches/static.rs` times the
//! static engine against the hand-written gradient and the forward pass, and
//! `benches/suite.rs` times the tape, the function applied as one tape node
//! (`NAME::apply`) and central finite differences. W4 and W5 (training steps on
//! the tape, `f32`) are in `training.rs` beside this file, a module of its own so
//! that what includes this one does not compile `examples/lenet.rs`.
#![allow(dead_code)]

use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;

#[path = "../../examples/data/thermometer.rs"]
pub mod thermometer;

/// W2: the tanh neuron of the PyTorch tutorials, `(y - tanh(w x + b))^2`.
#[differentiable]
pub fn neuron(w: f64, b: f64, #[constant] x: f64, #[constant] y: f64) -> f64 {
    let p = (w * x + b).tanh();
    (y - p).powi(2)
}

/// W2 on the tape: scalar (rank-0) `f64` tensors, one op at a time.
pub fn neuron_tape(w: &Tensor, b: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    (y - (w * x + b).tanh()).pow(2.0)
}

/// The neuron's gradient by hand: `dL/dw = -2x(y-p)(1-p^2)`, `dL/db = -2(y-p)(1-p^2)`.
#[inline(never)]
pub fn neuron_by_hand(w: f64, b: f64, x: f64, y: f64) -> (f64, f64, f64) {
    let p = (w * x + b).tanh();
    let r = y - p;
    let d = -2.0 * r * (1.0 - p * p);
    (r * r, d * x, d)
}

/// W1: the thermometer loss `mean((w t_u + b - t_c)^2)`.
#[differentiable]
pub fn thermometer_loss(
    w: f64,
    b: f64,
    #[constant] t_u: &SVector<f64, 11>,
    #[constant] t_c: &SVector<f64, 11>,
) -> f64 {
    let t_p = t_u * w + SVector::repeat(b);
    (t_p - t_c).map(|d| d * d).mean()
}

/// W1 on the tape: `w`, `b` rank-0 and `t_u`, `t_c` of shape `[11]`, `f64`.
pub fn thermometer_tape(w: &Tensor, b: &Tensor, t_u: &Tensor, t_c: &Tensor) -> Tensor {
    (t_u * w + b - t_c).pow(2.0).mean()
}

/// The thermometer loss's gradient by hand: `dL/dw = mean(2 d t_u)`, `dL/db = mean(2 d)`.
#[inline(never)]
pub fn thermometer_by_hand(
    w: f64,
    b: f64,
    t_u: &SVector<f64, 11>,
    t_c: &SVector<f64, 11>,
) -> (f64, f64, f64) {
    let (mut loss, mut gw, mut gb) = (0.0, 0.0, 0.0);
    for i in 0..11 {
        let d = w * t_u[i] + b - t_c[i];
        loss += d * d;
        gw += 2.0 * d * t_u[i];
        gb += 2.0 * d;
    }
    (loss / 11.0, gw / 11.0, gb / 11.0)
}

/// W3's parameters: a 4-16-16-1 tanh network.
#[derive(Clone, Copy)]
pub struct Mlp {
    pub w1: SMatrix<f64, 16, 4>,
    pub b1: SVector<f64, 16>,
    pub w2: SMatrix<f64, 16, 16>,
    pub b2: SVector<f64, 16>,
    pub w3: SMatrix<f64, 1, 16>,
    pub b3: f64,
}

impl Mlp {
    /// Deterministic, well-scaled weights.
    pub fn new() -> Self {
        let f = |i: usize, j: usize, s: f64| ((i * 7 + j * 13) % 17) as f64 / 17.0 * s - s / 2.0;
        Mlp {
            w1: SMatrix::from_fn(|i, j| f(i, j, 1.0)),
            b1: SVector::from_fn(|i, _| f(i, 3, 0.2)),
            w2: SMatrix::from_fn(|i, j| f(i, j + 5, 0.5)),
            b2: SVector::from_fn(|i, _| f(i, 1, 0.2)),
            w3: SMatrix::from_fn(|i, j| f(i + 2, j, 0.5)),
            b3: 0.1,
        }
    }
}

/// W3: squared error of a 4-16-16-1 tanh network on one sample.
#[differentiable]
#[allow(clippy::too_many_arguments)]
pub fn mlp_loss(
    w1: &SMatrix<f64, 16, 4>,
    b1: &SVector<f64, 16>,
    w2: &SMatrix<f64, 16, 16>,
    b2: &SVector<f64, 16>,
    w3: &SMatrix<f64, 1, 16>,
    b3: f64,
    #[constant] x: &SVector<f64, 4>,
    #[constant] y: f64,
) -> f64 {
    let h1 = (w1 * x + b1).tanh();
    let h2 = (w2 * h1 + b2).tanh();
    let out = (w3 * h2)[0] + b3;
    (out - y).powi(2)
}

/// W3 on the tape, with `f64` weights and sample as PyTorch would hold them:
/// `w1 [16, 4]`, `b1 [16]`, `w2 [16, 16]`, `b2 [16]`, `w3 [1, 16]`, `b3 []`,
/// `x [4]`, `y []` (matrix-vector products).
pub fn mlp_tape(p: &[Tensor; 6], x: &Tensor, y: &Tensor) -> Tensor {
    let [w1, b1, w2, b2, w3, b3] = p;
    let h1 = (w1.matmul(x) + b1).tanh();
    let h2 = (w2.matmul(&h1) + b2).tanh();
    let out = w3.matmul(&h2).reshape(&[]) + b3;
    (out - y).pow(2.0)
}

impl Mlp {
    /// The weights as tensors in the order of [`mlp_tape`], requiring grad.
    pub fn tensors(&self) -> [Tensor; 6] {
        let t =
            |v: &[f64], shape: &[usize]| Tensor::from_vec(v.to_vec(), shape).requires_grad_(true);
        // nalgebra stores column-major: transpose to read row-major.
        [
            t(self.w1.transpose().as_slice(), &[16, 4]),
            t(self.b1.as_slice(), &[16]),
            t(self.w2.transpose().as_slice(), &[16, 16]),
            t(self.b2.as_slice(), &[16]),
            t(self.w3.as_slice(), &[1, 16]),
            t(&[self.b3], &[]),
        ]
    }

    /// The weights as one flat vector (nalgebra's column-major order), for
    /// finite differences.
    pub fn flat(&self) -> Vec<f64> {
        [
            self.w1.as_slice(),
            self.b1.as_slice(),
            self.w2.as_slice(),
            self.b2.as_slice(),
            self.w3.as_slice(),
            &[self.b3],
        ]
        .concat()
    }

    /// The inverse of [`Mlp::flat`].
    pub fn from_flat(v: &[f64]) -> Self {
        let (w1, v) = v.split_at(64);
        let (b1, v) = v.split_at(16);
        let (w2, v) = v.split_at(256);
        let (b2, v) = v.split_at(16);
        let (w3, v) = v.split_at(16);
        Mlp {
            w1: SMatrix::from_column_slice(w1),
            b1: SVector::from_column_slice(b1),
            w2: SMatrix::from_column_slice(w2),
            b2: SVector::from_column_slice(b2),
            w3: SMatrix::from_column_slice(w3),
            b3: v[0],
        }
    }

    /// W3's loss of these weights (the forward function alone).
    pub fn loss(&self, x: &SVector<f64, 4>, y: f64) -> f64 {
        mlp_loss(
            &self.w1, &self.b1, &self.w2, &self.b2, &self.w3, self.b3, x, y,
        )
    }
}

/// The network's gradient by hand (the usual backpropagation).
#[inline(never)]
pub fn mlp_by_hand(m: &Mlp, x: &SVector<f64, 4>, y: f64) -> (f64, Mlp) {
    let h1 = (m.w1 * x + m.b1).map(|v| v.tanh());
    let h2 = (m.w2 * h1 + m.b2).map(|v| v.tanh());
    let out = (m.w3 * h2)[0] + m.b3;
    let r = out - y;
    let d_out = 2.0 * r;
    let d_h2 = m.w3.transpose() * d_out;
    let d_z2 = d_h2.zip_map(&h2, |g, h| g * (1.0 - h * h));
    let d_h1 = m.w2.tr_mul(&d_z2);
    let d_z1 = d_h1.zip_map(&h1, |g, h| g * (1.0 - h * h));
    let grad = Mlp {
        w1: d_z1 * x.transpose(),
        b1: d_z1,
        w2: d_z2 * h1.transpose(),
        b2: d_z2,
        w3: h2.transpose() * d_out,
        b3: d_out,
    };
    (r * r, grad)
}

/// The network's input and target used by tests and benches.
pub fn mlp_sample() -> (SVector<f64, 4>, f64) {
    (SVector::<f64, 4>::new(0.5, -1.0, 0.25, 2.0), 0.3)
}
