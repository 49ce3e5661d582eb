//! Learning-rate schedulers, PyTorch's `torch.optim.lr_scheduler`.
//!
//! A scheduler does not hold the optimizer (the training loop needs it mutably
//! between epochs): it is given the optimizer at construction, which records the
//! groups' learning rates as base rates (PyTorch's `initial_lr`), and at every
//! `step`. Like PyTorch's, the schedulers update the learning rate from its
//! current value (the "chainable" form), so they compose with other code that
//! changes it; their values agree with the closed forms in their documentation.
//!
//! ```
//! use autograd_core::optim::{LrScheduler, Optimizer, Sgd, StepLR};
//! use autograd_core::Tensor;
//!
//! let w = Tensor::zeros(&[2]).requires_grad_(true);
//! let mut opt = Sgd::new(vec![w], 0.1);
//! let mut sched = StepLR::new(&mut opt, 2, 0.5);
//! let mut lrs = Vec::new();
//! for _epoch in 0..5 {
//!     lrs.push(opt.lr());
//!     // ... train one epoch: opt.step() ...
//!     sched.step(&mut opt);
//! }
//! assert_eq!(lrs, vec![0.1, 0.1, 0.05, 0.05, 0.025]);
//! ```

use super::Optimizer;
use std::f64::consts::PI;

/// What the epoch-driven schedulers share (PyTorch's `LRScheduler`).
pub trait LrScheduler {
    /// Advances one epoch and sets the optimizer's learning rates
    /// (`scheduler.step()`, called after the epoch's `optimizer.step()`).
    fn step(&mut self, opt: &mut dyn Optimizer);

    /// The learning rates the last `step` (or the constructor) set, one per group
    /// (`scheduler.get_last_lr()`).
    fn get_last_lr(&self) -> &[f64];

    /// The number of `step` calls so far (`scheduler.last_epoch`).
    fn last_epoch(&self) -> usize;
}

/// Epoch counter, base rates and last rates, and the loop every scheduler runs.
#[derive(Clone, Debug)]
struct Schedule {
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
    last_epoch: usize,
}

impl Schedule {
    fn new(opt: &dyn Optimizer) -> Schedule {
        let base_lrs: Vec<f64> = (0..opt.param_groups().len())
            .map(|i| opt.group_lr(i))
            .collect();
        Schedule {
            last_lr: base_lrs.clone(),
            base_lrs,
            last_epoch: 0,
        }
    }

    /// Sets group i's rate to `f(i, base_lr, current_lr)`.
    fn apply(&mut self, opt: &mut dyn Optimizer, f: impl Fn(usize, f64, f64) -> f64) {
        for i in 0..self.base_lrs.len() {
            let lr = f(i, self.base_lrs[i], opt.group_lr(i));
            opt.set_group_lr(i, lr);
        }
        self.last_lr = (0..self.base_lrs.len()).map(|i| opt.group_lr(i)).collect();
    }
}

macro_rules! scheduler_accessors {
    () => {
        fn get_last_lr(&self) -> &[f64] {
            &self.schedule.last_lr
        }

        fn last_epoch(&self) -> usize {
            self.schedule.last_epoch
        }
    };
}

/// Multiplies the learning rate by `gamma` every `step_size` epochs
/// (`torch.optim.lr_scheduler.StepLR`): `lr = base_lr · gamma^⌊epoch / step_size⌋`.
#[derive(Clone, Debug)]
pub struct StepLR {
    schedule: Schedule,
    step_size: usize,
    gamma: f64,
}

impl StepLR {
    /// The schedule for `opt`, whose current rates are the base rates.
    ///
    /// # Panics
    /// If `step_size` is 0.
    pub fn new(opt: &mut dyn Optimizer, step_size: usize, gamma: f64) -> StepLR {
        assert!(step_size > 0, "StepLR: step_size must be at least 1");
        StepLR {
            schedule: Schedule::new(opt),
            step_size,
            gamma,
        }
    }
}

impl LrScheduler for StepLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.schedule.last_epoch += 1;
        let decay = self.schedule.last_epoch.is_multiple_of(self.step_size);
        let gamma = self.gamma;
        self.schedule
            .apply(opt, |_, _, lr| if decay { lr * gamma } else { lr });
    }

    scheduler_accessors!();
}

