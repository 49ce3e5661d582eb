//! A physics-informed neural network on the `Tensor` tape: a small tanh network
//! learns the solution of the boundary-value problem
//!
//! ```text
//! u''(x) = -pi^2 sin(pi x)  on [0, 1],   u(0) = u(1) = 0,
//! ```
//!
//! whose exact solution is `u(x) = sin(pi x)`, from the equation alone: no value
//! of `u` is ever shown to it. The trial solution `u(x) = x (1 - x) N(x)` meets
//! the boundary conditions by construction; the loss is the mean squared residual
//! `u'' + pi^2 sin(pi x)` at collocation points, where `u'` and `u''` are the
//! network's derivatives with respect to its *input*, taken with
//! `autograd::grad(.., create_graph = true)` inside the loss, so that `backward`
//! differentiates through them to the weights. Adam first, then L-BFGS with a
//! strong-Wolfe line search; prints the largest error against `sin(pi x)`.
//!
//! Run with `cargo run --release --example pinn`.

use autograd::nn::functional as F;
use autograd::prelude::*;
use std::f64::consts::PI;

/// The network `N`: `1 -> hidden -> hidden -> 1` with tanh, in `f64`.
pub struct Net {
    /// Weights and biases, input layer first: `[w1, b1, w2, b2, w3, b3]`, each
    /// weight `(out, in)` as `nn::Linear`'s.
    pub params: Vec<Tensor>,
}

impl Net {
    /// A network with PyTorch's default initialisation (`nn::Linear`'s), drawn
    /// after `autograd::manual_seed(seed)` (the generator is global).
    pub fn new(hidden: usize, seed: u64) -> Self {
        autograd::manual_seed(seed);
        let mut params = Vec::new();
        for (i, o) in [(1, hidden), (hidden, hidden), (hidden, 1)] {
            for p in nn::Linear::new(i, o).parameters() {
                params.push(p.detach().to_dtype(DType::F64).requires_grad_(true));
            }
        }
        Net { params }
    }

    /// Every weight and bias.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.params.clone()
    }

    /// The trial solution at points `x` of shape `(n, 1)`.
    pub fn u(&self, x: &Tensor) -> Tensor {
        trial(&self.params, x)
    }
}

/// `N(x)` for points `x` of shape `(n, 1)` and parameters `[w1, b1, .., wk, bk]`:
/// `tanh` after every layer but the last.
pub fn network(params: &[Tensor], x: &Tensor) -> Tensor {
    let layers: Vec<(&Tensor, &Tensor)> = params.chunks(2).map(|p| (&p[0], &p[1])).collect();
    let (last, hidden) = layers.split_last().expect("at least one layer");
    let h = hidden
        .iter()
        .fold(x.clone(), |h, (w, b)| F::linear(&h, w, Some(b)).tanh());
    F::linear(&h, last.0, Some(last.1))
}

/// The trial solution `u(x) = x (1 - x) N(x)`, zero at both ends whatever the
/// parameters.
pub fn trial(params: &[Tensor], x: &Tensor) -> Tensor {
    x * (1.0 - x) * network(params, x)
}

/// `n` evenly spaced points of `[0, 1]`, as a column `(n, 1)` in `f64`.
pub fn grid(n: usize) -> Tensor {
    let v: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    Tensor::from_vec(v, &[n, 1])
}

/// The right-hand side `f(x) = -pi^2 sin(pi x)`.
pub fn source(x: &Tensor) -> Tensor {
    (x * PI).sin() * (-PI * PI)
}

/// `u(x)`, `u'(x)` and `u''(x)` at the points `x` `(n, 1)`, all differentiable
/// with respect to the network's parameters. Each `u_i` depends on `x_i` alone,
/// so the gradient of `sum(u)` with respect to `x` is `u'` point by point, and
/// the same once more gives `u''`.
pub fn derivatives(u_of: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> (Tensor, Tensor, Tensor) {
    autograd::enable_grad(|| {
        let x = x.detach().requires_grad_(true);
        let u = u_of(&x);
        let ones = [u.ones_like()];
        let du = autograd::grad(&u, &x, Some(&ones), true, true)
            .expect("du/dx")
            .remove(0);
        let d2u = autograd::grad(&du, &x, Some(&ones), true, true)
            .expect("d2u/dx2")
            .remove(0);
        (u, du, d2u)
    })
}

/// The physics loss: the mean squared residual `u'' - f` at the points `x`.
pub fn residual_loss(u_of: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let (_, _, d2u) = derivatives(u_of, x);
    autograd::enable_grad(|| (d2u - source(x)).pow(2.0).mean())
}

/// The size of a run.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Units per hidden layer.
    pub hidden: usize,
    /// Collocation points (evenly spaced, ends included).
    pub points: usize,
    /// Adam steps at lr 0.01.
    pub adam_steps: usize,
    /// L-BFGS steps (each up to 20 iterations; it stops early once the loss no
    /// longer changes).
    pub lbfgs_steps: usize,
    /// Seed of the initialisation.
    pub seed: u64,
}

