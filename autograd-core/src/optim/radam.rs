//! RAdam, PyTorch's `torch.optim.RAdam`.

use super::adam::lerp;
use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Rectified Adam (`torch.optim.RAdam`; Liu et al., 2019): plain momentum SGD
/// while the variance of the adaptive learning rate is intractable, Adam with a
/// rectification factor afterwards.
///
/// The update of PyTorch's documentation (`torch.optim.RAdam`, "Algorithm"), in
/// the order of its implementation, with learning rate γ, betas β₁ β₂, weight
/// decay λ, at step t with gradient g:
///
/// ```text
/// g ← -g                                      if maximize
/// θ ← θ (1 − γ λ)                             if λ ≠ 0 and decoupled_weight_decay
/// g ← g + λ θ                                 if λ ≠ 0 otherwise
/// m ← m + (1 − β₁) (g − m)
/// v ← β₂ v + (1 − β₂) g²
/// m̂ ← m / (1 − β₁ᵗ)
/// ρ∞ ← 2 / (1 − β₂) − 1,   ρₜ ← ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
/// if ρₜ > 5:
///     l ← √(1 − β₂ᵗ) / (√v + ε)
///     r ← √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
///     θ ← θ − m̂ γ l r
/// else:
///     θ ← θ − m̂ γ
/// ```
///
/// Defaults (PyTorch's): lr 1e-3 (pass it to `new`), betas (0.9, 0.999), eps
/// 1e-8, weight_decay 0, decoupled_weight_decay false, maximize false. State per
/// parameter: `step`, `exp_avg`, `exp_avg_sq`.
pub struct RAdam {
    core: Core,
    rule: RAdamRule,
}

#[derive(Clone, Copy, Debug)]
struct RAdamRule {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
    maximize: bool,
}

impl RAdam {
    /// RAdam over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> RAdam {
        RAdam {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: RAdamRule {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.0,
                decoupled: false,
                maximize: false,
            },
        }
    }

    /// Coefficients of the running averages (`betas=`, default (0.9, 0.999)).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> RAdam {
        self.rule.beta1 = beta1;
        self.rule.beta2 = beta2;
        self
    }

    /// Term added to the denominator (`eps=`, default 1e-8).
    pub fn eps(mut self, eps: f64) -> RAdam {
        self.rule.eps = eps;
        self
    }

    /// Weight decay applied to the parameter directly, as AdamW does
    /// (`decoupled_weight_decay=`, default false).
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> RAdam {
        self.rule.decoupled = decoupled;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> RAdam {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(RAdam);

impl Rule for RAdamRule {
    const BUFFERS: &'static [&'static str] = &["exp_avg", "exp_avg_sq"];

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let step = s.step;
        let (beta1, beta2) = (self.beta1, self.beta2);
        let bias_correction1 = 1.0 - beta1.powf(step);
        let bias_correction2 = 1.0 - beta2.powf(step);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
        let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            .powf(0.5);
        let bias_correction2_sqrt = bias_correction2.powf(0.5);
        let [m, v] = s.bufs.as_mut_slice() else {
            unreachable!("RAdam has two buffers")
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
            m[i] = lerp(m[i], d, 1.0 - beta1);
            v[i] = v[i] * beta2 + (1.0 - beta2) * d * d;
            let corrected = m[i] / bias_correction1;
            if rho_t > 5.0 {
                let adaptive_lr = bias_correction2_sqrt / (v[i].sqrt() + self.eps);
                p[i] += -(corrected * h.lr * adaptive_lr * rect);
            } else {
                p[i] += -(corrected * h.lr);
            }
        }
    }
}
