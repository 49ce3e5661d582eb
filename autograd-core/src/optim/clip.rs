//! Gradient clipping, PyTorch's `torch.nn.utils.clip_grad_norm_` and
//! `clip_grad_value_`.

use crate::{no_grad, Tensor};

/// Rescales the gradients of `params` so that their joint 2-norm is at most
/// `max_norm`, and returns the norm they had (`torch.nn.utils.clip_grad_norm_`).
///
/// As in PyTorch, the total norm is the norm of the per-parameter norms, and
/// every gradient is multiplied by `min(1, max_norm / (total_norm + 1e-6))`.
/// Parameters without a gradient are skipped; with none at all the result is 0.
///
/// ```
/// use autograd_core::optim::clip_grad_norm_;
/// use autograd_core::Tensor;
///
/// let w = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).requires_grad_(true);
/// w.set_grad(Some(Tensor::from_vec(vec![3.0f64, 4.0], &[2])));
/// let norm = clip_grad_norm_(&[w.clone()], 1.0);
/// assert_eq!(norm, 5.0);
/// let g = w.grad().unwrap().to_vec::<f64>();
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm_(params: &[Tensor], max_norm: f64) -> f64 {
    clip_grad_norm_with(params, max_norm, 2.0)
}

/// [`clip_grad_norm_`] with the p-norm of type `norm_type` (`f64::INFINITY` for
/// the largest magnitude), PyTorch's `norm_type=` argument.
pub fn clip_grad_norm_with(params: &[Tensor], max_norm: f64, norm_type: f64) -> f64 {
    let grads: Vec<Tensor> = params.iter().filter_map(Tensor::grad).collect();
    if grads.is_empty() {
        return 0.0;
    }
    let norms: Vec<f64> = grads
        .iter()
        .map(|g| vector_norm(&g.to_vec::<f64>(), norm_type))
        .collect();
    let total = vector_norm(&norms, norm_type);
    // torch.clamp(coef, max=1.0): a NaN norm propagates into the gradients, as in
    // PyTorch (f64::min would drop it).
    let coef = max_norm / (total + 1e-6);
    let coef = if coef > 1.0 { 1.0 } else { coef };
    no_grad(|| {
        for g in &grads {
            g.mul_(&Tensor::scalar(coef));
        }
    });
    total
}

/// Clamps every gradient element of `params` to `[-clip_value, clip_value]`
/// (`torch.nn.utils.clip_grad_value_`).
///
/// ```
/// use autograd_core::optim::clip_grad_value_;
/// use autograd_core::Tensor;
///
/// let w = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).requires_grad_(true);
/// w.set_grad(Some(Tensor::from_vec(vec![3.0f64, -0.5], &[2])));
/// clip_grad_value_(&[w.clone()], 1.0);
/// assert_eq!(w.grad().unwrap().to_vec::<f64>(), vec![1.0, -0.5]);
/// ```
pub fn clip_grad_value_(params: &[Tensor], clip_value: f64) {
    no_grad(|| {
        for g in params.iter().filter_map(Tensor::grad) {
            let clamped: Vec<f64> = g
                .to_vec::<f64>()
                .into_iter()
                .map(|v| v.max(-clip_value).min(clip_value))
                .collect();
            g.copy_(&Tensor::from_vec(clamped, g.shape()));
        }
    });
}

/// `torch.linalg.vector_norm(v, ord)`.
fn vector_norm(v: &[f64], ord: f64) -> f64 {
    if ord == f64::INFINITY {
        v.iter().fold(0.0, |m, x| m.max(x.abs()))
    } else if ord == 2.0 {
        v.iter().map(|x| x * x).sum::<f64>().sqrt()
    } else if ord == 1.0 {
        v.iter().map(|x| x.abs()).sum()
    } else {
        v.iter()
            .map(|x| x.abs().powf(ord))
            .sum::<f64>()
            .powf(1.0 / ord)
    }
}
