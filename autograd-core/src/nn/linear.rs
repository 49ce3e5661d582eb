//! `Linear`, `Embedding`, `Flatten`, `Dropout`, `Identity`.

use super::{functional as F, init, Kind, Module, Visit};
use crate::Tensor;

/// `y = x W^T + b` over the last dimension (`nn.Linear`): weight `(out_features,
/// in_features)` and bias `(out_features)`, both `U(-1/sqrt(in), 1/sqrt(in))` as
/// PyTorch initialises them.
#[derive(Clone, Debug)]
pub struct Linear {
    /// `(out_features, in_features)`.
    pub weight: Tensor,
    /// `(out_features)`, absent after [`Linear::no_bias`].
    pub bias: Option<Tensor>,
    training: bool,
}

impl Linear {
    /// A layer from `in_features` to `out_features` with PyTorch's default
    /// initialisation (`nn.Linear(in_features, out_features)`).
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        let (weight, bias) =
            init::layer_parameters(&[out_features, in_features], Some(out_features));
        Linear {
            weight,
            bias,
            training: true,
        }
    }

    /// Removes the bias (`bias=False`).
    pub fn no_bias(mut self) -> Linear {
        self.bias = None;
        self
    }

    /// A layer with the given weight `(out, in)` and bias `(out)`, made leaves
    /// that require grad.
    pub fn from_parameters(weight: Tensor, bias: Option<Tensor>) -> Linear {
        Linear {
            weight: weight.detach().requires_grad_(true),
            bias: bias.map(|b| b.detach().requires_grad_(true)),
            training: true,
        }
    }
}

impl Module for Linear {
    /// # Panics
    /// If the last dimension of `input` is not `in_features`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::linear(input, &self.weight, self.bias.as_ref())
    }
}

impl Visit for Linear {
    fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        super::visit_weight_and_bias(path, &self.weight, self.bias.as_ref(), f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}

/// A lookup table of `num_embeddings` vectors of size `embedding_dim`
/// (`nn.Embedding`), initialised from `N(0, 1)`. Its input holds indices (whole
/// numbers) of any shape; the output appends `embedding_dim`.
#[derive(Clone, Debug)]
pub struct Embedding {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Tensor,
    training: bool,
}

impl Embedding {
    /// `nn.Embedding(num_embeddings, embedding_dim)`.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Embedding {
        Embedding {
            weight: init::normal(&[num_embeddings, embedding_dim], 0.0, 1.0),
            training: true,
        }
    }
}

impl Module for Embedding {
    /// # Panics
    /// If an index is not a whole number in `0..num_embeddings`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::embedding(input, &self.weight)
    }
}

impl Visit for Embedding {
    fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        f(&super::join(path, "weight"), &self.weight, Kind::Parameter);
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}

/// Implements a parameterless layer's [`Visit`] from its `training` field.
macro_rules! stateless_visit {
    ($($ty:ty),*) => {$(
        impl $crate::nn::Visit for $ty {
            fn visit_tensors(
                &self,
                _path: &str,
                _kind: $crate::nn::Kind,
                _f: &mut dyn FnMut(&str, &$crate::Tensor, $crate::nn::Kind),
            ) {
            }
            fn apply_training(&mut self, mode: bool) {
                self.training = mode;
            }
            fn training_flag(&self) -> Option<bool> {
                Some(self.training)
            }
        }
    )*};
}
pub(crate) use stateless_visit;

/// Merges dimensions `start_dim..=end_dim` (`nn.Flatten`, by default `1..=-1`:
/// everything but the batch dimension).
#[derive(Clone, Debug)]
pub struct Flatten {
    start_dim: i64,
    end_dim: i64,
    training: bool,
}

impl Flatten {
    /// `nn.Flatten()`: dimensions `1..=-1`.
    pub fn new() -> Flatten {
        Flatten::dims(1, -1)
    }

    /// `nn.Flatten(start_dim, end_dim)`.
    pub fn dims(start_dim: i64, end_dim: i64) -> Flatten {
        Flatten {
            start_dim,
            end_dim,
            training: true,
        }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    fn forward(&self, input: &Tensor) -> Tensor {
        F::flatten(input, self.start_dim, self.end_dim)
    }
}

/// Zeroes elements with probability `p` in training mode and scales the rest by
/// `1 / (1 - p)`; the identity in evaluation mode (`nn.Dropout`).
#[derive(Clone, Debug)]
pub struct Dropout {
    p: f64,
    training: bool,
}

impl Dropout {
    /// `nn.Dropout(p)`.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64) -> Dropout {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: probability {p} is not in [0, 1]"
        );
        Dropout { p, training: true }
    }
}

impl Module for Dropout {
    fn forward(&self, input: &Tensor) -> Tensor {
        F::dropout(input, self.p, self.training)
    }
}

/// Returns its input (`nn.Identity`).
#[derive(Clone, Debug)]
pub struct Identity {
    training: bool,
}

impl Identity {
    /// `nn.Identity()`.
    pub fn new() -> Identity {
        Identity { training: true }
    }
}

impl Default for Identity {
    fn default() -> Self {
        Identity::new()
    }
}

impl Module for Identity {
    fn forward(&self, input: &Tensor) -> Tensor {
        input.clone()
    }
}

stateless_visit!(Flatten, Dropout, Identity);
