//! GradBench's `lstm` eval (ADBench's LSTM, whose weight matrices are diagonal):
//! `l` layers of `b` cells, run over a sequence of `c` characters of `b` bits
//! each. At step `t` (for `t < c - 1`) the input `x = s_t * w_in` (element-wise)
//! goes through the layers, layer `j` with hidden state `h` and cell state `k`:
//!
//! ```text
//! f = sigmoid(x wf + bf)     i = sigmoid(h wi + bi)
//! o = sigmoid(x wo + bo)     g = tanh(h wg + bg)
//! k' = k f + i g             h' = o tanh(k')
//! ```
//!
//! (the forget and output gates read the layer's input, the input gate and the
//! change its own hidden state), `h'` being the next layer's input. The last
//! layer's `h'` gives the prediction `y = h' w_out + b_out`, and the objective is
//!
//! ```text
//! -1 / ((c - 1) b) * sum_t sum_i s_{t+1,i} (y_i - log(2 + sum_k exp(y_k)))
//! ```
//!
//! `main_params` is `2l x 4b`: row `2j` holds layer `j`'s weights (`wf wi wo wg`,
//! `b` each), row `2j + 1` its biases in the same order; `extra_params` is
//! `3 x b` (`w_in`, `w_out`, `b_out`); `state` is `2l x b`, rows `2j` and `2j + 1`
//! layer `j`'s `h` and `k`. The jacobian is the gradient with respect to
//! `main_params` then `extra_params`, each row-major.
//!
//! Static engine: the weights are diagonal, so each cell is a function of
//! scalars, [`cell`], and each step's loss a function of three differentiated
//! slices, [`step_loss`]; `l`, `b` and `c` stay run-time values. The objective
//! keeps every step's state; the reverse sweep walks the steps and layers
//! backwards, calling `cell::vjp` at each cell's inputs (read from the kept
//! states) and pulling back at once, so nothing but the states is stored.
//!
//! Tape: whole-vector ops per layer and step as a PyTorch user writes them, the
//! four gates as one `[4b]` product `(x, h, x, h) * w + b` (14 nodes per layer
//! and step; one `[b]` op per gate took 17 and 1.9x the time at `l = 2`,
//! `c = 8192`); the last layer's hidden states are stacked and the loss is
//! computed for all steps at once.

use autograd::prelude::*;

/// One evaluation's input, every matrix flattened row after row.
pub struct Input {
    /// Layers.
    pub l: usize,
    /// Characters in the sequence.
    pub c: usize,
    /// Bits per character: the hidden size.
    pub b: usize,
    /// `2l x 4b`.
    pub main_params: Vec<f64>,
    /// `3 x b`.
    pub extra_params: Vec<f64>,
    /// `2l x b`.
    pub state: Vec<f64>,
    /// `c x b`.
    pub sequence: Vec<f64>,
}

impl Input {
    /// Checks the sizes against each other; `l`, `b` and `c` come from the
    /// matrices' shapes, as GradBench's reference reads them.
    pub fn new(
        main_params: Vec<f64>,
        main_rows: usize,
        extra_params: Vec<f64>,
        state: Vec<f64>,
        sequence: Vec<f64>,
        c: usize,
    ) -> Result<Input, String> {
        if main_rows == 0
            || !main_rows.is_multiple_of(2)
            || !main_params.len().is_multiple_of(4 * main_rows)
        {
            return Err(format!(
                "main_params has {} entries in {main_rows} rows, expected 2l rows of 4b",
                main_params.len()
            ));
        }
        let l = main_rows / 2;
        let b = main_params.len() / (4 * main_rows);
        if b == 0 || c < 2 {
            return Err("lstm needs b > 0 bits and at least 2 characters".into());
        }
        if extra_params.len() != 3 * b || state.len() != 2 * l * b || sequence.len() != c * b {
            return Err(format!(
                "with l = {l} and b = {b}: extra_params has {} entries (expected {}), state {} \
                 (expected {}), sequence {} (expected c * b = {})",
                extra_params.len(),
                3 * b,
                state.len(),
                2 * l * b,
                sequence.len(),
                c * b
            ));
        }
        Ok(Input {
            l,
            c,
            b,
            main_params,
            extra_params,
            state,
            sequence,
        })
    }
}

/// One cell of one layer at one step: input `x`, hidden state `h`, cell state
/// `k`, the four gates' weights and biases; returns the new `(h, k)`.
#[allow(clippy::too_many_arguments)]
#[differentiable]
pub fn cell(
    x: f64,
    h: f64,
    k: f64,
    wf: f64,
    wi: f64,
    wo: f64,
    wg: f64,
    bf: f64,
    bi: f64,
    bo: f64,
    bg: f64,
) -> (f64, f64) {
    let forget = 1.0 / (1.0 + (-(x * wf + bf)).exp());
    let ingate = 1.0 / (1.0 + (-(h * wi + bi)).exp());
    let outgate = 1.0 / (1.0 + (-(x * wo + bo)).exp());
    let change = (h * wg + bg).tanh();
    let k2 = k * forget + ingate * change;
    (outgate * k2.tanh(), k2)
}

