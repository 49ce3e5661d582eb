//! Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`.

use super::element_wise_optimizer;
use super::group::{Core, Hyper, ParamGroup, ParamState, Rule, Scratch};
use crate::update::{sgd_slice, SgdHyper};
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
        let (hyper, first) = self.begin(h, s);
        sgd_slice(&hyper, first, p, g, &mut s.bufs[0]);
    }

    /// [`SgdRule::update`]'s `f64` arithmetic on each widened element, with no
    /// `f64` copy of the parameter.
    fn update_f32(
        &self,
        h: &Hyper,
        p: &mut [f32],
        g: &[f32],
        s: &mut ParamState,
        _scratch: &mut Scratch,
    ) {
        let (hyper, first) = self.begin(h, s);
        sgd_slice(&hyper, first, p, g, &mut s.bufs[0]);
    }
}

impl SgdRule {
    /// Checks the options, counts the step and returns the hyper-parameters of
    /// [`sgd_entry`](crate::update::sgd_entry) and whether this is the parameter's first step.
    fn begin(&self, h: &Hyper, s: &mut ParamState) -> (SgdHyper<f64>, bool) {
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
        (hyper, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `f32` path widens element by element: the same bits as updating `f64`
    /// copies and rounding them, with and without a momentum buffer.
    #[test]
    fn f32_update_is_the_f64_update_rounded() {
        let h = Hyper {
            lr: 0.01,
            weight_decay: 0.1,
        };
        let p0: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let g: Vec<f32> = (0..37).map(|i| (i as f32 * 1.3).cos() * 3.0).collect();
        for momentum in [0.0, 0.9] {
            let rule = SgdRule {
                momentum,
                dampening: 0.0,
                nesterov: momentum > 0.0,
                weight_decay: 0.1,
                maximize: false,
            };
            let (mut s32, mut s64) = (rule.init(37, &h), rule.init(37, &h));
            let mut p32 = p0.clone();
            let mut p64: Vec<f64> = p0.iter().map(|&v| v.into()).collect();
            let g64: Vec<f64> = g.iter().map(|&v| v.into()).collect();
            for _ in 0..3 {
                rule.update_f32(&h, &mut p32, &g, &mut s32, &mut Scratch::default());
                rule.update(&h, &mut p64, &g64, &mut s64);
                p64.iter_mut().for_each(|v| *v = *v as f32 as f64);
                s64.bufs[0].iter_mut().for_each(|v| *v = *v as f32 as f64);
                s32.bufs[0].iter_mut().for_each(|v| *v = *v as f32 as f64);
                let widened: Vec<f64> = p32.iter().map(|&v| v.into()).collect();
                assert_eq!(widened, p64);
                assert_eq!(s32, s64);
            }
        }
    }
}
