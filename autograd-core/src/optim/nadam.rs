//! NAdam, PyTorch's `torch.optim.NAdam`.

use super::adam::lerp;
use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Adam with Nesterov momentum (`torch.optim.NAdam`; Dozat, 2016).
///
/// The update of PyTorch's documentation (`torch.optim.NAdam`, "Algorithm"), in
/// the order of its implementation, with learning rate γ, betas β₁ β₂, momentum
/// decay ψ, weight decay λ, at step t with gradient g:
///
/// ```text
/// g ← -g                                      if maximize
/// θ ← θ (1 − γ λ)                             if λ ≠ 0 and decoupled_weight_decay
/// g ← g + λ θ                                 if λ ≠ 0 otherwise
/// μₜ ← β₁ (1 − ½ · 0.96^(t ψ)),  μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1) ψ))
/// Π ← Π μₜ                                    (Π starts at 1)
/// m ← m + (1 − β₁) (g − m)
/// v ← β₂ v + (1 − β₂) g²
/// denom ← √(v / (1 − β₂ᵗ)) + ε
/// θ ← θ − γ (1 − μₜ) / (1 − Π) · g / denom
/// θ ← θ − γ μₜ₊₁ / (1 − Π μₜ₊₁) · m / denom
/// ```
///
/// Defaults (PyTorch's): lr 2e-3 (pass it to `new`), betas (0.9, 0.999), eps
/// 1e-8, weight_decay 0, momentum_decay 4e-3, decoupled_weight_decay false,
/// maximize false. State per parameter: `step`, `mu_product`, `exp_avg`,
/// `exp_avg_sq`.
pub struct NAdam {
    core: Core,
    rule: NAdamRule,
}

#[derive(Clone, Copy, Debug)]
struct NAdamRule {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    momentum_decay: f64,
    decoupled: bool,
    maximize: bool,
}

impl NAdam {
    /// NAdam over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> NAdam {
        NAdam {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: NAdamRule {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.0,
                momentum_decay: 4e-3,
                decoupled: false,
                maximize: false,
            },
        }
    }

    /// Coefficients of the running averages (`betas=`, default (0.9, 0.999)).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> NAdam {
        self.rule.beta1 = beta1;
        self.rule.beta2 = beta2;
        self
    }

    /// Term added to the denominator (`eps=`, default 1e-8).
    pub fn eps(mut self, eps: f64) -> NAdam {
        self.rule.eps = eps;
        self
    }

    /// Momentum decay ψ (`momentum_decay=`, default 4e-3).
    pub fn momentum_decay(mut self, momentum_decay: f64) -> NAdam {
        self.rule.momentum_decay = momentum_decay;
        self
    }

    /// Weight decay applied to the parameter directly, as AdamW does
    /// (`decoupled_weight_decay=`, default false).
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> NAdam {
        self.rule.decoupled = decoupled;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> NAdam {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(NAdam);

impl Rule for NAdamRule {
    const BUFFERS: &'static [&'static str] = &["exp_avg", "exp_avg_sq"];
    const SCALARS: &'static [&'static str] = &["mu_product"];

    fn init(&self, n: usize, _h: &Hyper) -> ParamState {
        let mut s = ParamState::zeros(self, n);
        s.scalars[0] = 1.0;
        s
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let step = s.step;
        let bias_correction2 = 1.0 - self.beta2.powf(step);
        let mu = self.beta1 * (1.0 - 0.5 * 0.96f64.powf(step * self.momentum_decay));
        let mu_next = self.beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * self.momentum_decay));
        s.scalars[0] *= mu;
        let mu_product = s.scalars[0];
        let mu_product_next = mu_product * mu_next;
        let grad_coef = -h.lr * (1.0 - mu) / (1.0 - mu_product);
        let avg_coef = (-h.lr * mu_next) / (1.0 - mu_product_next);
        let [m, v] = s.bufs.as_mut_slice() else {
            unreachable!("NAdam has two buffers")
        };
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                if self.decoupled {
                    p[i] *= 1.0 - h.lr * h.weight_decay;
                } else {
                    d = add_alpha(d, p[i], h.weight_decay);
                }
            }
            m[i] = lerp(m[i], d, 1.0 - self.beta1);
            v[i] = v[i] * self.beta2 + (1.0 - self.beta2) * d * d;
            let denom = (v[i] / bias_correction2).sqrt() + self.eps;
            p[i] += grad_coef * d / denom;
            p[i] += avg_coef * m[i] / denom;
        }
    }
}
