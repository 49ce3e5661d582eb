//! Losses (PyTorch's `F.*_loss`), each a composition of differentiable ops
//! followed by a [`Reduction`]. The formulas are PyTorch's documented ones; the
//! stable forms are noted where they matter.

use super::functional::{class_indices, softplus};
use crate::Tensor;

/// How a loss reduces its per-element values (PyTorch's `reduction=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// The mean of the elements (`'mean'`, the default).
    #[default]
    Mean,
    /// Their sum (`'sum'`).
    Sum,
    /// No reduction: one value per element (`'none'`).
    None,
}

impl Reduction {
    /// Applies the reduction to per-element losses.
    pub fn apply(self, losses: Tensor) -> Tensor {
        match self {
            Reduction::Mean => losses.mean(),
            Reduction::Sum => losses.sum(),
            Reduction::None => losses,
        }
    }
}

#[track_caller]
fn same_shape(op: &str, input: &Tensor, target: &Tensor) {
    assert!(
        input.shape() == target.shape(),
        "{op}: the input has shape {:?} but the target has shape {:?}; they must match",
        input.shape(),
        target.shape()
    );
}

/// Mean squared error `mean((input - target)^2)` (`F.mse_loss`).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn mse_loss(input: &Tensor, target: &Tensor) -> Tensor {
    mse_loss_with(input, target, Reduction::Mean)
}

/// [`mse_loss`] with a reduction.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn mse_loss_with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    same_shape("mse_loss", input, target);
    reduction.apply((input - target).square())
}

/// Mean absolute error `mean(|input - target|)` (`F.l1_loss`).
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn l1_loss(input: &Tensor, target: &Tensor) -> Tensor {
    l1_loss_with(input, target, Reduction::Mean)
}

/// [`l1_loss`] with a reduction.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn l1_loss_with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    same_shape("l1_loss", input, target);
    reduction.apply((input - target).abs())
}

/// Smooth L1 with `beta = 1` (`F.smooth_l1_loss`): per element, with
/// `d = input - target`, `0.5 d^2 / beta` where `|d| < beta`, else
/// `|d| - 0.5 beta`.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor) -> Tensor {
    smooth_l1_loss_with(input, target, Reduction::Mean, 1.0)
}

/// [`smooth_l1_loss`] with a reduction and `beta` (`beta = 0` is the L1 loss).
///
/// # Panics
/// If the shapes differ or `beta < 0`.
#[track_caller]
pub fn smooth_l1_loss_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    beta: f64,
) -> Tensor {
    same_shape("smooth_l1_loss", input, target);
    assert!(beta >= 0.0, "smooth_l1_loss: beta {beta} must be >= 0");
    let d = input - target;
    if beta == 0.0 {
        return reduction.apply(d.abs());
    }
    let a = d.abs();
    let quad = d.square() * (0.5 / beta);
    let lin = &a - 0.5 * beta;
    reduction.apply(Tensor::where_(&a.lt_scalar(beta), &quad, &lin))
}

/// Huber loss with `delta = 1` (`F.huber_loss`): per element `0.5 d^2` where
/// `|d| <= delta`, else `delta (|d| - 0.5 delta)`.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn huber_loss(input: &Tensor, target: &Tensor) -> Tensor {
    huber_loss_with(input, target, Reduction::Mean, 1.0)
}

/// [`huber_loss`] with a reduction and `delta`.
///
/// # Panics
/// If the shapes differ or `delta <= 0`.
#[track_caller]
pub fn huber_loss_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    delta: f64,
) -> Tensor {
    same_shape("huber_loss", input, target);
    assert!(delta > 0.0, "huber_loss: delta {delta} must be > 0");
    let d = input - target;
    let a = d.abs();
    let quad = d.square() * 0.5;
    let lin = (&a - 0.5 * delta) * delta;
    reduction.apply(Tensor::where_(&a.le_scalar(delta), &quad, &lin))
}

