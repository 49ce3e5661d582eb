//! `Sequential`.

use super::{Kind, Module, Visit};
use crate::Tensor;

/// Modules applied in order, each to the output of the previous (`nn.Sequential`);
/// their tensors are named by position (`0.weight`, `2.bias`, ...).
///
/// ```
/// use autograd_core::nn::{self, Module};
/// let net = nn::Sequential::new()
///     .append(nn::Linear::new(4, 8))
///     .append(nn::ReLU::new())
///     .append(nn::Linear::new(8, 1));
/// assert_eq!(net.forward(&autograd_core::Tensor::ones(&[2, 4])).shape(), &[2, 1]);
/// assert_eq!(net.named_parameters()[2].0, "2.weight");
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module + Send + Sync>>,
}

impl Sequential {
    /// An empty sequence: the identity.
    pub fn new() -> Sequential {
        Sequential { layers: Vec::new() }
    }

    /// Appends a module, builder style (`seq.append(module)`).
    pub fn append(mut self, module: impl Module + Send + Sync + 'static) -> Sequential {
        self.layers.push(Box::new(module));
        self
    }

    /// Appends a module.
    pub fn push(&mut self, module: impl Module + Send + Sync + 'static) {
        self.layers.push(Box::new(module));
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no modules.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The module at `index`, if any.
    pub fn get(&self, index: usize) -> Option<&(dyn Module + Send + Sync)> {
        self.layers.get(index).map(|m| &**m)
    }
}

impl Module for Sequential {
    fn forward(&self, input: &Tensor) -> Tensor {
        self.layers.iter().fold(input.clone(), |x, m| m.forward(&x))
    }
}

impl Visit for Sequential {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        self.layers.visit_tensors(path, kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.layers.apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        self.layers.training_flag()
    }
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sequential({} modules)", self.layers.len())
    }
}