/// One step's term of the sum: `sum_i gold_i (y_i - log(2 + sum_k exp(y_k)))`
/// with `y = h w_out + b_out`.
#[differentiable]
pub fn step_loss(h: &[f64], w_out: &[f64], b_out: &[f64], #[constant] gold: &[f64]) -> f64 {
    let mut s = 2.0;
    for i in 0..h.len() {
        s += (h[i] * w_out[i] + b_out[i]).exp();
    }
    let lse = s.ln();
    let mut total = 0.0;
    for i in 0..h.len() {
        total += gold[i] * (h[i] * w_out[i] + b_out[i] - lse);
    }
    total
}

/// Layer `j`'s parameter `gate` (0..4: f, i, o, g) of cell `i`, weight or bias.
fn param(input: &Input, j: usize, bias: bool, gate: usize, i: usize) -> usize {
    let b = input.b;
    8 * b * j + 4 * b * usize::from(bias) + gate * b + i
}

/// Step `t`: the layers from state `old` (`2lb`, a snapshot) into `new`, and the
/// step's [`step_loss`] (0 unless `loss`). `x` is scratch of `b`.
fn step(input: &Input, t: usize, old: &[f64], new: &mut [f64], x: &mut [f64], loss: bool) -> f64 {
    let b = input.b;
    let mp = &input.main_params;
    let (w_in, rest) = input.extra_params.split_at(b);
    let (w_out, b_out) = rest.split_at(b);
    let s_t = &input.sequence[t * b..(t + 1) * b];
    for i in 0..b {
        x[i] = s_t[i] * w_in[i];
    }
    for j in 0..input.l {
        for i in 0..b {
            let p = |bias, gate| mp[param(input, j, bias, gate, i)];
            let (h, k) = cell(
                x[i],
                old[2 * j * b + i],
                old[(2 * j + 1) * b + i],
                p(false, 0),
                p(false, 1),
                p(false, 2),
                p(false, 3),
                p(true, 0),
                p(true, 1),
                p(true, 2),
                p(true, 3),
            );
            new[2 * j * b + i] = h;
            new[(2 * j + 1) * b + i] = k;
            x[i] = h;
        }
    }
    if !loss {
        return 0.0;
    }
    step_loss(x, w_out, b_out, &input.sequence[(t + 1) * b..(t + 2) * b])
}

fn count(input: &Input) -> f64 {
    ((input.c - 1) * input.b) as f64
}

pub fn static_objective(input: &Input) -> f64 {
    let mut old = input.state.clone();
    let mut new = vec![0.0; old.len()];
    let mut x = vec![0.0; input.b];
    let mut total = 0.0;
    for t in 0..input.c - 1 {
        total += step(input, t, &old, &mut new, &mut x, true);
        std::mem::swap(&mut old, &mut new);
    }
    -total / count(input)
}

/// Every step's state: `c` snapshots of `2lb`, the initial state then the state
/// after each step.
fn states(input: &Input) -> Vec<f64> {
    let n = input.state.len();
    let mut states = vec![0.0; input.c * n];
    states[..n].copy_from_slice(&input.state);
    let mut x = vec![0.0; input.b];
    for t in 0..input.c - 1 {
        let (old, new) = states.split_at_mut((t + 1) * n);
        step(input, t, &old[t * n..], &mut new[..n], &mut x, false);
    }
    states
}