/// Multiplies the learning rate by `gamma` at each milestone epoch
/// (`torch.optim.lr_scheduler.MultiStepLR`):
/// `lr = base_lr · gamma^(number of milestones ≤ epoch)`.
#[derive(Clone, Debug)]
pub struct MultiStepLR {
    schedule: Schedule,
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStepLR {
    /// The schedule for `opt` with these milestones (in any order; a milestone
    /// given twice decays twice, as in PyTorch).
    pub fn new(opt: &mut dyn Optimizer, milestones: &[usize], gamma: f64) -> MultiStepLR {
        MultiStepLR {
            schedule: Schedule::new(opt),
            milestones: milestones.to_vec(),
            gamma,
        }
    }
}

impl LrScheduler for MultiStepLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.schedule.last_epoch += 1;
        let epoch = self.schedule.last_epoch;
        let hits = self.milestones.iter().filter(|&&m| m == epoch).count();
        let factor = self.gamma.powi(hits as i32);
        self.schedule
            .apply(opt, |_, _, lr| if hits > 0 { lr * factor } else { lr });
    }

    scheduler_accessors!();
}

/// Multiplies the learning rate by `gamma` every epoch
/// (`torch.optim.lr_scheduler.ExponentialLR`): `lr = base_lr · gamma^epoch`.
#[derive(Clone, Debug)]
pub struct ExponentialLR {
    schedule: Schedule,
    gamma: f64,
}

impl ExponentialLR {
    /// The schedule for `opt`.
    pub fn new(opt: &mut dyn Optimizer, gamma: f64) -> ExponentialLR {
        ExponentialLR {
            schedule: Schedule::new(opt),
            gamma,
        }
    }
}

impl LrScheduler for ExponentialLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.schedule.last_epoch += 1;
        let gamma = self.gamma;
        self.schedule.apply(opt, |_, _, lr| lr * gamma);
    }

    scheduler_accessors!();
}

/// Cosine annealing (`torch.optim.lr_scheduler.CosineAnnealingLR`; Loshchilov
/// and Hutter, 2016, without restarts):
/// `lr = η_min + (base_lr − η_min) (1 + cos(π · epoch / T_max)) / 2`, which past
/// `T_max` climbs back up as in PyTorch.
#[derive(Clone, Debug)]
pub struct CosineAnnealingLR {
    schedule: Schedule,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLR {
    /// The schedule for `opt`, reaching `eta_min` after `t_max` epochs.
    ///
    /// # Panics
    /// If `t_max` is 0.
    pub fn new(opt: &mut dyn Optimizer, t_max: usize, eta_min: f64) -> CosineAnnealingLR {
        assert!(t_max > 0, "CosineAnnealingLR: t_max must be at least 1");
        CosineAnnealingLR {
            schedule: Schedule::new(opt),
            t_max,
            eta_min,
        }
    }
}

impl LrScheduler for CosineAnnealingLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.schedule.last_epoch += 1;
        let epoch = self.schedule.last_epoch as f64;
        let (t_max, eta_min) = (self.t_max as f64, self.eta_min);
        // PyTorch's recursive form, with its special case at the restart points
        // where the ratio below would divide by zero.
        let restart = (self.schedule.last_epoch as i64 - 1 - self.t_max as i64)
            .rem_euclid(2 * self.t_max as i64)
            == 0;
        self.schedule.apply(opt, |_, base, lr| {
            if restart {
                lr + (base - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
            } else {
                (1.0 + (PI * epoch / t_max).cos()) / (1.0 + (PI * (epoch - 1.0) / t_max).cos())
                    * (lr - eta_min)
                    + eta_min
            }
        });
    }

    scheduler_accessors!();
}

/// The learning rate as `base_lr · f(epoch)` for a user function
/// (`torch.optim.lr_scheduler.LambdaLR`). The constructor already sets
/// `base_lr · f(0)`, as PyTorch's does.
pub struct LambdaLR {
    schedule: Schedule,
    f: Box<dyn Fn(usize) -> f64>,
}

impl LambdaLR {
    /// The schedule for `opt` with factor `f(epoch)` for every group.
    pub fn new(opt: &mut dyn Optimizer, f: impl Fn(usize) -> f64 + 'static) -> LambdaLR {
        let mut sched = LambdaLR {
            schedule: Schedule::new(opt),
            f: Box::new(f),
        };
        let factor = (sched.f)(0);
        sched.schedule.apply(opt, |_, base, _| base * factor);
        sched
    }
}

impl LrScheduler for LambdaLR {
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.schedule.last_epoch += 1;
        let factor = (self.f)(self.schedule.last_epoch);
        self.schedule.apply(opt, |_, base, _| base * factor);
    }

    scheduler_accessors!();
}

/// Whether a smaller or a larger metric is better, for [`ReduceLROnPlateau`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    /// A smaller metric is better (a loss): PyTorch's `mode="min"`.
    Min,
    /// A larger metric is better (an accuracy): `mode="max"`.
    Max,
}

/// How [`ReduceLROnPlateau`] measures a significant improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Better by a factor `1 ± threshold` of the best value (`"rel"`).
    Rel,
    /// Better by `threshold` (`"abs"`).
    Abs,
}

