//! The recorded ops and their derivatives.
//!
//! [`Op`] is the graph as data; [`Op::backward`] is one exhaustive `match` with no
//! catch-all arm, so adding an op does not compile until its derivative is
//! written. Every derivative is expressed in `Tensor` ops: when backward runs with
//! `create_graph` these are recorded in turn, which is all grad-of-grad needs.

use super::custom::{Function, FunctionCtx};
use super::dtype::{DType, Data, Element, Storage};
use super::grad_mode::is_grad_enabled;
use super::graph::Edge;
use super::handle::{Buffer, BufferRef, Tensor, TensorInner};
use super::kernels::conv::Window;
use super::kernels::elementwise::zip_slices;
use super::kernels::layout::GatherGeom;
use super::ops::unary::sign;
use super::shape::{numel, Shape};
use crate::error::Result;
use crate::Error;
use std::borrow::Cow;
use std::sync::Arc;

/// An input saved for backward, with the version it had then.
pub(crate) struct Saved {
    t: Tensor,
    version: u32,
}

impl Saved {
    pub fn new(t: &Tensor) -> Saved {
        Saved {
            t: t.clone(),
            version: t.version(),
        }
    }

    /// The saved tensor without the version check (already done by the caller).
    pub fn tensor(&self) -> Tensor {
        self.t.clone()
    }

    /// The saved tensor, or an error naming `node` if it was modified in place.
    pub fn get(&self, node: &TensorInner) -> Result<&Tensor> {
        check_version(&self.t.inner.buffer, self.version, self.t.shape(), node)?;
        Ok(&self.t)
    }
}

/// An input of the node saved for backward, like [`Saved`], but sharing what
/// the node's edge to it already holds: the whole tensor for a leaf that
/// requires grad (`Edge::Leaf`), the tensor's block for a graph node
/// (`Edge::Node`), whose buffer is then all that is kept. Saving a second
/// handle would only add reference counts: atomic increments when recording,
/// decrements when the graph dies.
pub(crate) struct SavedInput {
    held: Held,
    version: u32,
}

/// Where a [`SavedInput`] is kept.
enum Held {
    /// A handle of its own: an input without an edge.
    Tensor(Tensor),
    /// The leaf held by the node's edge of this index.
    Edge(usize),
    /// The data of the graph node held by the node's edge of this index.
    Data(BufferRef, usize),
}

impl SavedInput {
    /// `t`, the node's input `i` (its edge's index).
    pub fn new(t: &Tensor, i: usize) -> SavedInput {
        // The tests of `Edge::of`.
        let held = if t.inner.meta.node.is_some() {
            Held::Data(t.inner.buffer.clone(), i)
        } else if t.requires_grad() {
            Held::Edge(i)
        } else {
            Held::Tensor(t.clone())
        };
        SavedInput {
            held,
            version: t.version(),
        }
    }

    /// The saved data and its shape after the version check, without a
    /// tensor around them (for [`ScalarGrad`] reads).
    #[inline]
    pub fn checked<'a>(&'a self, node: &'a TensorInner) -> Result<(&'a Buffer, &'a [usize])> {
        let (buffer, shape): (&Buffer, &[usize]) = match &self.held {
            Held::Tensor(t) => (&t.inner.buffer, t.shape()),
            Held::Edge(i) => {
                let t = leaf(node, *i)?;
                (&t.inner.buffer, t.shape())
            }
            Held::Data(b, i) => (b, &edge_node(node, *i).shape),
        };
        check_version(buffer, self.version, shape, node)?;
        Ok((buffer, shape))
    }

    /// The saved tensor, or an error naming `node` if it was modified in place.
    pub fn get<'a>(&'a self, node: &'a TensorInner) -> Result<Cow<'a, Tensor>> {
        let t = match &self.held {
            Held::Tensor(t) => Cow::Borrowed(t),
            Held::Edge(i) => Cow::Borrowed(leaf(node, *i)?),
            Held::Data(b, i) => {
                Cow::Owned(Tensor::from_handle(edge_node(node, *i).clone(), b.clone()))
            }
        };
        check_version(&t.inner.buffer, self.version, t.shape(), node)?;
        Ok(t)
    }
}

/// The leaf that `node`'s edge `i` holds, for a [`Held::Edge`].
#[inline]
fn leaf(node: &TensorInner, i: usize) -> Result<&Tensor> {
    match node.node().edges.get(i) {
        Some(Edge::Leaf(t)) => Ok(t),
        _ => Err(not_saved(node, i)),
    }
}

/// Only if another thread turned `requires_grad` off while the op was being
/// recorded: then the edge did not keep the leaf.
#[cold]
fn not_saved(node: &TensorInner, i: usize) -> Error {
    Error::InvalidArgument {
        op: "backward",
        shape: node.shape.to_vec(),
        reason: format!(
            "input {i} of {} stopped requiring grad while the op was being recorded, so it was not saved",
            node.name()
        ),
    }
}