/// The gradient with respect to `main_params` then `extra_params`.
pub fn static_jacobian(input: &Input) -> Vec<f64> {
    let (l, b, c) = (input.l, input.b, input.c);
    let n = 2 * l * b;
    let states = states(input);
    let mp = &input.main_params;
    let (w_in, rest) = input.extra_params.split_at(b);
    let (w_out, b_out) = rest.split_at(b);
    let mut d_main = vec![0.0; mp.len()];
    let (mut d_in, mut d_out, mut d_bout) = (vec![0.0; b], vec![0.0; b], vec![0.0; b]);
    // Cotangents of the state after the step being pulled back: `2lb`, laid
    // out as a snapshot (hidden then cell of each layer).
    let mut ds = vec![0.0; n];
    let d_total = -1.0 / count(input);
    for t in (0..c - 1).rev() {
        let old = &states[t * n..(t + 1) * n];
        let new = &states[(t + 1) * n..(t + 2) * n];
        let last = &new[2 * (l - 1) * b..(2 * l - 1) * b];
        let gold = &input.sequence[(t + 1) * b..(t + 2) * b];
        let (_, pullback) = step_loss::vjp(last, w_out, b_out, gold);
        let g = pullback(d_total);
        for i in 0..b {
            ds[2 * (l - 1) * b + i] += g.h[i];
            d_out[i] += g.w_out[i];
            d_bout[i] += g.b_out[i];
        }
        let s_t = &input.sequence[t * b..(t + 1) * b];
        for j in (0..l).rev() {
            for i in 0..b {
                let p = |bias, gate| mp[param(input, j, bias, gate, i)];
                let x = if j == 0 {
                    s_t[i] * w_in[i]
                } else {
                    new[2 * (j - 1) * b + i]
                };
                let (hj, kj) = (2 * j * b + i, (2 * j + 1) * b + i);
                let (_, pullback) = cell::vjp(
                    x,
                    old[hj],
                    old[kj],
                    p(false, 0),
                    p(false, 1),
                    p(false, 2),
                    p(false, 3),
                    p(true, 0),
                    p(true, 1),
                    p(true, 2),
                    p(true, 3),
                );
                let g = pullback((ds[hj], ds[kj]));
                // The state before this step, for the step before.
                ds[hj] = g.h;
                ds[kj] = g.k;
                for (gate, d) in [g.wf, g.wi, g.wo, g.wg].into_iter().enumerate() {
                    d_main[param(input, j, false, gate, i)] += d;
                }
                for (gate, d) in [g.bf, g.bi, g.bo, g.bg].into_iter().enumerate() {
                    d_main[param(input, j, true, gate, i)] += d;
                }
                if j == 0 {
                    // x = s_t w_in
                    d_in[i] += g.x * s_t[i];
                } else {
                    // x is layer j - 1's new hidden state.
                    ds[2 * (j - 1) * b + i] += g.x;
                }
            }
        }
    }
    d_main.extend(d_in);
    d_main.extend(d_out);
    d_main.extend(d_bout);
    d_main
}

/// The loss on the tape; `main` is `[2l, 4b]`, `extra` `[3, b]`.
fn tape_loss(input: &Input, main: &Tensor, extra: &Tensor) -> Tensor {
    let (l, b, c) = (input.l, input.b, input.c);
    // Each layer's weights and biases as two [4b] vectors (f, i, o, g), sliced once.
    let rows: Vec<Tensor> = (0..2 * l)
        .map(|r| main.narrow(0, r, 1).reshape(&[4 * b]))
        .collect();
    let extra = extra.chunk(3, 0);
    let (w_in, w_out, b_out) = (
        extra[0].reshape(&[b]),
        extra[1].reshape(&[b]),
        extra[2].reshape(&[b]),
    );
    let row = |m: &[f64], r: usize| Tensor::from_vec(m[r * b..(r + 1) * b].to_vec(), &[b]);
    let mut h: Vec<Tensor> = (0..l).map(|j| row(&input.state, 2 * j)).collect();
    let mut k: Vec<Tensor> = (0..l).map(|j| row(&input.state, 2 * j + 1)).collect();
    let mut outs = Vec::with_capacity(c - 1);
    for t in 0..c - 1 {
        let mut x = row(&input.sequence, t) * &w_in;
        for j in 0..l {
            // All four gates in one [4b] product, as PyTorch's tool writes it:
            // (x, h, x, h) * weights + biases.
            let gates = Tensor::cat(&[x.clone(), h[j].clone(), x, h[j].clone()], 0) * &rows[2 * j]
                + &rows[2 * j + 1];
            let act = gates.sigmoid();
            let forget = act.narrow(0, 0, b);
            let ingate = act.narrow(0, b, b);
            let outgate = act.narrow(0, 2 * b, b);
            let change = gates.narrow(0, 3 * b, b).tanh();
            k[j] = &k[j] * &forget + &ingate * &change;
            h[j] = &outgate * &k[j].tanh();
            x = h[j].clone();
        }
        outs.push(x);
    }
    let y = Tensor::stack(&outs, 0) * &w_out + &b_out;
    let lse = (y.exp().sum_dim(1, true) + 2.0).ln();
    let gold = Tensor::from_vec(input.sequence[b..].to_vec(), &[c - 1, b]);
    (gold * (y - lse)).sum() * (-1.0 / count(input))
}

fn tape_params(input: &Input, grad: bool) -> (Tensor, Tensor) {
    let main = Tensor::from_vec(input.main_params.clone(), &[2 * input.l, 4 * input.b]);
    let extra = Tensor::from_vec(input.extra_params.clone(), &[3, input.b]);
    (main.requires_grad_(grad), extra.requires_grad_(grad))
}

pub fn tape_objective(input: &Input) -> f64 {
    let (main, extra) = tape_params(input, false);
    tape_loss(input, &main, &extra).item()
}

/// The gradient with respect to `main_params` then `extra_params`.
pub fn tape_jacobian(input: &Input) -> Vec<f64> {
    let (main, extra) = tape_params(input, true);
    tape_loss(input, &main, &extra)
        .backward()
        .expect("backward of a scalar");
    let mut g = main.grad().expect("main requires grad").to_vec::<f64>();
    g.extend(extra.grad().expect("extra requires grad").to_vec::<f64>());
    g
}
