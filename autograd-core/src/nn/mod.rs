//! Neural-network modules, layers and losses (PyTorch's `torch.nn`).
//!
//! - [`Module`]: `forward` plus everything derived from a module's tensors
//!   (`parameters`, `named_parameters`, `state_dict`, `train`/`eval`, ...).
//! - [`Visit`]: how a module exposes its tensors and sub-modules; written by
//!   `#[derive(Module)]` (in the `autograd` crate), by hand for the built-in layers.
//! - Layers: [`Linear`], [`Conv1d`], [`Conv2d`], [`ConvTranspose2d`], [`MaxPool2d`],
//!   [`AdaptiveAvgPool2d`], [`AvgPool2d`], [`Flatten`],
//!   [`Dropout`], [`BatchNorm1d`], [`BatchNorm2d`], [`LayerNorm`], [`GroupNorm`], [`Embedding`],
//!   [`MultiheadAttention`], [`TransformerEncoderLayer`],
//!   [`Sequential`], the recurrent [`RNN`], [`LSTM`] and [`GRU`], and the activations [`ReLU`], [`LeakyReLU`], [`Tanh`],
//!   [`Sigmoid`], [`GELU`], [`Softmax`], each with PyTorch's default
//!   initialisation ([`init`]).
//! - [`functional`]: the same as functions, and the losses; the losses also as
//!   modules with their options as builders ([`CrossEntropyLoss`], [`MSELoss`], ...).
//! - Checkpoints: [`save`] and [`load`] write and read a [`StateDict`] as
//!   safetensors, the format other frameworks read.
//!
//! ```
//! use autograd_core::nn::{self, Module};
//! use autograd_core::Tensor;
//!
//! autograd_core::manual_seed(0);
//! let fc = nn::Linear::new(3, 2);
//! let y = fc.forward(&Tensor::ones(&[4, 3]));
//! assert_eq!(y.shape(), &[4, 2]);
//! let names: Vec<String> = fc.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["weight", "bias"]);
//! ```

mod activation;
mod attention;
mod checkpoint;
mod container;
mod conv;
pub mod functional;
pub mod init;
mod linear;
mod loss;
mod norm;
mod recurrent;
mod transformer;

pub use activation::{LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, GELU};
pub use attention::{AttnMask, MultiheadAttention};
pub use checkpoint::{load, save};
pub use container::Sequential;
pub use conv::{AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d};
pub use linear::{Dropout, Embedding, Flatten, Identity, Linear};
pub use loss::{
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, Reduction,
    SmoothL1Loss,
};
pub use norm::{BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm};
pub use recurrent::{GRU, LSTM, RNN};
pub use transformer::{Activation, TransformerEncoderLayer};

use crate::error::Result;
use crate::{no_grad, Error, Tensor};
use std::collections::BTreeMap;

/// What a tensor registered in a module is: a trained parameter (PyTorch's
/// `nn.Parameter`) or a buffer saved with the module but not trained
/// (`register_buffer`, e.g. batch norm's running statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Returned by [`Module::parameters`], updated by optimizers.
    Parameter,
    /// Saved in the state dict, never returned by [`Module::parameters`].
    Buffer,
}

/// A module's parameters, buffers and training flags, by their dotted paths.
///
/// `#[derive(Module)]` writes this trait for a struct: a `Tensor` field is a
/// parameter (a buffer with `#[module(buffer)]`; make a parameter a leaf that
/// requires grad, e.g. from [`init`], as `nn.Parameter` does), any other field
/// is a sub-module whose names are prefixed by the field's (`conv1.weight`);
/// `Option`, `Vec`,
/// arrays and `Box` of either are followed, `Vec` and array elements named by
/// their index (`layers.0.weight`, as `nn.ModuleList` does). Fields marked
/// `#[module(skip)]`, and fields of primitive types (`usize`, `f64`, `bool`,
/// `String`, ...), are left out.
///
/// Users call the methods of [`Module`] instead of these.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a `Tensor` nor a module",
    label = "this field holds no tensor `#[derive(Module)]` can register",
    note = "mark a field that holds no parameters `#[module(skip)]`, or derive `Module` for its type"
)]
pub trait Visit {
    /// Calls `f(path, tensor, kind)` for every tensor, `path` being the dotted name
    /// of the tensor in the module that started the walk. `kind` is what a bare
    /// tensor at this place is (modules ignore it and use their own).
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind));

    /// Sets the training flag of this module and every sub-module.
    fn apply_training(&mut self, mode: bool);

    /// The training flag, when this value (or one of its sub-modules) has one.
    fn training_flag(&self) -> Option<bool>;
}

