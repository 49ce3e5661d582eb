//! Optimizers, learning-rate schedulers and gradient clipping: PyTorch's
//! `torch.optim` and `torch.nn.utils.clip_grad_*` on the dynamic [`Tensor`] tape.
//!
//! Every optimizer reproduces PyTorch's update rule (its single-tensor CPU
//! implementation, operation by operation) and PyTorch's default
//! hyper-parameters, so the same start and data give the same trajectory. The
//! tests in `tests/optim_trajectories.rs` replay trajectories recorded with
//! PyTorch in `float64` and match them to 1e-9 relative.
//!
//! Layout: one file per optimizer, its update rule in its documentation;
//! `group.rs` holds what they share (parameter groups, per-parameter state, the
//! loop that reads each parameter and its gradient and writes the update back
//! without recording it on the tape); `scheduler.rs` the learning-rate
//! schedulers; `clip.rs` gradient clipping; `state.rs` the state dict.
//!
//! ```
//! use autograd_core::optim::{Adam, Optimizer};
//! use autograd_core::Tensor;
//!
//! let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).requires_grad_(true);
//! let mut opt = Adam::new(vec![w.clone()], 0.1).betas(0.9, 0.99);
//! for _ in 0..100 {
//!     opt.zero_grad();
//!     let loss = (&w * &w).sum();
//!     loss.backward().unwrap();
//!     opt.step();
//! }
//! assert!(w.to_vec::<f64>().iter().all(|v| v.abs() < 0.1));
//! ```
//!
//! Updates are computed in `f64` and stored in the parameter's dtype; for `f32`
//! parameters the per-parameter state is rounded to `f32` after every step, as
//! PyTorch stores it.

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod asgd;
mod clip;
mod group;
mod lbfgs;
mod nadam;
mod radam;
mod rmsprop;
mod rprop;
pub mod scheduler;
mod sgd;
mod state;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use adamax::Adamax;
pub use asgd::Asgd;
pub use clip::{clip_grad_norm_, clip_grad_norm_with, clip_grad_value_};
pub use group::ParamGroup;
pub use lbfgs::Lbfgs;
pub use nadam::NAdam;
pub use radam::RAdam;
pub use rmsprop::RmsProp;
pub use rprop::Rprop;
pub use scheduler::{
    CosineAnnealingLR, ExponentialLR, LambdaLR, LrScheduler, MultiStepLR, PlateauMode,
    ReduceLROnPlateau, StepLR, ThresholdMode,
};
pub use sgd::Sgd;
pub use state::{GroupDict, StateDict, StateValue};

use crate::{Error, Tensor};

/// What every optimizer does (PyTorch's `torch.optim.Optimizer`), usable as
/// `&mut dyn Optimizer` so that schedulers and training loops need not know which
/// optimizer runs.
///
/// Every optimizer also has `step`, `zero_grad` and `step_with` as inherent
/// methods, so calling them needs no `use` of this trait.
pub trait Optimizer {
    /// Updates every parameter that has a gradient, once (`opt.step()`).
    /// Parameters whose `grad()` is `None` are skipped, as in PyTorch.
    ///
    /// # Panics
    /// [`Lbfgs`] panics here: it needs a closure, see [`Optimizer::step_closure`].
    fn step(&mut self);

    /// One step given a closure that zeroes the gradients, computes the loss, runs
    /// backward and returns the loss (`opt.step(closure)`). Returns the loss the
    /// first call of the closure returned. The default calls the closure once,
    /// with grad mode on, then [`Optimizer::step`]; [`Lbfgs`] calls it several
    /// times.
    fn step_closure(&mut self, closure: &mut dyn FnMut() -> Tensor) -> Tensor {
        let loss = crate::enable_grad(&mut *closure);
        self.step();
        loss
    }

    /// Clears the gradient of every parameter (`opt.zero_grad()`, whose default
    /// `set_to_none=True` this follows: `grad()` is `None` afterwards).
    fn zero_grad(&self) {
        for group in self.param_groups() {
            for p in &group.params {
                p.zero_grad();
            }
        }
    }

    /// The parameter groups (`opt.param_groups`). Inside an optimizer every
    /// group's `lr` is `Some`.
    fn param_groups(&self) -> &[ParamGroup];

