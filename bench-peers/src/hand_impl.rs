//! Hand-written f32 training steps for W4 and W5: the baseline the tape is held
//! to. No graph, no allocation in a step (every buffer is made once, in `new`),
//! the GEMMs on `matrixmultiply::sgemm` (the kernel our tape calls, in
//! `autograd-core/src/tensor/kernels/linalg.rs`) with transposed operands passed
//! as strides, the convolutions as im2col + one GEMM per image, max-pool keeping
//! the index of each window's maximum.
//!
//! One step: forward, cross-entropy (mean) and its gradient, backward, SGD
//! (`p -= lr * g`). Zeroing the gradients is folded into their first write (the
//! GEMM's `beta = 0`, a bias sum that assigns), which is what `zero_grad`'s
//! `set_to_none` amounts to; the tape pays for it the same way.

use crate::data::{self, Array, LossGrad, LR};
use crate::Case;

const LIB: &str = "hand";

/// A matrix operand: data and `(row stride, column stride)`.
type Mat<'a> = (&'a [f32], (usize, usize));

/// `c = a @ b + beta * c` for `a: (m, k)`, `b: (k, n)` read through their strides
/// and `c` row-major `(m, n)`.
fn gemm(m: usize, k: usize, n: usize, (a, (rsa, csa)): Mat, (b, (rsb, csb)): Mat, c: &mut [f32], beta: f32) {
    let span = |r: usize, c: usize, rs: usize, cs: usize| (r - 1) * rs + (c - 1) * cs + 1;
    assert!(a.len() >= span(m, k, rsa, csa) && b.len() >= span(k, n, rsb, csb) && c.len() >= m * n);
    // SAFETY: the assertion keeps every offset the strides address inside the
    // slices; `c` is borrowed mutably, so nothing else touches it.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// `p -= lr * g`.
fn sgd(p: &mut [f32], g: &[f32]) {
    let lr = LR as f32;
    for (p, g) in p.iter_mut().zip(g) {
        *p -= lr * g;
    }
}

fn relu(v: &mut [f32]) {
    for x in v {
        *x = x.max(0.0);
    }
}

/// `d *= (y > 0)`, with `y` the ReLU's output.
fn relu_backward(d: &mut [f32], y: &[f32]) {
    // A select, not a branch: the signs are random, a branch mispredicts half the time.
    for (d, &y) in d.iter_mut().zip(y) {
        *d = if y > 0.0 { *d } else { 0.0 };
    }
}

/// Mean cross-entropy of `logits: (n, classes)` against `labels`; writes its
/// gradient `(softmax - onehot) / n` into `d`.
fn cross_entropy(logits: &[f32], labels: &[usize], d: &mut [f32]) -> f32 {
    let n = labels.len();
    let classes = logits.len() / n;
    let inv_n = 1.0 / n as f32;
    let mut loss = 0.0;
    for ((row, d), &label) in logits.chunks_exact(classes).zip(d.chunks_exact_mut(classes)).zip(labels) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for (d, &v) in d.iter_mut().zip(row) {
            *d = (v - max).exp();
            sum += *d;
        }
        loss += sum.ln() + max - row[label];
        let scale = inv_n / sum;
        for d in d.iter_mut() {
            *d *= scale;
        }
        d[label] -= inv_n;
    }
    loss * inv_n
}

/// `nn.Linear` by hand: weight `(out, in)` as PyTorch stores it.
struct Linear {
    i: usize,
    o: usize,
    w: Vec<f32>,
    b: Vec<f32>,
    gw: Vec<f32>,
    gb: Vec<f32>,
}

impl Linear {
    fn new(w: &Array, b: &Array) -> Linear {
        let (o, i) = (w.shape[0], w.shape[1]);
        Linear { i, o, w: w.as_f32(), b: b.as_f32(), gw: vec![0.0; o * i], gb: vec![0.0; o] }
    }

    /// `y = x @ w^T + b` for `x: (n, in)`.
    fn forward(&self, x: &[f32], n: usize, y: &mut [f32]) {
        gemm(n, self.i, self.o, (x, (self.i, 1)), (&self.w, (1, self.i)), y, 0.0);
        for row in y.chunks_exact_mut(self.o) {
            for (y, b) in row.iter_mut().zip(&self.b) {
                *y += b;
            }
        }
    }

