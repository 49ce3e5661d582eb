//! The dynamic tape: [`Tensor`] with PyTorch's autograd semantics.
//!
//! For graphs whose shapes or control flow are only known at run time. Every op
//! on tensors that require grad records a node ([`op::Op`], the graph as data);
//! `backward` walks the nodes in reverse creation order and frees them as it
//! goes. Layout:
//!
//! - `dtype`, `shape`: element types, storage, broadcasting.
//! - `handle`, `graph`: the tensor handle, nodes and edges, hooks.
//! - `op`: the op enum (the graph as data); `backward`: its derivatives, one
//!   exhaustive `match` for tensors and one for one-element values; `saved`: what
//!   ops save for backward, with the in-place version check.
//! - `kernels/`: data kernels (element-wise, reductions, layout, GEMM, im2col);
//!   `recycle`: large freed vectors kept per thread for the next output.
//! - `ops/`: the differentiable ops by family.
//! - `engine`: `backward` and `grad`; `grad_mode`: `no_grad` and friends.
//! - `functional`, `gradcheck`, `custom`, `dot`, `convert`, `display`.

mod anomaly;
mod backward;
mod checkpoint;
mod convert;
mod custom;
mod display;
mod dot;
mod dtype;
mod engine;
pub mod functional;
mod grad_mode;
mod gradcheck;
mod graph;
mod handle;
mod kernels;
mod list;
mod op;
mod ops;
mod recycle;
mod rng;
mod saved;
mod scalar;
mod shape;

pub use anomaly::{detect_anomaly, is_anomaly_enabled};
pub use checkpoint::checkpoint;
pub use custom::{Function, FunctionCtx};
pub(crate) use dtype::Storage;
pub use dtype::{get_default_dtype, set_default_dtype, DType, Element};
pub use engine::{grad, BackwardOptions};
pub use grad_mode::{
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
};
pub use gradcheck::{gradcheck, gradcheck_with, gradgradcheck, GradcheckOptions};
pub use graph::{HookHandle, Node};
pub use handle::Tensor;
pub use list::Tensors;
pub use ops::einsum::{einsum, try_einsum};
pub use ops::inplace::Rhs;
pub(crate) use ops::linalg::linear;
pub use rng::manual_seed;
pub use shape::Dim;