/// Joins a module path and a field name with a dot (`join("conv1", "weight")` is
/// `"conv1.weight"`; an empty path gives the name alone).
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Visits a layer's `weight` and, if it has one, `bias` parameter.
pub(crate) fn visit_weight_and_bias(
    path: &str,
    weight: &Tensor,
    bias: Option<&Tensor>,
    f: &mut dyn FnMut(&str, &Tensor, Kind),
) {
    f(&join(path, "weight"), weight, Kind::Parameter);
    if let Some(b) = bias {
        f(&join(path, "bias"), b, Kind::Parameter);
    }
}

impl Visit for Tensor {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        f(path, self, kind);
    }
    fn apply_training(&mut self, _mode: bool) {}
    fn training_flag(&self) -> Option<bool> {
        None
    }
}

impl<T: Visit> Visit for Option<T> {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        if let Some(v) = self {
            v.visit_tensors(path, kind, f);
        }
    }
    fn apply_training(&mut self, mode: bool) {
        if let Some(v) = self {
            v.apply_training(mode);
        }
    }
    fn training_flag(&self) -> Option<bool> {
        self.as_ref().and_then(Visit::training_flag)
    }
}

impl<T: Visit> Visit for [T] {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        for (i, v) in self.iter().enumerate() {
            v.visit_tensors(&join(path, &i.to_string()), kind, f);
        }
    }
    fn apply_training(&mut self, mode: bool) {
        self.iter_mut().for_each(|v| v.apply_training(mode));
    }
    fn training_flag(&self) -> Option<bool> {
        self.iter().find_map(Visit::training_flag)
    }
}

impl<T: Visit> Visit for Vec<T> {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        self.as_slice().visit_tensors(path, kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.as_mut_slice().apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        self.as_slice().training_flag()
    }
}

impl<T: Visit, const N: usize> Visit for [T; N] {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        self.as_slice().visit_tensors(path, kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.as_mut_slice().apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        self.as_slice().training_flag()
    }
}

impl<T: Visit + ?Sized> Visit for Box<T> {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        (**self).visit_tensors(path, kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        (**self).apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        (**self).training_flag()
    }
}

/// Tensors by dotted name, as [`Module::state_dict`] returns them (PyTorch's
/// `OrderedDict`; sorted by name here, as safetensors stores them).
pub type StateDict = BTreeMap<String, Tensor>;

/// A neural-network module (PyTorch's `nn.Module`): a function of one tensor
/// whose parameters and sub-modules are known by name.
///
/// Implement `forward`; the rest comes from [`Visit`], which
/// `#[derive(Module)]` writes:
///
/// ```ignore
/// use autograd::prelude::*;
///
/// #[derive(Module)]
/// struct Mlp {
///     fc1: nn::Linear,
///     fc2: nn::Linear,
/// }
///
/// impl Module for Mlp {
///     fn forward(&self, x: &Tensor) -> Tensor {
///         self.fc2.forward(&self.fc1.forward(x).relu())
///     }
/// }
/// // mlp.named_parameters(): fc1.weight, fc1.bias, fc2.weight, fc2.bias
/// ```
pub trait Module: Visit {
    /// Applies the module to `input` (`module(input)` in PyTorch).
    fn forward(&self, input: &Tensor) -> Tensor;

