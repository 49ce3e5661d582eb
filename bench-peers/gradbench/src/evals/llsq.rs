//! GradBench's `llsq` eval (cmpad's `llsq_obj`): with `t_i = -1 + 2 i / (n - 1)` and
//! `s_i = sign(t_i)` for `i < n`,
//!
//! ```text
//! y(x) = 1/2 sum_i (s_i - x_0 - x_1 t_i - x_2 t_i^2 - ... - x_{m-1} t_i^{m-1})^2
//! ```
//!
//! The static engine needs the size `m` of `x` at compile time: [`term`] is one
//! observation's squared residual over an `SVector<f64, M>`, summed over `i` in
//! plain Rust, and [`static_primal`] and [`static_gradient`] dispatch on `m` to the
//! sizes in [`STATIC_SIZES`] (the eval's default is `m = 128`). The tape takes any
//! `m`.

use autograd::nalgebra::SVector;
use autograd::prelude::*;

pub struct Input {
    pub x: Vec<f64>,
    pub n: usize,
}

fn t(i: usize, n: usize) -> f64 {
    -1.0 + i as f64 * 2.0 / (n as f64 - 1.0)
}

/// `sign`, 0 at 0 (f64::signum is 1 there).
fn s(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else if t < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `(1, t, t^2, ..)`, the powers the residual dots with `x`.
fn powers<const M: usize>(t: f64) -> SVector<f64, M> {
    let mut p = SVector::<f64, M>::zeros();
    let mut mul = 1.0;
    for j in 0..M {
        p[j] = mul;
        mul *= t;
    }
    p
}

/// One observation's half squared residual.
#[differentiable]
pub fn term<const M: usize>(
    x: &SVector<f64, M>,
    #[constant] tpow: &SVector<f64, M>,
    #[constant] s: f64,
) -> f64 {
    let r = s - x.dot(tpow);
    0.5 * r * r
}

fn primal_m<const M: usize>(input: &Input) -> f64 {
    let x = SVector::<f64, M>::from_column_slice(&input.x);
    (0..input.n)
        .map(|i| {
            let ti = t(i, input.n);
            term(&x, &powers::<M>(ti), s(ti))
        })
        .sum()
}

fn gradient_m<const M: usize>(input: &Input) -> Vec<f64> {
    let x = SVector::<f64, M>::from_column_slice(&input.x);
    let mut g = SVector::<f64, M>::zeros();
    for i in 0..input.n {
        let ti = t(i, input.n);
        g += term::grad(&x, &powers::<M>(ti), s(ti)).1.x;
    }
    g.as_slice().to_vec()
}

/// The sizes of `x` the static variant is compiled for.
pub const STATIC_SIZES: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 128, 256];

macro_rules! dispatch {
    ($m:expr, $f:ident, $input:expr) => {
        match $m {
            1 => Some($f::<1>($input)),
            2 => Some($f::<2>($input)),
            3 => Some($f::<3>($input)),
            4 => Some($f::<4>($input)),
            5 => Some($f::<5>($input)),
            6 => Some($f::<6>($input)),
            7 => Some($f::<7>($input)),
            8 => Some($f::<8>($input)),
            16 => Some($f::<16>($input)),
            32 => Some($f::<32>($input)),
            64 => Some($f::<64>($input)),
            128 => Some($f::<128>($input)),
            256 => Some($f::<256>($input)),
            _ => None,
        }
    };
}

/// `None` when `x`'s size is not one of [`STATIC_SIZES`].
pub fn static_primal(input: &Input) -> Option<f64> {
    dispatch!(input.x.len(), primal_m, input)
}

/// `None` when `x`'s size is not one of [`STATIC_SIZES`].
pub fn static_gradient(input: &Input) -> Option<Vec<f64>> {
    dispatch!(input.x.len(), gradient_m, input)
}

/// `y` on the tape: the `n x m` matrix of powers times `x`, as PyTorch's tool writes it.
fn tape_objective(input: &Input, x: &Tensor) -> Tensor {
    let (n, m) = (input.n, input.x.len());
    let mut tpow = Vec::with_capacity(n * m);
    let mut svec = Vec::with_capacity(n);
    for i in 0..n {
        let ti = t(i, n);
        let mut mul = 1.0;
        for _ in 0..m {
            tpow.push(mul);
            mul *= ti;
        }
        svec.push(s(ti));
    }
    let tpow = Tensor::from_vec(tpow, &[n, m]);
    let svec = Tensor::from_vec(svec, &[n, 1]);
    let r = svec - tpow.matmul(&x.reshape(&[m, 1]));
    (&r * &r).sum() * 0.5
}

pub fn tape_primal(input: &Input) -> f64 {
    let x = Tensor::from_vec(input.x.clone(), &[input.x.len()]);
    tape_objective(input, &x).item()
}

pub fn tape_gradient(input: &Input) -> Vec<f64> {
    let x = Tensor::from_vec(input.x.clone(), &[input.x.len()]).requires_grad_(true);
    tape_objective(input, &x)
        .backward()
        .expect("backward of a scalar");
    x.grad().expect("x requires grad").to_vec::<f64>()
}