/// The block of the graph node that `node`'s edge `i` holds, for a
/// [`Held::Data`]: an input with a node always has a node edge.
#[inline]
fn edge_node(node: &TensorInner, i: usize) -> &Arc<TensorInner> {
    match node.node().edges.get(i) {
        Some(Edge::Node(n)) => n,
        _ => unreachable!("an input that is a graph node has a node edge"),
    }
}

#[inline]
fn check_version(
    b: &Buffer,
    saved_version: u32,
    shape: &[usize],
    node: &TensorInner,
) -> Result<()> {
    let version = b.version();
    if version == saved_version {
        Ok(())
    } else {
        Err(modified(b, saved_version, version, shape, node))
    }
}

#[cold]
fn modified(
    b: &Buffer,
    saved_version: u32,
    version: u32,
    shape: &[usize],
    node: &TensorInner,
) -> Error {
    Error::ModifiedInPlace {
        node: node.name().to_string(),
        inplace: b.last_inplace(),
        shape: shape.to_vec(),
        saved_version,
        version,
    }
}

/// An op's own output saved for backward. Only the data is held, never the
/// output's node (that would be a cycle); [`SavedOut::get`] re-attaches the node
/// being differentiated, so the value stays differentiable under `create_graph`.
pub(crate) struct SavedOut {
    buffer: BufferRef,
    version: u32,
}

impl SavedOut {
    pub fn new(buffer: BufferRef) -> SavedOut {
        let version = buffer.version();
        SavedOut { buffer, version }
    }

    /// The data alone, outside any graph, as a tensor of `shape` (the node's).
    pub fn data(&self, shape: &[usize]) -> Tensor {
        let dtype = self.buffer.dtype();
        Tensor::from_parts(self.buffer.clone(), shape, dtype, None)
    }

    /// The saved buffer after the version check, for [`ScalarGrad`] reads.
    fn checked(&self, node: &TensorInner) -> Result<&Buffer> {
        check_version(&self.buffer, self.version, &node.shape, node)?;
        Ok(&self.buffer)
    }

    /// The output again: the tensor of `node` itself while a graph is recorded
    /// (`create_graph`), its data alone otherwise.
    pub fn get(&self, node: &Arc<TensorInner>) -> Result<Tensor> {
        self.checked(node)?;
        if is_grad_enabled() {
            Ok(Tensor::from_handle(node.clone(), self.buffer.clone()))
        } else {
            Ok(self.data(&node.shape))
        }
    }
}

/// How a reshape-like op was spelled, for its PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ViewKind {
    Reshape,
    Squeeze,
    SqueezeAll,
    Unsqueeze,
}

/// How a permutation was spelled, for its PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PermuteKind {
    T,
    Transpose,
    Permute,
}

/// Which op a gather implements, for its PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatherKind {
    Gather,
    IndexSelect,
    Max,
    Min,
    MaxPool2d,
}

/// An op between a tensor and an `f64` scalar (PyTorch's wrapped numbers): the
/// scalar keeps the tensor's dtype and allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    /// `t + s`, `s + t`
    Add,
    /// `t - s`
    Sub,
    /// `s - t`
    RSub,
    /// `t * s`, `s * t`
    Mul,
    /// `t / s`
    Div,
}

impl ScalarKind {
    pub fn apply(self, x: f64, s: f64) -> f64 {
        match self {
            ScalarKind::Add => x + s,
            ScalarKind::Sub => x - s,
            ScalarKind::RSub => s - x,
            ScalarKind::Mul => x * s,
            ScalarKind::Div => x / s,
        }
    }
}

/// Matrix-product flavour by operand ranks, for its PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MatmulKind {
    Dot,
    Mv,
    Mm,
    Bmm,
}

