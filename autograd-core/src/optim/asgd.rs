//! Averaged SGD, PyTorch's `torch.optim.ASGD`.

use super::element_wise_optimizer;
use super::group::{add_alpha, Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Averaged stochastic gradient descent (`torch.optim.ASGD`; Polyak and
/// Juditsky, 1992).
///
/// The update of PyTorch's documentation (`torch.optim.ASGD`, "Algorithm"), in
/// the order of its implementation, with learning rate γ, decay term λ, power α,
/// averaging start t₀, weight decay w, at step t with gradient g; η starts at γ
/// and μ at 1:
///
/// ```text
/// g ← -g                                  if maximize
/// g ← g + w θ                             if w ≠ 0
/// θ ← θ (1 − λ η)
/// θ ← θ − η g
/// ax ← ax + μ (θ − ax)   (ax ← θ when μ = 1)
/// η ← γ / (1 + λ γ t)^α
/// μ ← 1 / max(1, t − t₀)
/// ```
///
/// The average `ax` is kept in the state (`ax`) but, as in PyTorch, the
/// parameters themselves follow the plain iterate.
///
/// Defaults (PyTorch's): lambd 1e-4, alpha 0.75, t0 1e6, weight_decay 0,
/// maximize false. State per parameter: `step`, `eta`, `mu`, `ax`.
pub struct Asgd {
    core: Core,
    rule: AsgdRule,
}

#[derive(Clone, Copy, Debug)]
struct AsgdRule {
    lambd: f64,
    alpha: f64,
    t0: f64,
    weight_decay: f64,
    maximize: bool,
}

impl Asgd {
    /// ASGD over `params` with learning rate `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Asgd {
        Asgd {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: AsgdRule {
                lambd: 1e-4,
                alpha: 0.75,
                t0: 1e6,
                weight_decay: 0.0,
                maximize: false,
            },
        }
    }

    /// Decay term λ (`lambd=`, default 1e-4).
    pub fn lambd(mut self, lambd: f64) -> Asgd {
        self.rule.lambd = lambd;
        self
    }

    /// Power α of the step-size decay (`alpha=`, default 0.75).
    pub fn alpha(mut self, alpha: f64) -> Asgd {
        self.rule.alpha = alpha;
        self
    }

    /// Step at which averaging starts (`t0=`, default 1e6).
    pub fn t0(mut self, t0: f64) -> Asgd {
        self.rule.t0 = t0;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Asgd {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Asgd);

const ETA: usize = 0;
const MU: usize = 1;

impl Rule for AsgdRule {
    const BUFFERS: &'static [&'static str] = &["ax"];
    const SCALARS: &'static [&'static str] = &["eta", "mu"];

    fn init(&self, n: usize, h: &Hyper) -> ParamState {
        let mut s = ParamState::zeros(self, n);
        s.scalars[ETA] = h.lr;
        s.scalars[MU] = 1.0;
        s
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let (eta, mu) = (s.scalars[ETA], s.scalars[MU]);
        let ax = &mut s.bufs[0];
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            if h.weight_decay != 0.0 {
                d = add_alpha(d, p[i], h.weight_decay);
            }
            p[i] *= 1.0 - self.lambd * eta;
            p[i] = add_alpha(p[i], d, -eta);
            ax[i] = if mu != 1.0 {
                ax[i] + (p[i] - ax[i]) * mu
            } else {
                p[i]
            };
        }
        s.scalars[ETA] = h.lr / (1.0 + self.lambd * h.lr * s.step).powf(self.alpha);
        s.scalars[MU] = 1.0 / f64::max(1.0, s.step - self.t0);
    }
}
