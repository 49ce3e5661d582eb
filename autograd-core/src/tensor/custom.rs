//! User-defined differentiable functions, the twin of `torch.autograd.Function`.

use super::grad_mode::no_grad;
use super::handle::{lock, ok, Tensor, TensorInner};
use super::list::Tensors;
use super::op::Op;
use super::saved::{Saved, SavedOut};
use super::shape::Shape;
use crate::error::Result;
use crate::Error;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// A differentiable function with a hand-written backward (PyTorch's
/// `torch.autograd.Function`): usable anywhere in a graph, one output.
///
/// `forward` runs without recording; whatever `backward` needs goes through
/// [`FunctionCtx::save_for_backward`] (version-checked like every saved tensor).
/// `backward` runs in grad mode when the pass has `create_graph`, so writing it in
/// `Tensor` ops makes the function twice differentiable.
///
/// ```
/// # use autograd_core::*;
/// struct Cube;
/// impl Function for Cube {
///     fn forward(&self, ctx: &mut FunctionCtx, x: &[Tensor]) -> Result<Tensor, Error> {
///         ctx.save_for_backward(&x[0]);
///         Ok(x[0].pow(3.0))
///     }
///     fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>, Error> {
///         let x = &ctx.saved_tensors()[0];
///         Ok(vec![Some(g * x.pow(2.0) * 3.0)])
///     }
/// }
/// let x = Tensor::scalar(2.0).requires_grad_(true);
/// let y = Cube.apply(&x);
/// assert_eq!(y.grad_fn().unwrap().name(), "CubeBackward");
/// y.backward().unwrap();
/// assert_eq!(x.grad().unwrap().item(), 12.0);
/// ```
pub trait Function: Send + Sync + 'static {
    /// The node name `grad_fn().name()` shows; by default the type's name followed
    /// by `Backward`, as PyTorch names custom nodes.
    #[track_caller]
    fn name(&self) -> Cow<'static, str> {
        let full = std::any::type_name::<Self>();
        let short = full.rsplit("::").next().unwrap_or(full);
        Cow::Owned(format!("{short}Backward"))
    }

    /// Computes the output from the inputs (run without recording).
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[Tensor]) -> Result<Tensor>;

    /// The gradient of each input given the output's gradient, `None` for inputs
    /// that need none; one entry per input.
    fn backward(&self, ctx: &FunctionCtx, grad_output: &Tensor) -> Result<Vec<Option<Tensor>>>;

    /// Runs the function as one node of the graph (`MyFunction.apply(*inputs)`).
    ///
    /// # Panics
    /// If `forward` fails; see [`Function::try_apply`].
    #[track_caller]
    fn apply<I: Tensors + ?Sized>(self, inputs: &I) -> Tensor
    where
        Self: Sized,
    {
        ok(self.try_apply(inputs))
    }

    /// Fallible [`Function::apply`].
    #[track_caller]
    fn try_apply<I: Tensors + ?Sized>(self, inputs: &I) -> Result<Tensor>
    where
        Self: Sized,
    {
        let inputs = &inputs.to_tensors()[..];
        let mut ctx = FunctionCtx {
            saved: Vec::new(),
            needs_input_grad: inputs.iter().map(Tensor::requires_grad).collect(),
            input_shapes: inputs.iter().map(|t| Shape::new(t.shape())).collect(),
            unpacked: Mutex::new(None),
        };
        let out = no_grad(|| self.forward(&mut ctx, inputs))?;
        ctx.mark_output(&out);
        let refs: Vec<&Tensor> = inputs.iter().collect();
        let f: Arc<dyn Function> = Arc::new(self);
        Ok(Tensor::record_buffer(
            out.inner.buffer.clone(),
            out.shape(),
            &refs,
            |_| Op::Custom {
                f,
                ctx: Box::new(ctx),
            },
        ))
    }
}

