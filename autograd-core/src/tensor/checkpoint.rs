//! Gradient checkpointing, PyTorch's `torch.utils.checkpoint.checkpoint`:
//! trade compute for memory by keeping a segment's inputs instead of
//! everything its ops save, and running the segment again in backward.

use super::custom::{Function, FunctionCtx};
use super::grad_mode::{enable_grad, is_grad_enabled};
use super::handle::Tensor;
use super::rng;
use super::BackwardOptions;
use crate::error::Result;
use std::borrow::Cow;
use std::sync::Arc;

type Segment = Arc<dyn Fn(&[Tensor]) -> Tensor + Send + Sync>;

/// The checkpoint node: the segment, and the random generator's state when it
/// ran, so that a recomputation draws the same numbers (PyTorch's
/// `preserve_rng_state=True`).
struct Checkpoint {
    f: Segment,
    rng: u64,
}

impl Function for Checkpoint {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("CheckpointFunctionBackward")
    }

    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[Tensor]) -> Result<Tensor> {
        ctx.save_for_backward(inputs);
        Ok((self.f)(inputs))
    }

    fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let create_graph = is_grad_enabled();
        let inputs: Vec<Tensor> = ctx
            .saved_tensors()
            .iter()
            .enumerate()
            .map(|(i, t)| t.detach().requires_grad_(ctx.needs_input_grad(i)))
            .collect();
        let now = rng::state();
        rng::set_state(self.rng);
        let out = enable_grad(|| (self.f)(&inputs));
        rng::set_state(now);
        if out.requires_grad() {
            let opts = BackwardOptions::default().create_graph(create_graph);
            out.backward_with_options(Some(g), opts)?;
        }
        Ok(inputs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                ctx.needs_input_grad(i)
                    .then(|| t.grad().unwrap_or_else(|| t.zeros_like()))
            })
            .collect())
    }
}

/// Runs `f(inputs)` without keeping what its ops save for backward, and runs
/// it again in backward to differentiate it (PyTorch's
/// `torch.utils.checkpoint.checkpoint(f, *inputs)`).
///
/// Forward runs `f` under [`crate::no_grad`] and records one node,
/// `CheckpointFunctionBackward`, that keeps only `inputs`. Its backward runs `f`
/// again with grad enabled on detached copies of the inputs, with the random
/// generator as it was in forward (so dropout draws the same mask), and
/// backpropagates the output's gradient through that graph. The gradients are
/// those of `f(inputs)` without checkpointing; the graph of one segment lives at
/// a time, so a deep chain split into segments needs far less memory.
///
/// Tensors that require grad should be passed in `inputs`. Leaves captured by
/// `f` (parameters) get their `.grad` accumulated by the recomputation's
/// backward, as with PyTorch's reentrant variant, so use `backward` rather than
/// `autograd::grad` for them; a captured non-leaf would be differentiated
/// through, once per backward of the segment. Under `create_graph` the
/// gradients are recorded, but as functions of detached copies: second
/// derivatives do not flow through a checkpoint. If no input requires grad,
/// nothing is recorded.
///
/// ```
/// # use autograd_core::*;
/// let x = Tensor::from_vec(vec![0.5, -1.0], &[2]).requires_grad_(true);
/// let y = checkpoint(|t| (t[0].tanh() * &t[0]).exp(), &[x.clone()]);
/// assert_eq!(y.grad_fn().unwrap().name(), "CheckpointFunctionBackward");
/// y.sum().backward().unwrap();
/// let g = x.grad().unwrap().to_vec::<f64>();
/// let expected = |x: f64| (x.tanh() * x).exp() * (x.tanh() + x * (1.0 - x.tanh().powi(2)));
/// assert!((g[0] - expected(0.5)).abs() < 1e-12 && (g[1] - expected(-1.0)).abs() < 1e-12);
/// ```
///
/// # Panics
/// If `f` panics, in forward or in its recomputation.
pub fn checkpoint<F>(f: F, inputs: &[Tensor]) -> Tensor
where
    F: Fn(&[Tensor]) -> Tensor + Send + Sync + 'static,
{
    let node = Checkpoint {
        f: Arc::new(f),
        rng: rng::state(),
    };
    match node.try_apply(inputs) {
        Ok(t) => t,
        Err(e) => unreachable!("the checkpoint's forward does not fail: {e}"),
    }
}
