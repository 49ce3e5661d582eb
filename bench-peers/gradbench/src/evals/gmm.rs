//! GradBench's `gmm` eval: the log posterior of a Gaussian mixture with a Wishart
//! prior on the precision matrices, in the README's simplified form. With
//! `Q_k` lower triangular (diagonal `exp(q_k)`, strictly lower part `l_k` filled
//! column by column) and `beta_ik = alpha_k + sum_j q_kj - |Q_k (x_i - mu_k)|^2 / 2`:
//!
//! ```text
//! F = -n d/2 log(2 pi) + sum_i logsumexp_k(beta_ik) - n logsumexp(alpha)
//!     + k (nw d (log gamma - log(2)/2) - log Gamma_d(nw/2))
//!     - sum_k (gamma^2/2 |Q_k|_F^2 - m sum_j q_kj),          nw = d + m + 1
//! ```
//!
//! Tape only: `d`, `k` and `n` come with the input, and the static engine takes
//! fixed-size types only. A static version would need one per-(point, component)
//! function over `SVector<f64, D>` and `SVector<f64, D (D - 1) / 2>` per size the
//! eval sends, composed with a plain-Rust logsumexp; it is a gap (issue #14).

use autograd::prelude::*;

pub struct Input {
    pub d: usize,
    pub k: usize,
    pub n: usize,
    pub alpha: Vec<f64>,
    /// `k x d`, row-major.
    pub mu: Vec<f64>,
    /// `k x d`, row-major.
    pub q: Vec<f64>,
    /// `k x d (d - 1) / 2`, row-major.
    pub l: Vec<f64>,
    /// `n x d`, row-major.
    pub x: Vec<f64>,
    pub m: usize,
    pub gamma: f64,
}

/// The gradient, laid out as the inputs.
pub struct Gradient {
    pub alpha: Vec<f64>,
    pub mu: Vec<f64>,
    pub q: Vec<f64>,
    pub l: Vec<f64>,
}

/// `ln Gamma(x)` for `x` a positive multiple of 1/2, all the Wishart constant needs.
fn ln_gamma_half(x: f64) -> f64 {
    let (mut v, mut acc) = if (x - x.round()).abs() < 1e-12 {
        (1.0, 0.0)
    } else {
        (0.5, 0.5 * std::f64::consts::PI.ln())
    };
    while v < x - 1e-12 {
        acc += v.ln();
        v += 1.0;
    }
    acc
}

/// `ln Gamma_p(a)`, the multivariate gamma function.
fn ln_multigamma(a: f64, p: usize) -> f64 {
    let p_f = p as f64;
    0.25 * p_f * (p_f - 1.0) * std::f64::consts::PI.ln()
        + (1..=p)
            .map(|j| ln_gamma_half(a + 0.5 * (1.0 - j as f64)))
            .sum::<f64>()
}

/// The positions of `Q`'s diagonal and of its strictly lower part (in `l`'s order)
/// in `Q` flattened row-major.
fn q_positions(d: usize) -> (Vec<f64>, Vec<f64>) {
    let diag = (0..d).map(|j| (j * d + j) as f64).collect();
    let mut lower = Vec::with_capacity(d * (d - 1) / 2);
    for j in 0..d {
        for i in j + 1..d {
            lower.push((i * d + j) as f64);
        }
    }
    (diag, lower)
}

/// `logsumexp` over the last dimension, the maximum taken as a constant.
fn logsumexp_rows(v: &Tensor, rows: usize) -> Tensor {
    let mx = v.detach().max_dim(1, true).0;
    (v - &mx).exp().sum_dim(1, false).ln() + mx.reshape(&[rows])
}

fn tape_log_posterior(
    input: &Input,
    alpha: &Tensor,
    mu: &Tensor,
    q: &Tensor,
    l: &Tensor,
) -> Tensor {
    let (d, k, n) = (input.d, input.k, input.n);
    let x = Tensor::from_vec(input.x.clone(), &[n, 1, d]);
    let (diag, lower) = q_positions(d);
    let qdiag = q.exp();
    let mut qmat = Tensor::zeros(&[k, d * d]).index_add(1, &Tensor::from_vec(diag, &[d]), &qdiag);
    if !lower.is_empty() {
        let len = lower.len();
        qmat = qmat.index_add(1, &Tensor::from_vec(lower, &[len]), l);
    }
    let qmat = qmat.reshape(&[k, d, d]);
    let centred = x - mu.reshape(&[1, k, d]);
    let qx = autograd::einsum("kij,nkj->nki", &[&qmat, &centred]);
    let sum_q = q.sum_dim(1, false);
    let beta = (alpha + &sum_q).reshape(&[1, k]) - (&qx * &qx).sum_dim(2, false) * 0.5;
    let lse_alpha = logsumexp_rows(&alpha.reshape(&[1, k]), 1).sum();

    let (nf, df, kf) = (n as f64, d as f64, k as f64);
    let nw = d + input.m + 1;
    let gamma = input.gamma;
    let wishart_c =
        nw as f64 * df * (gamma.ln() - 0.5 * 2f64.ln()) - ln_multigamma(0.5 * nw as f64, d);
    let frobenius = (&qdiag * &qdiag).sum() + (l * l).sum();
    let prior = sum_q.sum() * input.m as f64 - frobenius * (0.5 * gamma * gamma) + kf * wishart_c;

    logsumexp_rows(&beta, n).sum() - lse_alpha * nf + prior
        - nf * df * 0.5 * (2.0 * std::f64::consts::PI).ln()
}

fn leaves(input: &Input, grad: bool) -> [Tensor; 4] {
    let (d, k) = (input.d, input.k);
    let ls = d * (d - 1) / 2;
    [
        Tensor::from_vec(input.alpha.clone(), &[k]),
        Tensor::from_vec(input.mu.clone(), &[k, d]),
        Tensor::from_vec(input.q.clone(), &[k, d]),
        Tensor::from_vec(input.l.clone(), &[k, ls]),
    ]
    .map(|t| t.requires_grad_(grad))
}

pub fn tape_objective(input: &Input) -> f64 {
    let [alpha, mu, q, l] = leaves(input, false);
    tape_log_posterior(input, &alpha, &mu, &q, &l).item()
}

pub fn tape_jacobian(input: &Input) -> Gradient {
    let [alpha, mu, q, l] = leaves(input, true);
    tape_log_posterior(input, &alpha, &mu, &q, &l)
        .backward()
        .expect("backward of a scalar");
    let g = |t: &Tensor| t.grad().expect("a leaf that requires grad").to_vec::<f64>();
    Gradient {
        alpha: g(&alpha),
        mu: g(&mu),
        q: g(&q),
        l: g(&l),
    }
}