    /// Every parameter, in registration order, each once even when shared
    /// (`module.parameters()`): what an optimizer is given.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Every parameter with its dotted path (`module.named_parameters()`), e.g.
    /// `conv1.weight`; a parameter shared by two places is listed at the first.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        named(self, Some(Kind::Parameter))
    }

    /// Every buffer with its dotted path (`module.named_buffers()`).
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        named(self, Some(Kind::Buffer))
    }

    /// Number of scalar parameters (`sum(p.numel() for p in m.parameters())`).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Puts the module and its sub-modules in training mode (`module.train()`):
    /// dropout drops, batch norm uses and updates batch statistics.
    fn train(&mut self) {
        self.apply_training(true);
    }

    /// Puts the module and its sub-modules in evaluation mode (`module.eval()`).
    fn eval(&mut self) {
        self.apply_training(false);
    }

    /// Sets training mode on or off (`module.train(mode)`).
    fn set_training(&mut self, mode: bool) {
        self.apply_training(mode);
    }

    /// Whether the module is in training mode (`module.training`): the flag of
    /// its first sub-module that has one; `true` for a module without any.
    fn is_training(&self) -> bool {
        self.training_flag().unwrap_or(true)
    }

    /// Clears the gradient of every parameter (`module.zero_grad()`, which sets
    /// them to `None` as PyTorch does by default).
    fn zero_grad(&self) {
        self.parameters().iter().for_each(Tensor::zero_grad);
    }

    /// Parameters and buffers by dotted name, detached: handles that share the
    /// module's data (`module.state_dict()`).
    fn state_dict(&self) -> StateDict {
        named(self, None)
            .into_iter()
            .map(|(n, t)| (n, t.detach()))
            .collect()
    }

    /// Copies every tensor of `state` into the module (`load_state_dict(state,
    /// strict=True)`). Names and shapes are all checked before anything is
    /// copied, so on error the module is unchanged; values are converted to each
    /// tensor's dtype.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the tensors missing from `state` or
    /// unknown to the module; [`Error::ShapeMismatch`] naming a tensor whose
    /// shape differs.
    fn load_state_dict(&self, state: &StateDict) -> Result<()> {
        let own = named(self, None);
        check_state(&own, state)?;
        no_grad(|| {
            for (name, t) in &own {
                t.try_copy_(&state[name])?;
            }
            Ok(())
        })
    }

    /// Saves [`Module::state_dict`] as a safetensors file (see [`save`]).
    ///
    /// # Errors
    /// When the file cannot be written.
    fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        save(&self.state_dict(), path)
    }

    /// Loads a safetensors file into the module, all or nothing (see [`load`]
    /// and [`Module::load_state_dict`]).
    ///
    /// # Errors
    /// When the file cannot be read or parsed, or its names or shapes differ
    /// from the module's.
    fn load(&self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        self.load_state_dict(&load(path)?)
    }
}

impl<M: Module + ?Sized> Module for Box<M> {
    fn forward(&self, input: &Tensor) -> Tensor {
        (**self).forward(input)
    }
}

/// The tensors of `m` of kind `kind` (all when `None`), first occurrence only.
fn named<M: Visit + ?Sized>(m: &M, kind: Option<Kind>) -> Vec<(String, Tensor)> {
    let mut out: Vec<(String, Tensor)> = Vec::new();
    m.visit_tensors("", Kind::Parameter, &mut |path, t, k| {
        if kind.is_none_or(|want| want == k) && !out.iter().any(|(_, s)| s.same(t)) {
            out.push((path.to_string(), t.clone()));
        }
    });
    out
}

/// Checks that `state` has exactly the names of `own`, with the same shapes.
fn check_state(own: &[(String, Tensor)], state: &StateDict) -> Result<()> {
    let missing: Vec<&str> = own
        .iter()
        .filter(|(n, _)| !state.contains_key(n))
        .map(|(n, _)| n.as_str())
        .collect();
    let unexpected: Vec<&str> = state
        .keys()
        .filter(|k| !own.iter().any(|(n, _)| n == *k))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() || !unexpected.is_empty() {
        let list = |v: &[&str]| {
            v.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut reason = String::from("the state dict does not match the module:");
        if !missing.is_empty() {
            reason += &format!(" missing {}", list(&missing));
        }
        if !unexpected.is_empty() {
            if !missing.is_empty() {
                reason += ";";
            }
            reason += &format!(" unexpected {}", list(&unexpected));
        }
        return Err(Error::InvalidArgument {
            op: "load_state_dict",
            shape: vec![],
            reason,
        });
    }
    for (name, t) in own {
        let s = &state[name];
        if s.shape() != t.shape() {
            return Err(Error::ShapeMismatch {
                op: "load_state_dict",
                lhs: t.shape().to_vec(),
                rhs: s.shape().to_vec(),
                reason: format!(
                    "tensor `{name}` has shape {:?} in the module but {:?} in the state dict",
                    t.shape(),
                    s.shape()
                ),
            });
        }
    }
    Ok(())
}