/// Negative log-likelihood of class indices (`F.nll_loss`): `-input[i,
/// target[i]]`, for log-probabilities `input` of shape `(n, c)`, `(c)` or
/// `(n, c, d1, ..)` and targets of shape `(n)`, `()` or `(n, d1, ..)` holding
/// whole numbers in `0..c`.
///
/// # Panics
/// If the shapes do not fit or a target is not a class index.
#[track_caller]
pub fn nll_loss(input: &Tensor, target: &Tensor) -> Tensor {
    nll_loss_with(input, target, Reduction::Mean)
}

/// [`nll_loss`] with a reduction.
///
/// # Panics
/// If the shapes do not fit or a target is not a class index.
#[track_caller]
pub fn nll_loss_with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    reduction.apply(-pick(input, target, "nll_loss"))
}

/// `input[i, target[i], ..]`, the input made at least `(1, c)`.
#[track_caller]
fn pick(input: &Tensor, target: &Tensor, op: &str) -> Tensor {
    let (input, target) = batched(input, target, op);
    let c = input.shape()[1];
    let idx = class_indices(op, &target);
    if let Some(bad) = idx.iter().find(|&&i| i >= c) {
        panic!("{op}: target {bad} is out of range for {c} classes");
    }
    input.gather(1, &target.unsqueeze(1)).squeeze(1)
}

/// The input as `(n, c, ..)` and the target as `(n, ..)`.
#[track_caller]
fn batched(input: &Tensor, target: &Tensor, op: &str) -> (Tensor, Tensor) {
    let (input, target) = if input.ndim() == 1 {
        (input.unsqueeze(0), target.reshape(&[1]))
    } else {
        (input.clone(), target.clone())
    };
    let fits = input.ndim() >= 2
        && target.ndim() == input.ndim() - 1
        && target.shape()[0] == input.shape()[0]
        && target.shape()[1..] == input.shape()[2..];
    assert!(
        fits,
        "{op}: expected an input (n, c, ..) and class indices (n, ..), got {:?} and {:?}",
        input.shape(),
        target.shape()
    );
    (input, target)
}

/// Cross entropy of unnormalised scores and class indices (`F.cross_entropy`):
/// `-log_softmax(input, 1)[i, target[i]]`, averaged. Shapes as in [`nll_loss`].
/// The log-softmax subtracts the maximum first, so large logits are safe.
///
/// # Panics
/// If the shapes do not fit or a target is not a class index.
#[track_caller]
pub fn cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    cross_entropy_with(input, target, Reduction::Mean, 0.0)
}

/// [`cross_entropy`] with a reduction and label smoothing `eps` in `[0, 1]`:
/// per sample `(1 - eps) * nll + eps * mean_c(-log_softmax(input)_c)`, PyTorch's
/// `label_smoothing=eps`.
///
/// # Panics
/// If the shapes do not fit, a target is not a class index or `eps` is not in
/// `[0, 1]`.
#[track_caller]
pub fn cross_entropy_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    label_smoothing: f64,
) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&label_smoothing),
        "cross_entropy: label_smoothing {label_smoothing} is not in [0, 1]"
    );
    let (input, target) = batched(input, target, "cross_entropy");
    let logp = input.log_softmax(1);
    let nll = -pick(&logp, &target, "cross_entropy");
    let per = if label_smoothing > 0.0 {
        let smooth = -logp.mean_dim(1, false);
        nll * (1.0 - label_smoothing) + smooth * label_smoothing
    } else {
        nll
    };
    reduction.apply(per)
}

/// Binary cross entropy of probabilities (`F.binary_cross_entropy`):
/// `-(y ln p + (1 - y) ln(1 - p))`, each logarithm clamped to `>= -100` as
/// PyTorch does, so `p` of exactly 0 or 1 gives a finite loss. Prefer
/// [`binary_cross_entropy_with_logits`] on scores: it is stable.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    binary_cross_entropy_with(input, target, Reduction::Mean)
}

/// [`binary_cross_entropy`] with a reduction.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn binary_cross_entropy_with(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    same_shape("binary_cross_entropy", input, target);
    let lp = input.ln().clamp(-100.0, f64::INFINITY);
    let lq = (1.0 - input).ln().clamp(-100.0, f64::INFINITY);
    reduction.apply(-(target * lp + (1.0 - target) * lq))
}

