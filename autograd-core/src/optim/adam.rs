//! Adam and AdamW, PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`.

use super::element_wise_optimizer;
use super::group::{Core, Hyper, ParamGroup, ParamState, Rule};
use crate::update::{adam_entry, AdamHyper, AdamStep};
use crate::Tensor;

/// Adam (`torch.optim.Adam`; Kingma and Ba, 2014), with AMSGrad and decoupled
/// weight decay as options.
///
/// The update of PyTorch's documentation (`torch.optim.Adam`, "Algorithm"), in
/// the order of its implementation, with learning rate γ, betas β₁ β₂, weight
/// decay λ, at step t with gradient g:
///
/// ```text
/// g ← -g                                   if maximize
/// θ ← θ (1 − γ λ)                          if λ ≠ 0 and decoupled_weight_decay
/// g ← g + λ θ                              if λ ≠ 0 otherwise
/// m ← m + (1 − β₁) (g − m)                 (lerp)
/// v ← β₂ v + (1 − β₂) g²
/// v̂max ← max(v̂max, v)                     if amsgrad (and v̂max replaces v below)
/// denom ← √v / √(1 − β₂ᵗ) + ε
/// θ ← θ − (γ / (1 − β₁ᵗ)) m / denom
/// ```
///
/// Defaults (PyTorch's): betas (0.9, 0.999), eps 1e-8, weight_decay 0,
/// amsgrad false, maximize false, decoupled_weight_decay false. State per
/// parameter: `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (amsgrad).
pub struct Adam {
    core: Core,
    rule: AdamRule,
}

/// AdamW (`torch.optim.AdamW`; Loshchilov and Hutter, 2017): [`Adam`] with
/// decoupled weight decay `θ ← θ (1 − γ λ)` before the Adam update, and PyTorch's
/// default weight decay of 1e-2.
///
/// Defaults (PyTorch's): betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2,
/// amsgrad false, maximize false.
pub struct AdamW {
    core: Core,
    rule: AdamRule,
}

#[derive(Clone, Copy, Debug)]
struct AdamRule {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
}

impl AdamRule {
    fn new(weight_decay: f64, decoupled: bool) -> AdamRule {
        AdamRule {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            amsgrad: false,
            maximize: false,
            decoupled,
        }
    }
}

/// The builders Adam and AdamW share.
macro_rules! adam_builders {
    ($name:ident) => {
        impl $name {
            /// Coefficients of the running averages of the gradient and its square
            /// (`betas=`, default (0.9, 0.999)).
            pub fn betas(mut self, beta1: f64, beta2: f64) -> $name {
                self.rule.beta1 = beta1;
                self.rule.beta2 = beta2;
                self
            }

            /// Term added to the denominator (`eps=`, default 1e-8).
            pub fn eps(mut self, eps: f64) -> $name {
                self.rule.eps = eps;
                self
            }

            /// The AMSGrad variant, which divides by the running maximum of the
            /// second moment (`amsgrad=`, default false).
            pub fn amsgrad(mut self, amsgrad: bool) -> $name {
                self.rule.amsgrad = amsgrad;
                self
            }

            /// Maximize the objective instead of minimizing it (`maximize=`).
            pub fn maximize(mut self, maximize: bool) -> $name {
                self.rule.maximize = maximize;
                self
            }
        }
    };
}

impl Adam {
    /// Adam over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adam {
        Adam {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AdamRule::new(0.0, false),
        }
    }

    /// Weight decay applied to the parameter directly, as AdamW does, instead of
    /// added to the gradient (`decoupled_weight_decay=`, default false).
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> Adam {
        self.rule.decoupled = decoupled;
        self
    }
}

impl AdamW {
    /// AdamW over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> AdamW {
        AdamW {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AdamRule::new(1e-2, true),
        }
    }
}

adam_builders!(Adam);
adam_builders!(AdamW);
element_wise_optimizer!(Adam);
element_wise_optimizer!(AdamW);

impl Rule for AdamRule {
    const BUFFERS: &'static [&'static str] = &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    fn uses(&self, buffer: usize) -> bool {
        buffer < 2 || self.amsgrad
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let hyper = AdamHyper {
            lr: h.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: h.weight_decay,
            decoupled: self.decoupled,
            amsgrad: self.amsgrad,
            maximize: self.maximize,
        };
        let shared = AdamStep::new(&hyper, s.step);
        let [m, v, vmax] = s.bufs.as_mut_slice() else {
            unreachable!("Adam has three buffers")
        };
        let mut no_max = 0.0;
        for i in 0..p.len() {
            let vmax_i = match vmax.get_mut(i) {
                Some(x) => x,
                None => &mut no_max,
            };
            adam_entry(
                &hyper, &shared, &mut p[i], g[i], &mut m[i], &mut v[i], vmax_i,
            );
        }
    }
}

/// PyTorch's `lerp` (see [`crate::update::lerp`]).
pub(crate) use crate::update::lerp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_uses_the_formula_of_the_nearer_end() {
        assert_eq!(lerp(1.0, 3.0, 0.25), 1.5);
        assert_eq!(lerp(1.0, 3.0, 0.75), 2.5);
        assert_eq!(lerp(1.0, 3.0, 1.0), 3.0);
        assert_eq!(lerp(1.0, 3.0, 0.0), 1.0);
    }

    #[test]
    fn amsgrad_keeps_the_running_maximum_buffer_only_when_asked() {
        let rule = AdamRule::new(0.0, false);
        assert!(rule.uses(0) && rule.uses(1) && !rule.uses(2));
        let rule = AdamRule {
            amsgrad: true,
            ..rule
        };
        assert!(rule.uses(2));
    }
}