    /// Gradients from `dy: (n, out)` at input `x`: `gw = dy^T @ x`, `gb` the
    /// column sums of `dy`, and `dx = dy @ w` if asked for.
    fn backward(&mut self, x: &[f32], dy: &[f32], n: usize, dx: Option<&mut [f32]>) {
        let (i, o) = (self.i, self.o);
        gemm(o, n, i, (dy, (1, o)), (x, (i, 1)), &mut self.gw, 0.0);
        self.gb.fill(0.0);
        for row in dy.chunks_exact(o) {
            for (g, d) in self.gb.iter_mut().zip(row) {
                *g += d;
            }
        }
        if let Some(dx) = dx {
            gemm(n, o, i, (dy, (o, 1)), (&self.w, (i, 1)), dx, 0.0);
        }
    }

    fn step(&mut self) {
        sgd(&mut self.w, &self.gw);
        sgd(&mut self.b, &self.gb);
    }

    fn grads(&self) -> [Vec<f64>; 2] {
        let f = |v: &[f32]| v.iter().map(|&x| x as f64).collect();
        [f(&self.gw), f(&self.gb)]
    }
}

// ---------------------------------------------------------------- W4

struct W4Net {
    fc1: Linear,
    fc2: Linear,
    x: Vec<f32>,
    labels: Vec<usize>,
    h: Vec<f32>,
    logits: Vec<f32>,
    dlogits: Vec<f32>,
    dh: Vec<f32>,
}

impl W4Net {
    fn new() -> W4Net {
        let d = data::w4();
        let (n, p) = (data::W4_BATCH, &d.params);
        W4Net {
            fc1: Linear::new(&p[0], &p[1]),
            fc2: Linear::new(&p[2], &p[3]),
            x: d.x,
            labels: d.labels,
            h: vec![0.0; n * 128],
            logits: vec![0.0; n * 10],
            dlogits: vec![0.0; n * 10],
            dh: vec![0.0; n * 128],
        }
    }

    /// Forward and backward: the loss, with every gradient written.
    fn loss_and_grad(&mut self) -> f32 {
        let n = data::W4_BATCH;
        self.fc1.forward(&self.x, n, &mut self.h);
        relu(&mut self.h);
        self.fc2.forward(&self.h, n, &mut self.logits);
        let loss = cross_entropy(&self.logits, &self.labels, &mut self.dlogits);
        self.fc2.backward(&self.h, &self.dlogits, n, Some(&mut self.dh));
        relu_backward(&mut self.dh, &self.h);
        self.fc1.backward(&self.x, &self.dh, n, None);
        loss
    }

    fn step(&mut self) {
        std::hint::black_box(self.loss_and_grad());
        self.fc1.step();
        self.fc2.step();
    }

    fn check() -> LossGrad {
        let mut net = W4Net::new();
        let loss = net.loss_and_grad() as f64;
        let grads = [net.fc1.grads(), net.fc2.grads()].into_iter().flatten().collect();
        LossGrad { loss, grads }
    }
}

// ---------------------------------------------------------------- W5

/// A 3x3 convolution, stride 1, no padding, over `(n, cin, side, side)`, by
/// im2col and one GEMM per image; weight `(cout, cin, 3, 3)` as PyTorch stores it.
struct Conv {
    cin: usize,
    cout: usize,
    /// Input side; the output's is `side - 2`.
    side: usize,
    w: Vec<f32>,
    b: Vec<f32>,
    gw: Vec<f32>,
    gb: Vec<f32>,
    /// The columns of every image, `(n, cin * 9, out * out)`, kept for backward.
    cols: Vec<f32>,
    /// One image's column gradient.
    dcols: Vec<f32>,
}

const K: usize = 3;

impl Conv {
    fn new(w: &Array, b: &Array, side: usize, n: usize) -> Conv {
        let (cout, cin) = (w.shape[0], w.shape[1]);
        let l = (side - K + 1) * (side - K + 1);
        Conv {
            cin,
            cout,
            side,
            w: w.as_f32(),
            b: b.as_f32(),
            gw: vec![0.0; w.data.len()],
            gb: vec![0.0; cout],
            cols: vec![0.0; n * cin * K * K * l],
            dcols: vec![0.0; cin * K * K * l],
        }
    }

    fn out_side(&self) -> usize {
        self.side - K + 1
    }

    /// `y = conv(x) + b`, then ReLU, for `x: (n, cin, side, side)`.
    fn forward_relu(&mut self, x: &[f32], y: &mut [f32]) {
        let (s, o) = (self.side, self.out_side());
        let (l, rows) = (o * o, self.cin * K * K);
        let img_in = self.cin * s * s;
        for ((x, cols), y) in x
            .chunks_exact(img_in)
            .zip(self.cols.chunks_exact_mut(rows * l))
            .zip(y.chunks_exact_mut(self.cout * l))
        {
            // Row (c, ki, kj) of the columns, position (oy, ox): x[c, oy + ki, ox + kj].
            for (r, col) in cols.chunks_exact_mut(l).enumerate() {
                let (c, ki, kj) = (r / (K * K), r / K % K, r % K);
                for (oy, dst) in col.chunks_exact_mut(o).enumerate() {
                    dst.copy_from_slice(&x[(c * s + oy + ki) * s + kj..][..o]);
                }
            }
            gemm(self.cout, rows, l, (&self.w, (rows, 1)), (cols, (l, 1)), y, 0.0);
            for (plane, &b) in y.chunks_exact_mut(l).zip(&self.b) {
                for v in plane {
                    *v = (*v + b).max(0.0);
                }
            }
        }
    }