/// Divides the learning rate when a metric has stopped improving
/// (`torch.optim.lr_scheduler.ReduceLROnPlateau`): after more than `patience`
/// epochs without a significant improvement, `lr ← max(lr · factor, min_lr)`
/// (a change smaller than `eps` is skipped), then `cooldown` epochs of rest.
///
/// Defaults (PyTorch's): mode min, factor 0.1, patience 10, threshold 1e-4,
/// threshold mode rel, cooldown 0, min_lr 0, eps 1e-8.
///
/// ```
/// use autograd_core::optim::{Optimizer, ReduceLROnPlateau, Sgd};
/// use autograd_core::Tensor;
///
/// let mut opt = Sgd::new(vec![Tensor::zeros(&[1])], 1.0);
/// let mut sched = ReduceLROnPlateau::new(&mut opt).patience(2);
/// for loss in [5.0, 4.0, 4.0, 4.0, 4.0] {
///     sched.step(loss, &mut opt);
/// }
/// assert!((opt.lr() - 0.1).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateau {
    mode: PlateauMode,
    factor: f64,
    patience: usize,
    threshold: f64,
    threshold_mode: ThresholdMode,
    cooldown: usize,
    min_lrs: Vec<f64>,
    eps: f64,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: usize,
    last_lr: Vec<f64>,
}

impl ReduceLROnPlateau {
    /// The scheduler for `opt` with PyTorch's defaults.
    pub fn new(opt: &mut dyn Optimizer) -> ReduceLROnPlateau {
        let n = opt.param_groups().len();
        ReduceLROnPlateau {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lrs: vec![0.0; n],
            eps: 1e-8,
            best: f64::INFINITY,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: (0..n).map(|i| opt.group_lr(i)).collect(),
        }
    }

    /// Whether the metric is minimised or maximised (`mode=`, default min).
    pub fn mode(mut self, mode: PlateauMode) -> ReduceLROnPlateau {
        self.mode = mode;
        self.best = match mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        self
    }

    /// Factor of each reduction (`factor=`, default 0.1).
    ///
    /// # Panics
    /// If `factor` is not below 1, as PyTorch raises.
    pub fn factor(mut self, factor: f64) -> ReduceLROnPlateau {
        assert!(factor < 1.0, "ReduceLROnPlateau: factor should be < 1.0");
        self.factor = factor;
        self
    }

    /// Epochs without improvement tolerated before a reduction (`patience=`,
    /// default 10).
    pub fn patience(mut self, patience: usize) -> ReduceLROnPlateau {
        self.patience = patience;
        self
    }

    /// What counts as an improvement (`threshold=`, default 1e-4).
    pub fn threshold(mut self, threshold: f64) -> ReduceLROnPlateau {
        self.threshold = threshold;
        self
    }

    /// Relative or absolute threshold (`threshold_mode=`, default rel).
    pub fn threshold_mode(mut self, mode: ThresholdMode) -> ReduceLROnPlateau {
        self.threshold_mode = mode;
        self
    }

    /// Epochs to wait after a reduction before counting again (`cooldown=`,
    /// default 0).
    pub fn cooldown(mut self, cooldown: usize) -> ReduceLROnPlateau {
        self.cooldown = cooldown;
        self
    }

    /// Lower bound of every group's learning rate (`min_lr=`, default 0).
    pub fn min_lr(mut self, min_lr: f64) -> ReduceLROnPlateau {
        self.min_lrs.iter_mut().for_each(|m| *m = min_lr);
        self
    }

    /// Smallest change of the learning rate applied (`eps=`, default 1e-8).
    pub fn eps(mut self, eps: f64) -> ReduceLROnPlateau {
        self.eps = eps;
        self
    }

    /// Records the epoch's `metric` and reduces the learning rates when it has
    /// not improved for more than `patience` epochs (`scheduler.step(metric)`).
    pub fn step(&mut self, metric: f64, opt: &mut dyn Optimizer) {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            for i in 0..opt.param_groups().len() {
                let old = opt.group_lr(i);
                let min_lr = self.min_lrs.get(i).copied().unwrap_or(0.0);
                let new = (old * self.factor).max(min_lr);
                if old - new > self.eps {
                    opt.set_group_lr(i, new);
                }
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = (0..opt.param_groups().len())
            .map(|i| opt.group_lr(i))
            .collect();
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.threshold);
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }

    /// The learning rates after the last `step`, one per group.
    pub fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// The best metric seen so far.
    pub fn best(&self) -> f64 {
        self.best
    }

    /// The number of `step` calls so far.
    pub fn last_epoch(&self) -> usize {
        self.last_epoch
    }
}
