//! Adagrad, PyTorch's `torch.optim.Adagrad`.

use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Adagrad (`torch.optim.Adagrad`; Duchi, Hazan and Singer, 2011).
///
/// The update of PyTorch's documentation (`torch.optim.Adagrad`, "Algorithm"),
/// in the order of its implementation, with learning rate γ, learning-rate decay
/// η, weight decay λ, at step t with gradient g:
///
/// ```text
/// g ← -g                          if maximize
/// g ← g + λ θ                     if λ ≠ 0
/// γ̃ ← γ / (1 + (t − 1) η)
/// s ← s + g²                      (s starts at initial_accumulator_value)
/// θ ← θ − γ̃ g / (√s + ε)
/// ```
///
/// Defaults (PyTorch's): lr_decay 0, weight_decay 0, initial_accumulator_value 0,
/// eps 1e-10, maximize false. State per parameter: `step`, `sum`.
pub struct Adagrad {
    core: Core,
    rule: AdagradRule,
}

#[derive(Clone, Copy, Debug)]
struct AdagradRule {
    lr_decay: f64,
    weight_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
    maximize: bool,
}

impl Adagrad {
    /// Adagrad over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adagrad {
        Adagrad {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AdagradRule {
                lr_decay: 0.0,
                weight_decay: 0.0,
                initial_accumulator_value: 0.0,
                eps: 1e-10,
                maximize: false,
            },
        }
    }

    /// Learning-rate decay η (`lr_decay=`, default 0).
    pub fn lr_decay(mut self, lr_decay: f64) -> Adagrad {
        self.rule.lr_decay = lr_decay;
        self
    }

    /// Starting value of the sum of squared gradients
    /// (`initial_accumulator_value=`, default 0).
    pub fn initial_accumulator_value(mut self, value: f64) -> Adagrad {
        self.rule.initial_accumulator_value = value;
        self
    }

    /// Term added to the denominator (`eps=`, default 1e-10).
    pub fn eps(mut self, eps: f64) -> Adagrad {
        self.rule.eps = eps;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Adagrad {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Adagrad);

impl Rule for AdagradRule {
    const BUFFERS: &'static [&'static str] = &["sum"];

    fn init(&self, n: usize, _h: &Hyper) -> ParamState {
        let mut s = ParamState::zeros(self, n);
        s.bufs[0].fill(self.initial_accumulator_value);
        s
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let clr = h.lr / (1.0 + (s.step - 1.0) * self.lr_decay);
        let sum = &mut s.bufs[0];
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                d = add_alpha(d, p[i], h.weight_decay);
            }
            sum[i] += d * d;
            let std = sum[i].sqrt() + self.eps;
            p[i] += -clr * d / std;
        }
    }
}