/// A recorded op with what its backward needs. The shapes of its inputs
/// (for `add`'s broadcast gradients, `sum`'s expansion, ...) are not saved:
/// they are those of the node's edges ([`input_shapes`]), and its output's is
/// the node's own.
pub(crate) enum Op {
    Add,
    Sub,
    Mul {
        lhs: SavedInput,
        rhs: SavedInput,
    },
    Div {
        lhs: SavedInput,
        rhs: SavedInput,
    },
    Neg,
    Scalar {
        kind: ScalarKind,
        s: f64,
    },
    RDiv {
        x: SavedInput,
        s: f64,
    },
    Pow {
        x: SavedInput,
        exponent: f64,
    },
    Exp {
        out: SavedOut,
    },
    Ln {
        x: SavedInput,
    },
    Tanh {
        out: SavedOut,
    },
    Sigmoid {
        out: SavedOut,
    },
    Relu {
        out: SavedOut,
    },
    Sin {
        x: SavedInput,
    },
    Cos {
        x: SavedInput,
    },
    Sqrt {
        out: SavedOut,
    },
    Abs {
        x: SavedInput,
    },
    Clamp {
        x: SavedInput,
        min: f64,
        max: f64,
    },
    Clone,
    ToDtype {
        from: DType,
    },
    Sum,
    Mean,
    SumDim {
        dim: usize,
        keepdim: bool,
    },
    MeanDim {
        dim: usize,
        keepdim: bool,
    },
    SumTo,
    Expand,
    View {
        kind: ViewKind,
    },
    Permute {
        kind: PermuteKind,
        perm: Vec<usize>,
    },
    Narrow {
        dim: usize,
        start: usize,
    },
    Cat {
        dim: usize,
        sizes: Vec<usize>,
    },
    Stack {
        dim: usize,
        shapes: Vec<Shape>,
    },
    Gather {
        kind: GatherKind,
        geom: GatherGeom,
        index: Arc<[usize]>,
    },
    ScatterAdd {
        geom: GatherGeom,
        index: Arc<[usize]>,
    },
    Where {
        mask: Tensor,
    },
    Matmul {
        kind: MatmulKind,
        lhs: SavedInput,
        rhs: SavedInput,
    },
    Softmax {
        out: SavedOut,
        dim: usize,
    },
    LogSoftmax {
        out: SavedOut,
        dim: usize,
    },
    Logsumexp {
        x: SavedInput,
        dim: usize,
        keepdim: bool,
    },
    // The window (80 bytes) and a custom function's context are boxed: an `Op`
    // is moved several times while it is recorded, and these rare, large ops
    // would make every one of those moves as long as theirs.
    Im2Col {
        win: Box<Window>,
    },
    Col2Im {
        win: Box<Window>,
    },
    Conv2d {
        x: Saved,
        w: Saved,
        win: Box<Window>,
    },
    AvgPool2d {
        win: Box<Window>,
    },
    Custom {
        f: Arc<dyn Function>,
        ctx: Box<FunctionCtx>,
    },
}

