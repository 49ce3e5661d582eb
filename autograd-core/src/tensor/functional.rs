//! Higher-order autograd on functions of tensors (PyTorch's
//! `torch.autograd.functional`). The inputs are detached copies, so the caller's
//! graph is never touched; the results do not require grad.

use super::engine::grad;
use super::grad_mode::enable_grad;
use super::handle::Tensor;
use super::list::Tensors;
use crate::error::Result;
use crate::Error;

fn fresh(inputs: &[Tensor]) -> Vec<Tensor> {
    inputs
        .iter()
        .map(|x| x.detach().requires_grad_(true))
        .collect()
}

fn zeros_like_all(xs: &[Tensor]) -> Vec<Tensor> {
    xs.iter().map(Tensor::zeros_like).collect()
}

/// `f(inputs)` and the vector-Jacobian product `v^T J` for each input
/// (`torch.autograd.functional.vjp`).
pub fn vjp<I: Tensors + ?Sized>(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    inputs: &I,
    v: &Tensor,
) -> Result<(Tensor, Vec<Tensor>)> {
    let xs = fresh(&inputs.to_tensors());
    let y = enable_grad(|| f(&xs));
    if !y.requires_grad() {
        return Ok((y, zeros_like_all(&xs)));
    }
    let g = grad(
        std::slice::from_ref(&y),
        &xs,
        Some(std::slice::from_ref(v)),
        false,
        false,
    )?;
    Ok((y.detach(), g))
}

/// `f(inputs)` and the Jacobian-vector product `J v`, one tangent per input
/// (`torch.autograd.functional.jvp`), by the double-backward trick: `J v` is the
/// gradient with respect to `u` of `(J^T u) . v`.
pub fn jvp<I: Tensors + ?Sized, V: Tensors + ?Sized>(
    f: impl FnOnce(&[Tensor]) -> Tensor,
    inputs: &I,
    v: &V,
) -> Result<(Tensor, Tensor)> {
    let xs = fresh(&inputs.to_tensors());
    let v = v.to_tensors();
    let y = enable_grad(|| f(&xs));
    if !y.requires_grad() {
        return Ok((y.clone(), y.zeros_like()));
    }
    let u = y.zeros_like().requires_grad_(true);
    let gx = grad(
        std::slice::from_ref(&y),
        &xs,
        Some(std::slice::from_ref(&u)),
        true,
        true,
    )?;
    let s = enable_grad(|| {
        gx.iter()
            .zip(&v)
            .map(|(g, v)| (g * v).sum())
            .reduce(|a, b| a + b)
    });
    let jv = match s {
        Some(s) if s.requires_grad() => grad(&s, &u, None, false, false)?.remove(0),
        _ => y.zeros_like(),
    };
    Ok((y.detach(), jv))
}

/// One row per output element: the gradient of that element with respect to `x`.
fn rows(y: &Tensor, x: &Tensor) -> Result<Vec<Tensor>> {
    (0..y.numel())
        .map(|i| {
            if !y.requires_grad() {
                return Ok(Tensor::full(&[x.numel()], 0.0, x.dtype()));
            }
            let mut e = vec![0.0; y.numel()];
            e[i] = 1.0;
            let e = Tensor::from_vec(e, y.shape()).to_dtype(y.dtype());
            let g = grad(
                std::slice::from_ref(y),
                std::slice::from_ref(x),
                Some(&[e]),
                true,
                false,
            )?;
            Ok(g[0].reshape(&[x.numel()]))
        })
        .collect()
}

fn assemble(rows: Vec<Tensor>, y_shape: &[usize], x: &Tensor) -> Tensor {
    let mut shape = y_shape.to_vec();
    shape.extend_from_slice(x.shape());
    if rows.is_empty() {
        return Tensor::full(&shape, 0.0, x.dtype());
    }
    Tensor::stack(&rows, 0).reshape(&shape)
}

/// The Jacobian of `f` at `x`, of shape `f(x).shape ++ x.shape`
/// (`torch.autograd.functional.jacobian`), one backward per output element.
pub fn jacobian(f: impl FnOnce(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
    let x = x.detach().requires_grad_(true);
    let y = enable_grad(|| f(&x));
    Ok(assemble(rows(&y, &x)?, y.shape(), &x))
}

/// The Hessian of a scalar function at `x`, of shape `x.shape ++ x.shape`
/// (`torch.autograd.functional.hessian`).
///
/// # Errors
/// If `f` does not return a one-element tensor.
pub fn hessian(f: impl FnOnce(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
    let x = x.detach().requires_grad_(true);
    let g = first_grad(f, &x)?;
    let rows = enable_grad(|| rows(&g, &x))?;
    Ok(assemble(rows, x.shape(), &x))
}

/// `f(x)` and the Hessian-vector product `H v` without forming `H`
/// (`torch.autograd.functional.hvp`).
///
/// # Errors
/// If `f` does not return a one-element tensor.
pub fn hvp(f: impl FnOnce(&Tensor) -> Tensor, x: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
    let x = x.detach().requires_grad_(true);
    let y = enable_grad(|| f(&x));
    let g = differentiable_grad(&y, &x)?;
    let gv = enable_grad(|| (&g * v).sum());
    let hv = if gv.requires_grad() {
        grad(&gv, &x, None, false, false)?.remove(0)
    } else {
        x.zeros_like()
    };
    Ok((y.detach(), hv))
}

fn first_grad(f: impl FnOnce(&Tensor) -> Tensor, x: &Tensor) -> Result<Tensor> {
    let y = enable_grad(|| f(x));
    differentiable_grad(&y, x)
}

fn differentiable_grad(y: &Tensor, x: &Tensor) -> Result<Tensor> {
    if y.numel() != 1 {
        return Err(Error::NonScalarOutput {
            shape: y.shape().to_vec(),
        });
    }
    if !y.requires_grad() {
        return Ok(x.zeros_like());
    }
    Ok(grad(
        std::slice::from_ref(y),
        std::slice::from_ref(x),
        None,
        true,
        true,
    )?
    .remove(0))
}
