//! RMSprop, PyTorch's `torch.optim.RMSprop`.

use super::adam::lerp;
use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// RMSprop (`torch.optim.RMSprop`; Hinton's lecture notes, centered version of
/// Graves, 2013).
///
/// The update of PyTorch's documentation (`torch.optim.RMSprop`, "Algorithm"),
/// in the order of its implementation, with learning rate γ, smoothing constant
/// α, weight decay λ, momentum μ, at gradient g:
///
/// ```text
/// g ← -g                                   if maximize
/// g ← g + λ θ                              if λ ≠ 0
/// v ← α v + (1 − α) g²
/// avg ← √(v − g_avg²)  with g_avg ← g_avg + (1 − α)(g − g_avg)   if centered
/// avg ← √v                                                       otherwise
/// avg ← avg + ε
/// b ← μ b + g / avg;  θ ← θ − γ b          if μ > 0
/// θ ← θ − γ g / avg                        otherwise
/// ```
///
/// Defaults (PyTorch's): alpha 0.99, eps 1e-8, weight_decay 0, momentum 0,
/// centered false, maximize false. State per parameter: `step`, `square_avg`,
/// `momentum_buffer` (momentum), `grad_avg` (centered).
pub struct RmsProp {
    core: Core,
    rule: RmsPropRule,
}

#[derive(Clone, Copy, Debug)]
struct RmsPropRule {
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
}

impl RmsProp {
    /// RMSprop over `params` with learning rate `lr` and PyTorch's defaults
    /// (PyTorch's default `lr` is 1e-2).
    pub fn new(params: Vec<Tensor>, lr: f64) -> RmsProp {
        RmsProp {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: RmsPropRule {
                alpha: 0.99,
                eps: 1e-8,
                weight_decay: 0.0,
                momentum: 0.0,
                centered: false,
                maximize: false,
            },
        }
    }

    /// Smoothing constant α of the running average of the squared gradient
    /// (`alpha=`, default 0.99).
    pub fn alpha(mut self, alpha: f64) -> RmsProp {
        self.rule.alpha = alpha;
        self
    }

    /// Term added to the denominator (`eps=`, default 1e-8).
    pub fn eps(mut self, eps: f64) -> RmsProp {
        self.rule.eps = eps;
        self
    }

    /// Momentum factor μ (`momentum=`, default 0).
    pub fn momentum(mut self, momentum: f64) -> RmsProp {
        self.rule.momentum = momentum;
        self
    }

    /// Normalise by the estimated variance of the gradient instead of its second
    /// moment (`centered=`, default false).
    pub fn centered(mut self, centered: bool) -> RmsProp {
        self.rule.centered = centered;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> RmsProp {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(RmsProp);

impl Rule for RmsPropRule {
    const BUFFERS: &'static [&'static str] = &["square_avg", "momentum_buffer", "grad_avg"];

    fn uses(&self, buffer: usize) -> bool {
        match buffer {
            1 => self.momentum > 0.0,
            2 => self.centered,
            _ => true,
        }
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let [sq, buf, gavg] = s.bufs.as_mut_slice() else {
            unreachable!("RMSprop has three buffers")
        };
        let alpha = self.alpha;
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                d = add_alpha(d, p[i], h.weight_decay);
            }
            sq[i] = sq[i] * alpha + (1.0 - alpha) * d * d;
            let mut avg = if self.centered {
                gavg[i] = lerp(gavg[i], d, 1.0 - alpha);
                (sq[i] + -gavg[i] * gavg[i]).sqrt()
            } else {
                sq[i].sqrt()
            };
            avg += self.eps;
            if self.momentum > 0.0 {
                buf[i] = buf[i] * self.momentum + d / avg;
                p[i] = add_alpha(p[i], buf[i], -h.lr);
            } else {
                p[i] += -h.lr * d / avg;
            }
        }
    }
}