    /// The parameter groups, to change their learning rate or weight decay.
    fn param_groups_mut(&mut self) -> &mut [ParamGroup];

    /// Adds a group of parameters, with the optimizer's learning rate unless the
    /// group sets its own (`opt.add_param_group`).
    fn add_param_group(&mut self, group: ParamGroup);

    /// The learning rate of the first group.
    fn lr(&self) -> f64 {
        self.group_lr(0)
    }

    /// Sets the learning rate of every group.
    fn set_lr(&mut self, lr: f64) {
        for g in self.param_groups_mut() {
            g.lr = Some(lr);
        }
    }

    /// The learning rate of group `i`.
    ///
    /// # Panics
    /// If there is no group `i`.
    fn group_lr(&self, i: usize) -> f64 {
        self.param_groups()[i]
            .lr
            .expect("an optimizer's groups always have a learning rate")
    }

    /// Sets the learning rate of group `i`.
    ///
    /// # Panics
    /// If there is no group `i`.
    fn set_group_lr(&mut self, i: usize, lr: f64) {
        self.param_groups_mut()[i].lr = Some(lr);
    }

    /// The optimizer's state as plain data (`opt.state_dict()`): per-parameter
    /// buffers and counters, and each group's learning rate and weight decay.
    fn state_dict(&self) -> StateDict;

    /// Restores a state saved by [`Optimizer::state_dict`] of an optimizer of the
    /// same kind over parameters of the same shapes (`opt.load_state_dict`).
    /// Nothing changes when it fails.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming what does not match (group or parameter
    /// counts, a missing buffer, a buffer of the wrong length).
    fn load_state_dict(&mut self, state: &StateDict) -> Result<(), Error>;
}

/// Inherent `step`, `zero_grad`, `step_with`, `add_param_group`, the `weight_decay`
/// builder and the [`Optimizer`] impl of an optimizer whose fields are
/// `core: group::Core` and `rule` (a [`group::Rule`]).
macro_rules! element_wise_optimizer {
    ($name:ident) => {
        impl $name {
            /// Updates every parameter that has a gradient, once (`opt.step()`).
            pub fn step(&mut self) {
                self.core.step(&self.rule);
            }

            /// Clears every parameter's gradient (`opt.zero_grad()`).
            pub fn zero_grad(&self) {
                self.core.zero_grad();
            }

            /// Calls `closure` (which zeroes the gradients, computes the loss and
            /// runs backward) with grad mode on, then steps; returns the loss
            /// (`opt.step(closure)`).
            pub fn step_with<F: FnMut() -> $crate::Tensor>(
                &mut self,
                closure: F,
            ) -> $crate::Tensor {
                let loss = $crate::enable_grad(closure);
                self.step();
                loss
            }

            /// Weight decay (L2 penalty) of the groups that do not set their own
            /// (`weight_decay=`).
            pub fn weight_decay(mut self, weight_decay: f64) -> Self {
                self.rule.weight_decay = weight_decay;
                self
            }

            /// The optimizer with these parameter groups and, for the groups that
            /// do not set one, learning rate `lr` (PyTorch's list of dicts).
            pub fn with_groups(groups: Vec<$crate::optim::ParamGroup>, lr: f64) -> Self {
                let mut opt = Self::new(Vec::new(), lr);
                opt.core = $crate::optim::group::Core::new(groups, lr);
                opt
            }
        }

        impl $crate::optim::Optimizer for $name {
            fn step(&mut self) {
                $name::step(self);
            }

            fn param_groups(&self) -> &[$crate::optim::ParamGroup] {
                &self.core.groups
            }

            fn param_groups_mut(&mut self) -> &mut [$crate::optim::ParamGroup] {
                &mut self.core.groups
            }

            fn add_param_group(&mut self, group: $crate::optim::ParamGroup) {
                self.core.add_group(group);
            }

            fn state_dict(&self) -> $crate::optim::StateDict {
                self.core.state_dict(&self.rule)
            }

            fn load_state_dict(
                &mut self,
                state: &$crate::optim::StateDict,
            ) -> Result<(), $crate::Error> {
                self.core.load_state_dict(&self.rule, state)
            }
        }
    };
}
pub(crate) use element_wise_optimizer;