    /// Gradients from `dy` (the gradient of the conv's output, ReLU's mask
    /// already applied): `gw = sum_images dy @ cols^T`, `gb` the sums of `dy` per
    /// channel, and `dx = col2im(w^T @ dy)` if asked for.
    fn backward(&mut self, dy: &[f32], mut dx: Option<&mut [f32]>) {
        let (s, o) = (self.side, self.out_side());
        let (l, rows) = (o * o, self.cin * K * K);
        let img_in = self.cin * s * s;
        self.gb.fill(0.0);
        for (img, (dy, cols)) in dy.chunks_exact(self.cout * l).zip(self.cols.chunks_exact(rows * l)).enumerate() {
            let beta = if img == 0 { 0.0 } else { 1.0 };
            gemm(self.cout, l, rows, (dy, (l, 1)), (cols, (1, l)), &mut self.gw, beta);
            for (g, plane) in self.gb.iter_mut().zip(dy.chunks_exact(l)) {
                *g += plane.iter().sum::<f32>();
            }
            let Some(dx) = dx.as_deref_mut() else { continue };
            gemm(rows, self.cout, l, (&self.w, (1, rows)), (dy, (l, 1)), &mut self.dcols, 0.0);
            let dx = &mut dx[img * img_in..][..img_in];
            dx.fill(0.0);
            for (r, col) in self.dcols.chunks_exact(l).enumerate() {
                let (c, ki, kj) = (r / (K * K), r / K % K, r % K);
                for (oy, src) in col.chunks_exact(o).enumerate() {
                    let dst = &mut dx[(c * s + oy + ki) * s + kj..][..o];
                    for (d, v) in dst.iter_mut().zip(src) {
                        *d += v;
                    }
                }
            }
        }
    }

    fn step(&mut self) {
        sgd(&mut self.w, &self.gw);
        sgd(&mut self.b, &self.gb);
    }

    fn grads(&self) -> [Vec<f64>; 2] {
        let f = |v: &[f32]| v.iter().map(|&x| x as f64).collect();
        [f(&self.gw), f(&self.gb)]
    }
}

/// 2x2 max-pool, stride 2 (odd sides floored), over planes of `side x side`;
/// `idx` gets, per output, the offset in its plane of the window's maximum (the
/// first in row-major order on ties).
fn max_pool(x: &[f32], side: usize, y: &mut [f32], idx: &mut [u32]) {
    let o = side / 2;
    for ((x, y), idx) in x.chunks_exact(side * side).zip(y.chunks_exact_mut(o * o)).zip(idx.chunks_exact_mut(o * o)) {
        for oy in 0..o {
            for ox in 0..o {
                // Selects, not branches (the data is random): the better of
                // each row's pair, then the better of the two rows.
                let base = 2 * oy * side + 2 * ox;
                let (top, bottom) = (&x[base..base + 2], &x[base + side..base + side + 2]);
                let (t, ti) = if top[1] > top[0] { (top[1], base + 1) } else { (top[0], base) };
                let (b, bi) = if bottom[1] > bottom[0] { (bottom[1], base + side + 1) } else { (bottom[0], base + side) };
                let (v, i) = if b > t { (b, bi) } else { (t, ti) };
                y[oy * o + ox] = v;
                idx[oy * o + ox] = i as u32;
            }
        }
    }
}

/// The adjoint of [`max_pool`]: each output's gradient to its maximum.
fn max_pool_backward(dy: &[f32], idx: &[u32], side: usize, dx: &mut [f32]) {
    let o = side / 2;
    dx.fill(0.0);
    for ((dx, dy), idx) in dx.chunks_exact_mut(side * side).zip(dy.chunks_exact(o * o)).zip(idx.chunks_exact(o * o)) {
        for (&d, &i) in dy.iter().zip(idx) {
            dx[i as usize] += d;
        }
    }
}