impl Op {
    /// PyTorch's name of the backward node.
    pub fn name(&self) -> Cow<'static, str> {
        use Op::*;
        Cow::Borrowed(match self {
            Add => "AddBackward0",
            Sub => "SubBackward0",
            Mul { .. } => "MulBackward0",
            Div { .. } => "DivBackward0",
            Neg => "NegBackward0",
            Scalar { kind, .. } => match kind {
                ScalarKind::Add => "AddBackward0",
                ScalarKind::Sub => "SubBackward0",
                ScalarKind::RSub => "RsubBackward1",
                ScalarKind::Mul => "MulBackward0",
                ScalarKind::Div => "DivBackward0",
            },
            // PyTorch computes `s / t` as `t.reciprocal() * s`.
            RDiv { .. } => "MulBackward0",
            Pow { .. } => "PowBackward0",
            Exp { .. } => "ExpBackward0",
            Ln { .. } => "LogBackward0",
            Tanh { .. } => "TanhBackward0",
            Sigmoid { .. } => "SigmoidBackward0",
            Relu { .. } => "ReluBackward0",
            Sin { .. } => "SinBackward0",
            Cos { .. } => "CosBackward0",
            Sqrt { .. } => "SqrtBackward0",
            Abs { .. } => "AbsBackward0",
            Clamp { .. } => "ClampBackward1",
            Clone => "CloneBackward0",
            ToDtype { .. } => "ToCopyBackward0",
            Sum => "SumBackward0",
            Mean => "MeanBackward0",
            SumDim { .. } => "SumBackward1",
            MeanDim { .. } => "MeanBackward1",
            SumTo => "SumToSizeBackward0",
            Expand => "ExpandBackward0",
            View { kind, .. } => match kind {
                ViewKind::Reshape => "ViewBackward0",
                ViewKind::Squeeze => "SqueezeBackward1",
                ViewKind::SqueezeAll => "SqueezeBackward0",
                ViewKind::Unsqueeze => "UnsqueezeBackward0",
            },
            Permute { kind, .. } => match kind {
                PermuteKind::T => "TBackward0",
                PermuteKind::Transpose => "TransposeBackward0",
                PermuteKind::Permute => "PermuteBackward0",
            },
            Narrow { .. } => "SliceBackward0",
            Cat { .. } => "CatBackward0",
            Stack { .. } => "StackBackward0",
            Gather { kind, .. } => match kind {
                GatherKind::Gather => "GatherBackward0",
                GatherKind::IndexSelect => "IndexSelectBackward0",
                GatherKind::Max => "MaxBackward0",
                GatherKind::Min => "MinBackward0",
                GatherKind::MaxPool2d => "MaxPool2DWithIndicesBackward0",
            },
            ScatterAdd { .. } => "ScatterAddBackward0",
            Where { .. } => "WhereBackward0",
            Matmul { kind, .. } => match kind {
                MatmulKind::Dot => "DotBackward0",
                MatmulKind::Mv => "MvBackward0",
                MatmulKind::Mm => "MmBackward0",
                MatmulKind::Bmm => "BmmBackward0",
            },
            Softmax { .. } => "SoftmaxBackward0",
            LogSoftmax { .. } => "LogSoftmaxBackward0",
            Logsumexp { .. } => "LogsumexpBackward0",
            Im2Col { .. } => "Im2ColBackward0",
            Col2Im { .. } => "Col2ImBackward0",
            Conv2d { .. } => "ConvolutionBackward0",
            AvgPool2d { .. } => "AvgPool2DBackward0",
            Custom { f, .. } => return f.name(),
        })
    }

    /// Whether backward needs tensors saved at forward time (which freeing the
    /// graph drops); ops that only kept shapes can be differentiated again.
    pub fn saves_tensors(&self) -> bool {
        use Op::*;
        match self {
            Add | Sub | Neg | Scalar { .. } | Clone | ToDtype { .. } => false,
            Sum | Mean => false,
            SumDim { .. } | MeanDim { .. } | SumTo | Expand | View { .. } => false,
            Permute { .. } | Narrow { .. } | Cat { .. } | Stack { .. } => false,
            Gather { .. } | ScatterAdd { .. } => false,
            Im2Col { .. } | Col2Im { .. } | AvgPool2d { .. } => false,
            Mul { .. } | Div { .. } | RDiv { .. } | Pow { .. } | Exp { .. } | Ln { .. } => true,
            Tanh { .. } => true,
            Sigmoid { .. } | Relu { .. } | Sin { .. } | Cos { .. } => true,
            Sqrt { .. } | Abs { .. } => true,
            Clamp { .. } | Where { .. } | Matmul { .. } | Softmax { .. } | LogSoftmax { .. } => {
                true
            }
            Logsumexp { .. } | Conv2d { .. } | Custom { .. } => true,
        }
    }

    /// The gradients of the op's inputs given the gradient `g` of its output;
    /// `needs[i]` tells whether input `i` wants one (others may be `None`).
    pub fn backward(&self, g: Tensor, node: &Arc<TensorInner>, needs: &[bool]) -> Result<Grads> {
        use Op::*;
        let n = &**node;
        // Ops that pass `g` on take it by value: the last use moves it.
        match self {
            Add => {
                let (lhs, rhs) = input_shapes(n);
                return Ok(split(g, needs, |g| fit(g, lhs), |g| fit(g, rhs)));
            }
            Sub => {
                let (lhs, rhs) = input_shapes(n);
                return Ok(split(g, needs, |g| fit(g, lhs), |g| fit(-g, rhs)));
            }
            Scalar {
                kind: ScalarKind::Add | ScalarKind::Sub,
                ..
            }
            | Clone => return Ok(Grads::Inline([Some(g), None], 1)),
            _ => {}
        }
        let g = &g;
        let two = |a: &dyn Fn() -> Tensor, b: &dyn Fn() -> Tensor| {
            Grads::Inline([needs[0].then(a), needs[1].then(b)], 2)
        };
        let one = |t: Tensor| Grads::Inline([Some(t), None], 1);
        Ok(match self {
            Add | Sub => unreachable!("handled above"),
            Mul { lhs, rhs } => {
                let (a, b) = (lhs.get(n)?, rhs.get(n)?);
                let (a, b) = (&*a, &*b);
                two(&|| fit(prod(g, b), a.shape()), &|| {
                    fit(prod(g, a), b.shape())
                })
            }
            Div { lhs, rhs } => {
                let (a, b) = (lhs.get(n)?, rhs.get(n)?);
                let (a, b) = (&*a, &*b);
                two(&|| fit(g / b, a.shape()), &|| {
                    fit(-(g * a) / (b * b), b.shape())
                })
            }
            Neg => one(-g),
            Scalar { kind, s } => one(match kind {
                ScalarKind::Add | ScalarKind::Sub => g.clone(),
                ScalarKind::RSub => -g,
                ScalarKind::Mul => g * *s,
                ScalarKind::Div => g / *s,
            }),
            RDiv { x, s } => {
                let s = *s;
                one(chain(g, &*x.get(n)?, d::rdiv(s), |x| x.pow(-2.0) * -s))
            }
            Pow { x, exponent } => one(pow_backward(g, &*x.get(n)?, *exponent)),
            Exp { out } => one(chain_out(g, out, node, d::exp, Tensor::clone)?),
            Ln { x } => one(chain(g, &*x.get(n)?, d::ln, Tensor::recip)),
            Tanh { out } => one(chain_out(g, out, node, d::tanh, |y| 1.0 - y * y)?),
            Sigmoid { out } => one(chain_out(g, out, node, d::sigmoid, |y| y * (1.0 - y))?),
            Relu { out } => one(chain_out(g, out, node, step, |y| y.gt_scalar(0.0))?),
            Sin { x } => one(chain(g, &*x.get(n)?, f64::cos, Tensor::cos)),
            Cos { x } => one(chain(g, &*x.get(n)?, d::cos, |x| -x.sin())),
            Sqrt { out } => one(chain_out(g, out, node, d::sqrt, |y| 0.5 / y)?),
            Abs { x } => one(chain(g, &*x.get(n)?, sign, Tensor::sign)),
            Clamp { x, min, max } => {
                let (lo, hi) = (*min, *max);
                one(chain(g, &*x.get(n)?, d::clamp(lo, hi), |x| {
                    x.ge_scalar(lo) * x.le_scalar(hi)
                }))
            }
            Clone => unreachable!("handled above"),
            ToDtype { from } => one(g.to_dtype(*from)),
            Sum => one(g.expand(input_shape(n))),
            Mean => one(g.expand(input_shape(n)) / numel(input_shape(n)) as f64),
            SumDim { dim, keepdim } => one(keep_dim(g, *dim, *keepdim).expand(input_shape(n))),
            MeanDim { dim, keepdim } => {
                let shape = input_shape(n);
                one(keep_dim(g, *dim, *keepdim).expand(shape) / shape[*dim] as f64)
            }
            SumTo => one(g.expand(input_shape(n))),
            Expand => one(g.sum_to(input_shape(n))),
            View { .. } => one(g.reshape(input_shape(n))),
            Permute { perm, .. } => one(g.permute(&invert(perm))),
            Narrow { dim, start } => one(super::ops::layout::narrow_backward(
                g,
                *dim,
                *start,
                input_shape(n),
            )),
            Cat { dim, sizes } => super::ops::layout::cat_backward(g, *dim, sizes, needs).into(),
            Stack { dim, shapes } => (0..shapes.len())
                .map(|i| needs[i].then(|| g.narrow(*dim, i, 1).reshape(&shapes[i])))
                .collect(),
            Gather { geom, index, .. } => one(g.scatter_add_geom(*geom, index, input_shape(n))),
            ScatterAdd { geom, index } => {
                one(g.gather_geom(GatherKind::Gather, *geom, index, input_shape(n)))
            }
            Where { mask } => {
                let (lhs, rhs) = input_shapes(n);
                two(&|| (g * mask).sum_to(lhs), &|| {
                    (g * (1.0 - mask)).sum_to(rhs)
                })
            }
            Matmul { lhs, rhs, .. } => {
                super::ops::linalg::matmul_backward(g, &*lhs.get(n)?, &*rhs.get(n)?, needs).into()
            }
            Softmax { out, dim } => {
                let y = out.get(node)?;
                one(&y * (g - (g * &y).sum_dim(*dim, true)))
            }
            LogSoftmax { out, dim } => one(g - out.get(node)?.exp() * g.sum_dim(*dim, true)),
            Logsumexp { x, dim, keepdim } => {
                one(keep_dim(g, *dim, *keepdim) * x.get(n)?.softmax(*dim))
            }
            Im2Col { win } => one(g.col2im(win)),
            Col2Im { win } => one(g.im2col(win)),
            Conv2d { x, w, win } => {
                super::ops::conv::conv2d_backward(g, x.get(n)?, w.get(n)?, win, needs).into()
            }
            AvgPool2d { win } => one(super::ops::conv::avg_pool2d_backward(
                g,
                win,
                input_shape(n),
            )),
            Custom { f, ctx } => super::custom::run_backward(&**f, ctx, g, node)?.into(),
        })
    }
}