/// Binary cross entropy of scores `x` (`F.binary_cross_entropy_with_logits`):
/// `softplus(x) - y x`, which equals `-(y ln sigmoid(x) + (1 - y) ln(1 -
/// sigmoid(x)))` without overflow for any `x`; the gradient is exactly
/// `sigmoid(x) - y`.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Tensor {
    binary_cross_entropy_with_logits_with(input, target, Reduction::Mean)
}

/// [`binary_cross_entropy_with_logits`] with a reduction.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn binary_cross_entropy_with_logits_with(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
) -> Tensor {
    same_shape("binary_cross_entropy_with_logits", input, target);
    reduction.apply(softplus(input) - target * input)
}

/// Defines a loss module: a struct holding the options, `new()` with PyTorch's
/// defaults, `reduction(..)`, and `forward(&input, &target)`.
macro_rules! loss_module {
    (
        $(#[$doc:meta])* $name:ident, $torch:literal,
        { $($field:ident: $fty:ty = $default:expr, $fdoc:literal;)* },
        |$s:ident, $i:ident, $t:ident| $body:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name {
            reduction: Reduction,
            $($field: $fty,)*
        }

        impl $name {
            #[doc = concat!("`nn.", $torch, "()` with PyTorch's defaults: mean reduction.")]
            pub fn new() -> $name {
                $name {
                    reduction: Reduction::Mean,
                    $($field: $default,)*
                }
            }

            /// `reduction=`.
            pub fn reduction(mut self, reduction: Reduction) -> $name {
                self.reduction = reduction;
                self
            }

            $(
                #[doc = $fdoc]
                pub fn $field(mut self, $field: $fty) -> $name {
                    self.$field = $field;
                    self
                }
            )*

            /// The loss of `input` against `target`.
            ///
            /// # Panics
            /// If the shapes do not fit, as the function form does.
            #[track_caller]
            pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
                let ($s, $i, $t) = (self, input, target);
                $body
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::new()
            }
        }
    };
}

loss_module!(
    /// [`mse_loss`] as a module (`nn.MSELoss`).
    MSELoss, "MSELoss", {},
    |s, i, t| mse_loss_with(i, t, s.reduction)
);
loss_module!(
    /// [`l1_loss`] as a module (`nn.L1Loss`).
    L1Loss, "L1Loss", {},
    |s, i, t| l1_loss_with(i, t, s.reduction)
);
loss_module!(
    /// [`smooth_l1_loss`] as a module (`nn.SmoothL1Loss`).
    SmoothL1Loss, "SmoothL1Loss",
    { beta: f64 = 1.0, "`beta=`: where the loss turns from quadratic to linear."; },
    |s, i, t| smooth_l1_loss_with(i, t, s.reduction, s.beta)
);
loss_module!(
    /// [`huber_loss`] as a module (`nn.HuberLoss`).
    HuberLoss, "HuberLoss",
    { delta: f64 = 1.0, "`delta=`: where the loss turns from quadratic to linear."; },
    |s, i, t| huber_loss_with(i, t, s.reduction, s.delta)
);
loss_module!(
    /// [`cross_entropy`] as a module (`nn.CrossEntropyLoss`).
    CrossEntropyLoss, "CrossEntropyLoss",
    { label_smoothing: f64 = 0.0, "`label_smoothing=`, in `[0, 1]`."; },
    |s, i, t| cross_entropy_with(i, t, s.reduction, s.label_smoothing)
);
loss_module!(
    /// [`nll_loss`] as a module (`nn.NLLLoss`).
    NLLLoss, "NLLLoss", {},
    |s, i, t| nll_loss_with(i, t, s.reduction)
);
loss_module!(
    /// [`binary_cross_entropy`] as a module (`nn.BCELoss`).
    BCELoss, "BCELoss", {},
    |s, i, t| binary_cross_entropy_with(i, t, s.reduction)
);
loss_module!(
    /// [`binary_cross_entropy_with_logits`] as a module (`nn.BCEWithLogitsLoss`).
    BCEWithLogitsLoss, "BCEWithLogitsLoss", {},
    |s, i, t| binary_cross_entropy_with_logits_with(i, t, s.reduction)
);
