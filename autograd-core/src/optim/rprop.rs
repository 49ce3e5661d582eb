//! Resilient backpropagation, PyTorch's `torch.optim.Rprop`.

use super::element_wise_optimizer;
use super::group::{Core, Hyper, ParamGroup, ParamState, Rule};
use crate::Tensor;

/// Rprop (`torch.optim.Rprop`; Riedmiller and Braun, 1993): a per-element step
/// size that grows while the gradient keeps its sign and shrinks when it flips;
/// only the sign of the gradient is used.
///
/// The update of PyTorch's documentation (`torch.optim.Rprop`, "Algorithm"), in
/// the order of its implementation, with etas (η₋, η₊), step sizes
/// (Γmin, Γmax), step size s (starting at the learning rate) and previous
/// gradient g₋ (starting at 0):
///
/// ```text
/// g ← -g                                  if maximize
/// f ← η₊ if g g₋ > 0,  η₋ if g g₋ < 0,  1 otherwise
/// s ← clamp(s f, Γmin, Γmax)
/// g ← 0                                   where f = η₋
/// θ ← θ − sign(g) s
/// g₋ ← g
/// ```
///
/// Defaults (PyTorch's): etas (0.5, 1.2), step_sizes (1e-6, 50), maximize false.
/// Rprop has no weight decay in PyTorch; a group's weight decay is ignored.
/// State per parameter: `step`, `prev`, `step_size`.
pub struct Rprop {
    core: Core,
    rule: RpropRule,
}

#[derive(Clone, Copy, Debug)]
struct RpropRule {
    eta_minus: f64,
    eta_plus: f64,
    step_min: f64,
    step_max: f64,
    maximize: bool,
    /// Always 0: the `weight_decay` builder exists for uniformity only.
    weight_decay: f64,
}

impl Rprop {
    /// Rprop over `params` with initial step size `lr` and PyTorch's defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Rprop {
        Rprop {
            core: Core::new(vec![ParamGroup::new(params)], lr),
            rule: RpropRule {
                eta_minus: 0.5,
                eta_plus: 1.2,
                step_min: 1e-6,
                step_max: 50.0,
                maximize: false,
                weight_decay: 0.0,
            },
        }
    }

    /// Multiplicative decrease and increase factors (`etas=`, default (0.5, 1.2)).
    pub fn etas(mut self, eta_minus: f64, eta_plus: f64) -> Rprop {
        self.rule.eta_minus = eta_minus;
        self.rule.eta_plus = eta_plus;
        self
    }

    /// Smallest and largest step size (`step_sizes=`, default (1e-6, 50)).
    pub fn step_sizes(mut self, min: f64, max: f64) -> Rprop {
        self.rule.step_min = min;
        self.rule.step_max = max;
        self
    }

    /// Maximize the objective instead of minimizing it (`maximize=`).
    pub fn maximize(mut self, maximize: bool) -> Rprop {
        self.rule.maximize = maximize;
        self
    }
}

element_wise_optimizer!(Rprop);

impl Rule for RpropRule {
    const BUFFERS: &'static [&'static str] = &["prev", "step_size"];

    fn init(&self, n: usize, h: &Hyper) -> ParamState {
        let mut s = ParamState::zeros(self, n);
        s.bufs[1].fill(h.lr);
        s
    }

    fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    fn update(&self, _h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState) {
        s.step += 1.0;
        let [prev, step_size] = s.bufs.as_mut_slice() else {
            unreachable!("Rprop has two buffers")
        };
        for i in 0..p.len() {
            let mut d = if self.maximize { -g[i] } else { g[i] };
            let product = d * prev[i];
            let factor = if product > 0.0 {
                self.eta_plus
            } else if product < 0.0 {
                self.eta_minus
            } else {
                1.0
            };
            step_size[i] = (step_size[i] * factor)
                .max(self.step_min)
                .min(self.step_max);
            if factor == self.eta_minus {
                d = 0.0;
            }
            p[i] += -sign(d) * step_size[i];
            prev[i] = d;
        }
    }
}

/// PyTorch's `torch.sign`: -1, 0 or 1.
fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}