/// A one-element gradient carried between nodes as a value, while no graph is
/// recorded: its value (representable in `dtype`) and dtype; its shape is that of
/// the node or leaf it is sent to. Element-wise ops differentiate it without
/// building a tensor ([`Op::backward_scalar`]), computing exactly what the tensor
/// formulas compute for one element (in `f64`, rounded to the promoted dtype).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScalarGrad {
    pub v: f64,
    pub dtype: DType,
}

impl ScalarGrad {
    /// `v` rounded to `dtype`.
    #[inline]
    pub fn new(v: f64, dtype: DType) -> ScalarGrad {
        let v = match dtype {
            DType::F32 => v as f32 as f64,
            DType::F64 => v,
        };
        ScalarGrad { v, dtype }
    }

    /// The value of a one-element tensor (`None` for any other).
    #[inline]
    pub fn of(t: &Tensor) -> Option<ScalarGrad> {
        t.inner.buffer.one()
    }

    /// The value in `dtype` (`Tensor::to_dtype`).
    #[inline]
    pub fn cast(self, dtype: DType) -> ScalarGrad {
        if dtype == self.dtype {
            self
        } else {
            ScalarGrad::new(self.v, dtype)
        }
    }

    /// The value as one-element storage.
    #[inline]
    pub fn storage(self) -> Storage {
        match self.dtype {
            DType::F32 => Storage::F32(Data::One(self.v as f32)),
            DType::F64 => Storage::F64(Data::One(self.v)),
        }
    }

