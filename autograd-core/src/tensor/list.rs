//! Lists of tensors as arguments: one tensor, a slice or array of tensors or of
//! references, or a `Vec`, so callers never clone a tensor just to build a list.

use super::handle::Tensor;

/// Anything that names an ordered list of tensors: `Tensor`, `[Tensor]`,
/// `[&Tensor]`, `[Tensor; N]`, `[&Tensor; N]`, `Vec<Tensor>`, `Vec<&Tensor>`.
///
/// ```
/// # use autograd_core::*;
/// let x = Tensor::scalar(3.0).requires_grad_(true);
/// let y = x.pow(2.0);
/// assert_eq!(grad(&y, &x, None, false, false).unwrap()[0].item(), 6.0);
/// ```
pub trait Tensors {
    /// The tensors, as handles.
    fn to_tensors(&self) -> Vec<Tensor>;
}

impl Tensors for Tensor {
    fn to_tensors(&self) -> Vec<Tensor> {
        vec![self.clone()]
    }
}

impl Tensors for [Tensor] {
    fn to_tensors(&self) -> Vec<Tensor> {
        self.to_vec()
    }
}

impl Tensors for [&Tensor] {
    fn to_tensors(&self) -> Vec<Tensor> {
        self.iter().map(|t| (*t).clone()).collect()
    }
}

impl<const N: usize> Tensors for [Tensor; N] {
    fn to_tensors(&self) -> Vec<Tensor> {
        self.to_vec()
    }
}

impl<const N: usize> Tensors for [&Tensor; N] {
    fn to_tensors(&self) -> Vec<Tensor> {
        self[..].to_tensors()
    }
}

impl Tensors for Vec<Tensor> {
    fn to_tensors(&self) -> Vec<Tensor> {
        self.clone()
    }
}

impl Tensors for Vec<&Tensor> {
    fn to_tensors(&self) -> Vec<Tensor> {
        self[..].to_tensors()
    }
}
