//! Adamax, PyTorch's `torch.optim.Adamax`.

use super::adam::lerp;
use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Adamax, Adam with the infinity norm (`torch.optim.Adamax`; Kingma and Ba,
/// 2014, section 7).
///
/// The update of PyTorch's documentation (`torch.optim.Adamax`, "Algorithm"), in
/// the order of its implementation, with learning rate γ, betas β₁ β₂, weight
/// decay λ, at step t with gradient g:
///
/// ```text
/// g ← -g                          if maximize
/// g ← g + λ θ                     if λ ≠ 0
/// m ← m + (1 − β₁) (g − m)
/// u ← max(β₂ u, |g| + ε)
/// θ ← θ − (γ / (1 − β₁ᵗ)) m / u
/// ```
///
/// Defaults (PyTorch's): lr 2e-3 (pass it to `new`), betas (0.9, 0.999), eps
/// 1e-8, weight_decay 0, maximize false. State per parameter: `step`, `exp_avg`,
/// `exp_inf`.
pub struct Adamax {
    core: Core,
    rule: AdamaxRule,
}

#[derive(Clone, Copy, Debug)]
struct AdamaxRule {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    maximize: bool,
}

impl Adamax {
    /// Adamax over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adamax {
        Adamax {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AdamaxRule {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.0,
                maximize: false,
            },
        }
    }

    /// Coefficients of the running average and the running maximum
    /// (`betas=`, default (0.9, 0.999)).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Adamax {
        self.rule.beta1 = beta1;
        self.rule.beta2 = beta2;
        self
    }

    /// Term added to the running maximum (`eps=`, default 1e-8).
    pub fn eps(mut self, eps: f64) -> Adamax {
        self.rule.eps = eps;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Adamax {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Adamax);

impl Rule for AdamaxRule {
    const BUFFERS: &'static [&'static str] = &["exp_avg", "exp_inf"];

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let clr = h.lr / (1.0 - self.beta1.powf(s.step));
        let [m, u] = s.bufs.as_mut_slice() else {
            unreachable!("Adamax has two buffers")
        };
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                d = add_alpha(d, p[i], h.weight_decay);
            }
            m[i] = lerp(m[i], d, 1.0 - self.beta1);
            u[i] = (u[i] * self.beta2).max(d.abs() + self.eps);
            p[i] += -clr * m[i] / u[i];
        }
    }
}
