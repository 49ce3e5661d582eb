//! Gradient checking against central finite differences in `f64` (PyTorch's
//! `torch.autograd.gradcheck` / `gradgradcheck`).

use super::dtype::DType;
use super::engine::grad;
use super::grad_mode::{enable_grad, no_grad};
use super::handle::Tensor;
use super::list::Tensors;
use crate::error::Result;
use crate::Error;

/// Tolerances of [`gradcheck_with`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Checks the gradients backward computes for `f` at `inputs` against central
/// differences, every input converted to `f64`.
///
/// # Errors
/// [`Error::GradcheckMismatch`] at the first Jacobian entry out of tolerance, or
/// the error backward itself returned.
pub fn gradcheck<I: Tensors + ?Sized>(f: impl Fn(&[Tensor]) -> Tensor, inputs: &I) -> Result<()> {
    gradcheck_with(f, inputs, GradcheckOptions::default())
}

/// [`gradcheck`] with explicit tolerances.
pub fn gradcheck_with<I: Tensors + ?Sized>(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &I,
    opts: GradcheckOptions,
) -> Result<()> {
    let xs: Vec<Tensor> = inputs
        .to_tensors()
        .iter()
        .map(|x| {
            x.detach()
                .to_dtype(DType::F64)
                .deep_clone()
                .requires_grad_(true)
        })
        .collect();
    let y = enable_grad(|| f(&xs));
    let m = y.numel();
    for (i, x) in xs.iter().enumerate() {
        let analytical = analytical_columns(&y, &xs, i)?;
        let base = x.to_vec::<f64>();
        for k in 0..base.len() {
            let numerical = central_difference(&f, &xs, i, &base, k, opts.eps);
            for (j, &n) in numerical.iter().enumerate().take(m) {
                let a = analytical[j * base.len() + k];
                if (a - n).abs() > opts.atol + opts.rtol * n.abs() {
                    return Err(Error::GradcheckMismatch {
                        input: i,
                        output: j,
                        element: k,
                        analytical: a,
                        numerical: n,
                    });
                }
            }
        }
    }
    Ok(())
}

/// The Jacobian block `dy / dxs[i]`, row-major `(y.numel(), xs[i].numel())`.
fn analytical_columns(y: &Tensor, xs: &[Tensor], i: usize) -> Result<Vec<f64>> {
    let n = xs[i].numel();
    let mut out = Vec::with_capacity(y.numel() * n);
    for j in 0..y.numel() {
        if !y.requires_grad() {
            out.extend(std::iter::repeat_n(0.0, n));
            continue;
        }
        let mut e = vec![0.0; y.numel()];
        e[j] = 1.0;
        let e = Tensor::from_vec(e, y.shape());
        let g = grad(y, &xs[i], Some(&[e]), true, false)?;
        out.extend(g[0].to_vec::<f64>());
    }
    Ok(out)
}

fn central_difference(
    f: &impl Fn(&[Tensor]) -> Tensor,
    xs: &[Tensor],
    i: usize,
    base: &[f64],
    k: usize,
    eps: f64,
) -> Vec<f64> {
    let eval = |delta: f64| {
        let mut v = base.to_vec();
        v[k] += delta;
        let mut moved = xs.to_vec();
        moved[i] = Tensor::from_vec(v, xs[i].shape());
        no_grad(|| f(&moved)).to_vec::<f64>()
    };
    crate::testing::central_difference(eval, eps)
}

/// Checks second derivatives: [`gradcheck`] applied to the function that maps
/// the inputs to their gradient (for a fixed pseudo-random output cotangent)
/// computed with `create_graph`, i.e. double backward against finite
/// differences of backward.
///
/// # Errors
/// As [`gradcheck`].
pub fn gradgradcheck<I: Tensors + ?Sized>(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &I,
) -> Result<()> {
    let g = |xs: &[Tensor]| -> Tensor {
        // The finite-difference evaluations pass plain tensors: differentiate
        // fresh leaves of them instead.
        let xs: Vec<Tensor> = xs
            .iter()
            .map(|x| {
                if x.requires_grad() {
                    x.clone()
                } else {
                    x.detach().requires_grad_(true)
                }
            })
            .collect();
        let y = enable_grad(|| f(&xs));
        let v: Vec<f64> = (0..y.numel())
            .map(|j| 0.5 + (j as f64 * 0.7).sin())
            .collect();
        let v = Tensor::from_vec(v, y.shape());
        if !y.requires_grad() {
            let total = xs.iter().map(Tensor::numel).sum::<usize>();
            return Tensor::full(&[total], 0.0, DType::F64);
        }
        let gs = grad(&y, &xs, Some(&[v]), true, true).expect("backward inside gradgradcheck");
        let flat: Vec<Tensor> = gs.iter().map(Tensor::flatten).collect();
        Tensor::cat(&flat, 0)
    };
    gradcheck(g, inputs)
}