    /// A tensor of shape `shape` (one element) holding the value.
    pub fn to_tensor(self, shape: &[usize]) -> Tensor {
        Tensor::from_storage(Storage::full(1, self.v, self.dtype), shape)
    }

    /// `f(self, other)` rounded to the promoted dtype, as a binary op computes it.
    #[inline]
    fn zip(self, other: ScalarGrad, f: impl FnOnce(f64, f64) -> f64) -> ScalarGrad {
        ScalarGrad::new(f(self.v, other.v), self.dtype.promote(other.dtype))
    }

    /// `f(self)` in this dtype, as a unary op (or an op with an `f64` scalar)
    /// computes it.
    #[inline]
    fn map(self, f: impl FnOnce(f64) -> f64) -> ScalarGrad {
        ScalarGrad::new(f(self.v), self.dtype)
    }

    /// `self + other`, the sum of two gradients.
    #[inline]
    pub fn add(self, other: ScalarGrad) -> ScalarGrad {
        self.zip(other, |a, b| a + b)
    }
}

/// [`fit`] for one element: `sum_to` a shape other than the gradient's sums
/// from `+0.0`, which turns a `-0.0` into `+0.0`.
#[inline]
fn fit_scalar(g: ScalarGrad, from: &[usize], to: &[usize]) -> ScalarGrad {
    if same_shape(from, to) {
        g
    } else {
        ScalarGrad { v: g.v + 0.0, ..g }
    }
}

/// Data that may hold a single element.
trait One {
    fn one(&self) -> Option<ScalarGrad>;
}

impl One for Tensor {
    #[inline]
    fn one(&self) -> Option<ScalarGrad> {
        self.inner.buffer.one()
    }
}

impl One for Buffer {
    #[inline]
    fn one(&self) -> Option<ScalarGrad> {
        Buffer::one(self)
    }
}

