//! Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`.

use super::element_wise_optimizer;
use super::group::{Core, Hyper, ParamGroup, ParamState, Rule};
use crate::update::{sgd_entry, SgdHyper};
use crate::Tensor;

/// Stochastic gradient descent, optionally with (Nesterov) momentum
/// (`torch.optim.SGD`).
///
/// The update of PyTorch's documentation (`torch.optim.SGD`, "Algorithm") in the
/// order of its implementation, with learning rate γ, weight decay λ, momentum μ
/// and dampening τ, at step t with gradient g:
///
/// ```text
/// g ← -g                          if maximize
/// g ← g + λ θ                     if λ ≠ 0
/// b ← g  (t = 1),  b ← μ b + (1 − τ) g  (t > 1)      if μ ≠ 0
/// g ← g + μ b  (nesterov)   or   g ← b               if μ ≠ 0
/// θ ← θ − γ g
/// ```
///
/// Defaults (PyTorch's): momentum 0, dampening 0, weight_decay 0, nesterov false,
/// maximize false. State per parameter: `momentum_buffer` (with momentum).
///
/// ```
/// use autograd_core::optim::Sgd;
/// use autograd_core::Tensor;
///
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w.clone()], 0.1);
/// (&w * &w).sum().backward().unwrap(); // gradient 2
/// opt.step();
/// assert_eq!(w.to_vec::<f64>(), vec![0.8]);
/// ```
pub struct Sgd {
    core: Core,
    rule: SgdRule,
}

#[derive(Clone, Copy, Debug)]
struct SgdRule {
    momentum: f64,
    dampening: f64,
    nesterov: bool,
    weight_decay: f64,
    maximize: bool,
}

impl Sgd {
    /// SGD over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Sgd {
        Sgd {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: SgdRule {
                momentum: 0.0,
                dampening: 0.0,
                nesterov: false,
                weight_decay: 0.0,
                maximize: false,
            },
        }
    }

    /// Momentum factor μ (`momentum=`, default 0).
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        self.rule.momentum = momentum;
        self
    }

    /// Dampening τ of the momentum (`dampening=`, default 0).
    pub fn dampening(mut self, dampening: f64) -> Sgd {
        self.rule.dampening = dampening;
        self
    }

    /// Nesterov momentum (`nesterov=`, default false).
    ///
    /// `step` panics unless momentum is positive and dampening 0, as PyTorch
    /// raises.
    pub fn nesterov(mut self, nesterov: bool) -> Sgd {
        self.rule.nesterov = nesterov;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Sgd {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Sgd);

impl Rule for SgdRule {
    const BUFFERS: &'static [&'static str] = &["momentum_buffer"];

    fn uses(&self, _buffer: usize) -> bool {
        self.momentum != 0.0
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        assert!(
            !self.nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "Sgd: Nesterov momentum requires a momentum and zero dampening"
        );
        let first = s.step == 0.0;
        s.step += 1.0;
        let hyper = SgdHyper {
            lr: h.lr,
            momentum: self.momentum,
            dampening: self.dampening,
            nesterov: self.nesterov,
            weight_decay: h.weight_decay,
            maximize: self.maximize,
        };
        let mut no_buffer = 0.0;
        for i in 0..p.len() {
            let buf = match s.bufs[0].get_mut(i) {
                Some(b) => b,
                None => &mut no_buffer,
            };
            sgd_entry(&hyper, first, &mut p[i], g[i], buf);
        }
    }
}