struct LeNet {
    conv1: Conv,
    conv2: Conv,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
    x: Vec<f32>,
    labels: Vec<usize>,
    // Activations (after ReLU and pooling) and pool indices.
    a1: Vec<f32>,
    p1: Vec<f32>,
    i1: Vec<u32>,
    a2: Vec<f32>,
    p2: Vec<f32>,
    i2: Vec<u32>,
    h1: Vec<f32>,
    h2: Vec<f32>,
    logits: Vec<f32>,
    // Their gradients.
    dlogits: Vec<f32>,
    dh2: Vec<f32>,
    dh1: Vec<f32>,
    dp2: Vec<f32>,
    da2: Vec<f32>,
    dp1: Vec<f32>,
    da1: Vec<f32>,
}

impl LeNet {
    fn new() -> LeNet {
        let d = data::w5();
        let (n, p) = (data::W5_BATCH, &d.params);
        let s1 = data::W5_SIDE - 2; // 30
        let q1 = s1 / 2; // 15
        let s2 = q1 - 2; // 13
        let q2 = s2 / 2; // 6
        let z = |len: usize| vec![0.0f32; len];
        LeNet {
            conv1: Conv::new(&p[0], &p[1], data::W5_SIDE, n),
            conv2: Conv::new(&p[2], &p[3], q1, n),
            fc1: Linear::new(&p[4], &p[5]),
            fc2: Linear::new(&p[6], &p[7]),
            fc3: Linear::new(&p[8], &p[9]),
            x: d.x,
            labels: d.labels,
            a1: z(n * 6 * s1 * s1),
            p1: z(n * 6 * q1 * q1),
            i1: vec![0; n * 6 * q1 * q1],
            a2: z(n * 16 * s2 * s2),
            p2: z(n * 16 * q2 * q2),
            i2: vec![0; n * 16 * q2 * q2],
            h1: z(n * 120),
            h2: z(n * 84),
            logits: z(n * 10),
            dlogits: z(n * 10),
            dh2: z(n * 84),
            dh1: z(n * 120),
            dp2: z(n * 16 * q2 * q2),
            da2: z(n * 16 * s2 * s2),
            dp1: z(n * 6 * q1 * q1),
            da1: z(n * 6 * s1 * s1),
        }
    }

    fn loss_and_grad(&mut self) -> f32 {
        let n = data::W5_BATCH;
        let (s1, s2) = (self.conv1.out_side(), self.conv2.out_side());
        self.conv1.forward_relu(&self.x, &mut self.a1);
        max_pool(&self.a1, s1, &mut self.p1, &mut self.i1);
        self.conv2.forward_relu(&self.p1, &mut self.a2);
        max_pool(&self.a2, s2, &mut self.p2, &mut self.i2);
        self.fc1.forward(&self.p2, n, &mut self.h1);
        relu(&mut self.h1);
        self.fc2.forward(&self.h1, n, &mut self.h2);
        relu(&mut self.h2);
        self.fc3.forward(&self.h2, n, &mut self.logits);
        let loss = cross_entropy(&self.logits, &self.labels, &mut self.dlogits);

        self.fc3.backward(&self.h2, &self.dlogits, n, Some(&mut self.dh2));
        relu_backward(&mut self.dh2, &self.h2);
        self.fc2.backward(&self.h1, &self.dh2, n, Some(&mut self.dh1));
        relu_backward(&mut self.dh1, &self.h1);
        self.fc1.backward(&self.p2, &self.dh1, n, Some(&mut self.dp2));
        max_pool_backward(&self.dp2, &self.i2, s2, &mut self.da2);
        relu_backward(&mut self.da2, &self.a2);
        self.conv2.backward(&self.da2, Some(&mut self.dp1));
        max_pool_backward(&self.dp1, &self.i1, s1, &mut self.da1);
        relu_backward(&mut self.da1, &self.a1);
        self.conv1.backward(&self.da1, None);
        loss
    }

    fn step(&mut self) {
        std::hint::black_box(self.loss_and_grad());
        self.conv1.step();
        self.conv2.step();
        self.fc1.step();
        self.fc2.step();
        self.fc3.step();
    }

    fn check() -> LossGrad {
        let mut net = LeNet::new();
        let loss = net.loss_and_grad() as f64;
        let grads = [net.conv1.grads(), net.conv2.grads(), net.fc1.grads(), net.fc2.grads(), net.fc3.grads()]
            .into_iter()
            .flatten()
            .collect();
        LossGrad { loss, grads }
    }
}

pub fn cases() -> Vec<Case> {
    let mut w4 = W4Net::new();
    let mut w5 = LeNet::new();
    vec![
        Case::new("W4", LIB, "sgemm", Box::new(W4Net::check), Box::new(move || w4.step())),
        Case::new("W5", LIB, "im2col+sgemm", Box::new(LeNet::check), Box::new(move || w5.step())),
    ]
}