/// The value of a saved one-element tensor, or `None` (no scalar path).
macro_rules! value {
    ($t:expr) => {
        match One::one($t) {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

/// The gradients of a node's inputs as values (see [`ScalarGrad`]).
pub(crate) type ScalarGrads = [Option<ScalarGrad>; 2];

impl Op {
    /// [`Op::backward`] for a one-element gradient `g` while no graph is
    /// recorded: the same values, without tensors. `Ok(None)` for ops without
    /// this path (the caller then runs [`Op::backward`]).
    pub fn backward_scalar(
        &self,
        g: ScalarGrad,
        node: &Arc<TensorInner>,
        needs: &[bool],
    ) -> Result<Option<ScalarGrads>> {
        use Op::*;
        let n = &**node;
        let out: &[usize] = &n.shape;
        let one = |s: ScalarGrad| Ok(Some([Some(s), None]));
        let neg = |s: ScalarGrad| ScalarGrad { v: -s.v, ..s };
        // `g * d(v)` computed in f64, as `chain` and `chain_out` do.
        let chain = |v: ScalarGrad, d: &dyn Fn(f64) -> f64| one(g.zip(v, |g, v| g * d(v)));
        match self {
            Add => {
                let (lhs, rhs) = input_shapes(n);
                Ok(Some([
                    needs[0].then(|| fit_scalar(g, out, lhs)),
                    needs[1].then(|| fit_scalar(g, out, rhs)),
                ]))
            }
            Sub => {
                let (lhs, rhs) = input_shapes(n);
                Ok(Some([
                    needs[0].then(|| fit_scalar(g, out, lhs)),
                    needs[1].then(|| fit_scalar(neg(g), out, rhs)),
                ]))
            }
            Mul { lhs, rhs } => {
                let ((a, a_shape), (b, b_shape)) = (lhs.checked(n)?, rhs.checked(n)?);
                let (av, bv) = (value!(a), value!(b));
                Ok(Some([
                    needs[0].then(|| fit_scalar(g.zip(bv, |g, b| g * b), out, a_shape)),
                    needs[1].then(|| fit_scalar(g.zip(av, |g, a| g * a), out, b_shape)),
                ]))
            }
            Div { lhs, rhs } => {
                let ((a, a_shape), (b, b_shape)) = (lhs.checked(n)?, rhs.checked(n)?);
                let (av, bv) = (value!(a), value!(b));
                Ok(Some([
                    needs[0].then(|| fit_scalar(g.zip(bv, |g, b| g / b), out, a_shape)),
                    needs[1].then(|| {
                        // -(g * a) / (b * b), each product rounded as the tensor ops do.
                        let num = neg(g.zip(av, |g, a| g * a));
                        let den = bv.zip(bv, |b, c| b * c);
                        fit_scalar(num.zip(den, |x, y| x / y), out, b_shape)
                    }),
                ]))
            }
            Neg => one(neg(g)),
            Scalar { kind, s } => {
                let s = *s;
                one(match kind {
                    ScalarKind::Add | ScalarKind::Sub => g,
                    ScalarKind::RSub => neg(g),
                    ScalarKind::Mul => g.map(|g| g * s),
                    ScalarKind::Div => g.map(|g| g / s),
                })
            }
            RDiv { x, s } => {
                let s = *s;
                chain(value!(x.checked(n)?.0), &d::rdiv(s))
            }
            Pow { x, exponent } => {
                let p = *exponent;
                let x = value!(x.checked(n)?.0);
                if p == 0.0 {
                    return one(ScalarGrad { v: 0.0, ..g });
                }
                chain(x, &d::pow(p))
            }
            Exp { out } => chain(value!(out.checked(node)?), &d::exp),
            Ln { x } => chain(value!(x.checked(n)?.0), &d::ln),
            Tanh { out } => chain(value!(out.checked(node)?), &d::tanh),
            Sigmoid { out } => chain(value!(out.checked(node)?), &d::sigmoid),
            Relu { out } => chain(value!(out.checked(node)?), &step),
            Sin { x } => chain(value!(x.checked(n)?.0), &f64::cos),
            Cos { x } => chain(value!(x.checked(n)?.0), &d::cos),
            Sqrt { out } => chain(value!(out.checked(node)?), &d::sqrt),
            Abs { x } => chain(value!(x.checked(n)?.0), &sign),
            Clamp { x, min, max } => chain(value!(x.checked(n)?.0), &d::clamp(*min, *max)),
            Clone => one(g),
            ToDtype { from } => one(g.cast(*from)),
            // The input has one element too: `expand` copies the value.
            Sum | SumTo if numel(input_shape(n)) == 1 => one(g),
            Mean if numel(input_shape(n)) == 1 => one(g.map(|g| g / 1.0)),
            View { .. } => one(g),
            Expand => one(fit_scalar(g, out, input_shape(n))),
            _ => Ok(None),
        }
    }
}

/// The gradients of a node's inputs, one per edge; inline for the usual one or
/// two inputs so that running a node allocates no list.
pub(crate) enum Grads {
    Inline([Option<Tensor>; 2], u8),
    Heap(Vec<Option<Tensor>>),
}

impl From<Vec<Option<Tensor>>> for Grads {
    fn from(v: Vec<Option<Tensor>>) -> Grads {
        Grads::Heap(v)
    }
}

impl FromIterator<Option<Tensor>> for Grads {
    fn from_iter<I: IntoIterator<Item = Option<Tensor>>>(it: I) -> Grads {
        Grads::Heap(it.into_iter().collect())
    }
}

impl IntoIterator for Grads {
    type Item = Option<Tensor>;
    type IntoIter = GradsIter;
    fn into_iter(self) -> GradsIter {
        match self {
            Grads::Inline(g, n) => GradsIter::Inline(g.into_iter().take(n as usize)),
            Grads::Heap(v) => GradsIter::Heap(v.into_iter()),
        }
    }
}

pub(crate) enum GradsIter {
    Inline(std::iter::Take<std::array::IntoIter<Option<Tensor>, 2>>),
    Heap(std::vec::IntoIter<Option<Tensor>>),
}

impl Iterator for GradsIter {
    type Item = Option<Tensor>;
    fn next(&mut self) -> Option<Option<Tensor>> {
        match self {
            GradsIter::Inline(it) => it.next(),
            GradsIter::Heap(it) => it.next(),
        }
    }
}

/// The gradients of a two-input op whose input gradients are `f0(g)` and
/// `f1(g)`, cloning `g` only when both inputs want one.
fn split(
    g: Tensor,
    needs: &[bool],
    f0: impl FnOnce(Tensor) -> Tensor,
    f1: impl FnOnce(Tensor) -> Tensor,
) -> Grads {
    let pair = match (needs[0], needs[1]) {
        (true, true) => [Some(f0(g.clone())), Some(f1(g))],
        (true, false) => [Some(f0(g)), None],
        (false, true) => [None, Some(f1(g))],
        (false, false) => [None, None],
    };
    Grads::Inline(pair, 2)
}

/// The shapes of a two-input node's inputs, from its edges; `[]` for an input
/// without an edge, which needs no gradient (`needs` is false for it).
#[inline]
fn input_shapes(node: &TensorInner) -> (&[usize], &[usize]) {
    let edges = &node.node().edges;
    let shape = |i: usize| edges.get(i).and_then(Edge::shape).unwrap_or(&[]);
    (shape(0), shape(1))
}

/// The shape of a one-input node's input, from its edge.
#[inline]
fn input_shape(node: &TensorInner) -> &[usize] {
    input_shapes(node).0
}

/// `t` summed down to `shape`, the shape of an input it was broadcast from.
fn fit(t: Tensor, shape: &[usize]) -> Tensor {
    if same_shape(t.shape(), shape) {
        t
    } else {
        t.sum_to(shape)
    }
}

/// Slice equality without a `memcmp` call, for the few dimensions of a shape.
#[inline]
pub(crate) fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn pow_backward(g: &Tensor, x: &Tensor, p: f64) -> Tensor {
    if p == 0.0 {
        return g.zeros_like();
    }
    chain(g, x, d::pow(p), |x| x.pow(p - 1.0) * p)
}

/// `g * f'(v)` for an element-wise op whose derivative is `d(v)` of a saved
/// value `v`. Without `create_graph` this is one fused loop; with it, the
/// tensor formula `graph(v)` is recorded so that the gradient is differentiable
/// again. Both formulas of an op sit side by side in its `backward` arm.
fn chain(
    g: &Tensor,
    v: &Tensor,
    d: impl Fn(f64) -> f64 + Sync,
    graph: impl FnOnce(&Tensor) -> Tensor,
) -> Tensor {
    if is_grad_enabled() {
        return g * graph(v);
    }
    fused(g, &v.inner.buffer, v.shape(), |g, v| g * d(v))
}

/// [`chain`] for an op that saved its output: without `create_graph` the
/// saved data is read in place, with no tensor built around it.
fn chain_out(
    g: &Tensor,
    out: &SavedOut,
    node: &Arc<TensorInner>,
    d: impl Fn(f64) -> f64 + Sync,
    graph: impl FnOnce(&Tensor) -> Tensor,
) -> Result<Tensor> {
    if is_grad_enabled() {
        return Ok(g * graph(&out.get(node)?));
    }
    out.checked(node)?;
    Ok(fused(g, &out.buffer, &node.shape, |g, v| g * d(v)))
}

/// `g * t`, as one loop when no graph is recorded.
fn prod(g: &Tensor, t: &Tensor) -> Tensor {
    if is_grad_enabled() {
        g * t
    } else {
        fused(g, &t.inner.buffer, t.shape(), |g, t| g * t)
    }
}

/// `f(g, v)` element-wise, outside any graph, for a `v` of `g`'s shape (the
/// usual case: a loop over both slices, on the kernel pool when they are large)
/// or one that broadcasts to it.
fn fused(
    g: &Tensor,
    v: &BufferRef,
    v_shape: &[usize],
    f: impl Fn(f64, f64) -> f64 + Sync,
) -> Tensor {
    if same_shape(g.shape(), v_shape) {
        let same = Arc::ptr_eq(&g.inner.buffer, v);
        let gd = g.data();
        let vd = if same { None } else { Some(v.read()) };
        let s = match (&*gd, vd.as_deref().unwrap_or(&gd)) {
            (Storage::F32(a), Storage::F32(b)) => Some(Storage::F32(zip_slices(a, b, |&a, &b| {
                f32::from_f64(f(a.to_f64(), b.to_f64()))
            }))),
            (Storage::F64(a), Storage::F64(b)) => {
                Some(Storage::F64(zip_slices(a, b, |&a, &b| f(a, b))))
            }
            _ => None,
        };
        if let Some(s) = s {
            return Tensor::from_storage(s, g.shape());
        }
    }
    let v = Tensor::from_parts(v.clone(), v_shape, v.dtype(), None);
    Tensor::from_storage(g.zip_data(&v, g.shape(), f), g.shape())
}

fn step(x: f64) -> f64 {
    f64::from(u8::from(x > 0.0))
}

/// The derivatives of the element-wise ops as functions of the value they saved
/// (input `x` or output `y`), for both backward paths: the fused loop of
/// [`chain`] / [`chain_out`] and the one-element [`Op::backward_scalar`].
/// (`relu`, `sin` and `abs` use [`step`], `f64::cos` and [`sign`].)
mod d {
    pub fn exp(y: f64) -> f64 {
        y
    }
    pub fn ln(x: f64) -> f64 {
        1.0 / x
    }
    pub fn tanh(y: f64) -> f64 {
        1.0 - y * y
    }
    pub fn sigmoid(y: f64) -> f64 {
        y * (1.0 - y)
    }
    pub fn cos(x: f64) -> f64 {
        -x.sin()
    }
    pub fn sqrt(y: f64) -> f64 {
        0.5 / y
    }
    /// Of `s / x`.
    pub fn rdiv(s: f64) -> impl Fn(f64) -> f64 + Sync {
        move |x| -s / (x * x)
    }
    /// Of `x^p`, `p != 0`.
    pub fn pow(p: f64) -> impl Fn(f64) -> f64 + Sync {
        move |x| p * x.powf(p - 1.0)
    }
    /// Of `clamp(x, lo, hi)`: 1 inside the bounds, bounds included.
    pub fn clamp(lo: f64, hi: f64) -> impl Fn(f64) -> f64 + Sync {
        move |x| f64::from(u8::from(lo <= x && x <= hi))
    }
}

/// Re-inserts a reduced dimension so the gradient broadcasts against the input.
fn keep_dim(g: &Tensor, dim: usize, keepdim: bool) -> Tensor {
    if keepdim {
        g.clone()
    } else {
        g.unsqueeze(dim)
    }
}

fn invert(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}
