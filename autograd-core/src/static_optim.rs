//! Optimizers of the static engine: PyTorch's update rules (shared with the tape's
//! [`optim`](crate::optim), see [`crate::update`]) over any [`Params`] (scalars,
//! `SMatrix`, tuples, structs deriving `Tangent`), with their state stored in the
//! same type: no allocation, no `std`.
//!
//! ```
//! use autograd_core::static_optim::Adam;
//! use nalgebra::Vector2;
//!
//! // Minimise |x - (1, 2)|^2 with its gradient written by hand.
//! let mut x = Vector2::new(0.0_f64, 0.0);
//! let mut opt = Adam::new(&x, 0.1);
//! for _ in 0..500 {
//!     let grad = (x - Vector2::new(1.0, 2.0)) * 2.0;
//!     opt.step(&mut x, &grad);
//! }
//! assert!((x - Vector2::new(1.0, 2.0)).norm() < 1e-3);
//! ```

use crate::adjoint::Params;

use crate::update::{adam_entry, sgd_entry, AdamHyper, AdamStep, SgdHyper};

/// Stochastic gradient descent with momentum (PyTorch's `torch.optim.SGD`, same
/// defaults and builder names as [`crate::optim::Sgd`] where it exists).
#[derive(Clone, Copy, Debug)]
pub struct Sgd<P: Params> {
    hyper: SgdHyper<P::Scalar>,
    momentum_buffer: P,
    steps: usize,
}

impl<P: Params> Sgd<P> {
    /// SGD at learning rate `lr` for parameters shaped like `like`.
    pub fn new(like: &P, lr: P::Scalar) -> Self {
        let zero = nalgebra::zero();
        Sgd {
            hyper: SgdHyper {
                lr,
                momentum: zero,
                dampening: zero,
                nesterov: false,
                weight_decay: zero,
                maximize: false,
            },
            momentum_buffer: like.zero_like(),
            steps: 0,
        }
    }
    /// Momentum factor (default 0).
    pub fn momentum(mut self, momentum: P::Scalar) -> Self {
        self.hyper.momentum = momentum;
        self
    }
    /// Dampening of the momentum (default 0).
    pub fn dampening(mut self, dampening: P::Scalar) -> Self {
        self.hyper.dampening = dampening;
        self
    }
    /// Nesterov momentum (default off).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.hyper.nesterov = nesterov;
        self
    }
    /// L2 penalty (default 0).
    pub fn weight_decay(mut self, weight_decay: P::Scalar) -> Self {
        self.hyper.weight_decay = weight_decay;
        self
    }
    /// Ascend instead of descend (default off).
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.hyper.maximize = maximize;
        self
    }
    /// One step: updates `params` given their gradient.
    pub fn step(&mut self, params: &mut P, grad: &P) {
        let first = self.steps == 0;
        self.steps += 1;
        let runs = params
            .slices_mut()
            .zip(grad.slices())
            .zip(self.momentum_buffer.slices_mut());
        for ((p, g), b) in runs {
            for ((p, g), b) in p.iter_mut().zip(g).zip(b) {
                sgd_entry(&self.hyper, first, p, *g, b);
            }
        }
    }
}

/// Adam (PyTorch's `torch.optim.Adam`; AdamW with `decoupled_weight_decay`), with
/// PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
#[derive(Clone, Copy, Debug)]
pub struct Adam<P: Params> {
    hyper: AdamHyper<P::Scalar>,
    exp_avg: P,
    exp_avg_sq: P,
    max_exp_avg_sq: P,
    steps: usize,
}

impl<P: Params> Adam<P> {
    /// Adam at learning rate `lr` for parameters shaped like `like`.
    pub fn new(like: &P, lr: P::Scalar) -> Self {
        let zero = like.zero_like();
        Adam {
            hyper: AdamHyper {
                lr,
                beta1: nalgebra::convert(0.9),
                beta2: nalgebra::convert(0.999),
                eps: nalgebra::convert(1e-8),
                weight_decay: nalgebra::zero(),
                decoupled: false,
                amsgrad: false,
                maximize: false,
            },
            exp_avg: zero.clone(),
            exp_avg_sq: zero.clone(),
            max_exp_avg_sq: zero,
            steps: 0,
        }
    }
    /// The moments' decays (default 0.9, 0.999).
    pub fn betas(mut self, beta1: P::Scalar, beta2: P::Scalar) -> Self {
        self.hyper.beta1 = beta1;
        self.hyper.beta2 = beta2;
        self
    }
    /// Added to the denominator (default 1e-8).
    pub fn eps(mut self, eps: P::Scalar) -> Self {
        self.hyper.eps = eps;
        self
    }
    /// Weight decay (default 0).
    pub fn weight_decay(mut self, weight_decay: P::Scalar) -> Self {
        self.hyper.weight_decay = weight_decay;
        self
    }
    /// AdamW's decoupled weight decay (default off).
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> Self {
        self.hyper.decoupled = decoupled;
        self
    }
    /// The AMSGrad variant (default off).
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.hyper.amsgrad = amsgrad;
        self
    }
    /// Ascend instead of descend (default off).
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.hyper.maximize = maximize;
        self
    }
    /// One step: updates `params` given their gradient.
    pub fn step(&mut self, params: &mut P, grad: &P) {
        self.steps += 1;
        let shared = AdamStep::new(&self.hyper, nalgebra::convert(self.steps as f64));
        let runs = params
            .slices_mut()
            .zip(grad.slices())
            .zip(self.exp_avg.slices_mut())
            .zip(self.exp_avg_sq.slices_mut())
            .zip(self.max_exp_avg_sq.slices_mut());
        for ((((p, g), m), v), vmax) in runs {
            let entries = p.iter_mut().zip(g).zip(m).zip(v.iter_mut()).zip(vmax);
            for ((((p, g), m), v), vmax) in entries {
                adam_entry(&self.hyper, &shared, p, *g, m, v, vmax);
            }
        }
    }
}