impl Config {
    /// The example's run.
    pub const FULL: Config = Config {
        hidden: 16,
        points: 33,
        adam_steps: 1000,
        lbfgs_steps: 20,
        seed: 0,
    };
}

/// What a run reports.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// The physics loss after the Adam phase.
    pub adam_loss: f64,
    /// The physics loss at the end.
    pub loss: f64,
    /// `max |u(x) - sin(pi x)|` over 101 evenly spaced points.
    pub max_error: f64,
    /// `max |u''(x) - f(x)|` over the same points (most of them between the
    /// collocation points).
    pub max_residual: f64,
}

/// The largest error against the exact solution and the largest residual, at
/// 101 evenly spaced points.
pub fn evaluate(net: &Net) -> (f64, f64) {
    let x = grid(101);
    let (u, _, d2u) = derivatives(|x| net.u(x), &x);
    let max_abs = |t: Tensor| {
        t.to_vec::<f64>()
            .into_iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()))
    };
    let exact = (&x * PI).sin();
    (max_abs(u - exact), max_abs(d2u - source(&x)))
}

/// Trains a network of `cfg` and evaluates it; `log` receives the loss every
/// 200 Adam steps and every 5 L-BFGS steps.
pub fn train(cfg: Config, mut log: impl FnMut(&str, usize, f64)) -> (Net, Report) {
    let net = Net::new(cfg.hidden, cfg.seed);
    let x = grid(cfg.points);
    let loss_fn = || residual_loss(|x| net.u(x), &x);
    let mut adam = optim::Adam::new(net.parameters(), 0.01);
    let mut adam_loss = f64::NAN;
    for step in 1..=cfg.adam_steps {
        adam.zero_grad();
        let loss = loss_fn();
        loss.backward().expect("backward through the derivatives");
        adam.step();
        adam_loss = loss.item();
        if step % 200 == 0 {
            log("adam", step, adam_loss);
        }
    }
    let mut lbfgs = optim::Lbfgs::new(net.parameters(), 1.0)
        .max_iter(20)
        .history_size(20)
        .line_search_fn(Some("strong_wolfe"));
    for step in 1..=cfg.lbfgs_steps {
        let loss = lbfgs.step_with(|| {
            lbfgs_zero(&net);
            let loss = loss_fn();
            loss.backward().expect("backward through the derivatives");
            loss
        });
        if step % 5 == 0 {
            log("lbfgs", step, loss.item());
        }
    }
    let loss = loss_fn().item();
    let (max_error, max_residual) = evaluate(&net);
    let report = Report {
        adam_loss,
        loss,
        max_error,
        max_residual,
    };
    (net, report)
}

fn lbfgs_zero(net: &Net) {
    net.params.iter().for_each(Tensor::zero_grad);
}

fn main() {
    let cfg = Config::FULL;
    println!(
        "u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0: a 1-{h}-{h}-1 tanh network, {} collocation points",
        cfg.points,
        h = cfg.hidden
    );
    let (net, r) = train(cfg, |phase, step, loss| {
        println!("{phase:>5} step {step:>4}  residual loss {loss:.3e}")
    });
    println!(
        "physics loss {:.3e} after Adam, {:.3e} after L-BFGS",
        r.adam_loss, r.loss
    );
    println!("max |u(x) - sin(pi x)| = {:.2e} on 101 points", r.max_error);
    println!("max |u''(x) + pi^2 sin(pi x)| = {:.2e}", r.max_residual);
    let x = grid(5);
    let u = no_grad(|| net.u(&x)).to_vec::<f64>();
    for (x, u) in x.to_vec::<f64>().iter().zip(u) {
        println!("u({x:.2}) = {u:+.5}   sin(pi x) = {:+.5}", (PI * x).sin());
    }
}
