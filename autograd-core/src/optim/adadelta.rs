//! Adadelta, PyTorch's `torch.optim.Adadelta`.

use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Adadelta (`torch.optim.Adadelta`; Zeiler, 2012).
///
/// The update of PyTorch's documentation (`torch.optim.Adadelta`, "Algorithm"),
/// in the order of its implementation, with learning rate γ, decay ρ, weight
/// decay λ, at gradient g:
///
/// ```text
/// g ← -g                               if maximize
/// g ← g + λ θ                          if λ ≠ 0
/// v ← ρ v + (1 − ρ) g²
/// Δ ← √(u + ε) / √(v + ε) · g
/// u ← ρ u + (1 − ρ) Δ²
/// θ ← θ − γ Δ
/// ```
///
/// PyTorch's defaults: lr 1.0 (pass it to `new`), rho 0.9, eps 1e-6,
/// weight_decay 0, maximize false. State per parameter: `step`, `square_avg`,
/// `acc_delta`.
pub struct Adadelta {
    core: Core,
    rule: AdadeltaRule,
}

#[derive(Clone, Copy, Debug)]
struct AdadeltaRule {
    rho: f64,
    eps: f64,
    weight_decay: f64,
    maximize: bool,
}

impl Adadelta {
    /// Adadelta over `params` with learning rate `lr` (PyTorch's default is 1.0)
    /// and PyTorch's other defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adadelta {
        Adadelta {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AdadeltaRule {
                rho: 0.9,
                eps: 1e-6,
                weight_decay: 0.0,
                maximize: false,
            },
        }
    }

    /// Decay ρ of the running averages (`rho=`, default 0.9).
    pub fn rho(mut self, rho: f64) -> Adadelta {
        self.rule.rho = rho;
        self
    }

    /// Term added inside the square roots (`eps=`, default 1e-6).
    pub fn eps(mut self, eps: f64) -> Adadelta {
        self.rule.eps = eps;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Adadelta {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Adadelta);

impl Rule for AdadeltaRule {
    const BUFFERS: &'static [&'static str] = &["square_avg", "acc_delta"];

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let [sq, acc] = s.bufs.as_mut_slice() else {
            unreachable!("Adadelta has two buffers")
        };
        let rho = self.rho;
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                d = add_alpha(d, p[i], h.weight_decay);
            }
            sq[i] = sq[i] * rho + (1.0 - rho) * d * d;
            let std = (sq[i] + self.eps).sqrt();
            let delta = (acc[i] + self.eps).sqrt() / std * d;
            acc[i] = acc[i] * rho + (1.0 - rho) * delta * delta;
            p[i] = add_alpha(p[i], delta, -h.lr);
        }
    }
}