/// What a [`Function`] keeps between forward and backward (PyTorch's `ctx`).
pub struct FunctionCtx {
    saved: Vec<Slot>,
    needs_input_grad: Vec<bool>,
    input_shapes: Vec<Shape>,
    /// The saved tensors as backward sees them, set while it runs.
    unpacked: Mutex<Option<Vec<Tensor>>>,
}

/// A saved tensor. The function's own output is kept as data only and, like
/// PyTorch's saved outputs, comes back attached to the function's node, so a
/// backward written in tensor ops differentiates through it again.
enum Slot {
    Tensor(Saved),
    /// The output, with its shape for [`FunctionCtx::saved_tensors`].
    Output(SavedOut, Shape),
}

impl Slot {
    #[track_caller]
    fn unpack(&self, node: &Arc<TensorInner>) -> Result<Tensor> {
        match self {
            Slot::Tensor(s) => Ok(s.get(node)?.clone()),
            Slot::Output(s, _) => s.get(node),
        }
    }
}

impl FunctionCtx {
    /// Keeps tensors for backward (`ctx.save_for_backward(*tensors)`). Modifying
    /// one in place before backward makes backward fail.
    #[track_caller]
    pub fn save_for_backward<T: Tensors + ?Sized>(&mut self, tensors: &T) {
        let saved = tensors.to_tensors();
        self.saved
            .extend(saved.iter().map(|t| Slot::Tensor(Saved::new(t))));
    }

    /// The tensors kept by [`FunctionCtx::save_for_backward`], in order
    /// (`ctx.saved_tensors`).
    #[track_caller]
    pub fn saved_tensors(&self) -> Vec<Tensor> {
        if let Some(t) = lock(&self.unpacked).as_ref() {
            return t.clone();
        }
        let raw = |s: &Slot| match s {
            Slot::Tensor(s) => s.tensor(),
            Slot::Output(s, shape) => s.data(shape),
        };
        self.saved.iter().map(raw).collect()
    }

    /// Saved tensors that are the output become data-only slots.
    #[track_caller]
    fn mark_output(&mut self, out: &Tensor) {
        for slot in &mut self.saved {
            if let Slot::Tensor(s) = slot {
                let t = s.tensor();
                if Arc::ptr_eq(&t.inner.buffer, &out.inner.buffer) && t.shape() == out.shape() {
                    *slot =
                        Slot::Output(SavedOut::new(t.inner.buffer.clone()), Shape::new(t.shape()));
                }
            }
        }
    }

    /// Whether input `i` requires grad (`ctx.needs_input_grad[i]`).
    #[track_caller]
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.needs_input_grad.get(i).copied().unwrap_or(false)
    }
}

/// Checks the saved tensors, runs the user's backward and validates its answer.
#[track_caller]
pub(crate) fn run_backward(
    f: &dyn Function,
    ctx: &FunctionCtx,
    g: &Tensor,
    node: &Arc<TensorInner>,
) -> Result<Vec<Option<Tensor>>> {
    let unpacked = ctx
        .saved
        .iter()
        .map(|s| s.unpack(node))
        .collect::<Result<_>>()?;
    *lock(&ctx.unpacked) = Some(unpacked);
    let grads = f.backward(ctx, g);
    *lock(&ctx.unpacked) = None;
    let grads = grads?;
    let fail = |reason: String| Error::CustomFunction {
        node: node.name().to_string(),
        reason,
    };
    if grads.len() != ctx.input_shapes.len() {
        return Err(fail(format!(
            "backward returned {} gradients for {} inputs",
            grads.len(),
            ctx.input_shapes.len()
        )));
    }
    for (i, (g, shape)) in grads.iter().zip(&ctx.input_shapes).enumerate() {
        if let Some(g) = g.as_ref().filter(|g| g.shape() != &shape[..]) {
            return Err(fail(format!(
                "gradient {i} has shape {:?} but the input has shape {shape:?}",
                g.shape()
            )));
        }
    }
    Ok(grads)
}
