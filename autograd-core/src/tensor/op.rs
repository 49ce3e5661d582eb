//! The recorded ops: the graph as data.
//!
//! [`Op`] is one variant per recorded operation, holding what its backward needs;
//! its derivatives are in `backward.rs`, one exhaustive `match` with no catch-all
//! arm, so adding an op does not compile until its derivative is written. What
//! an op saves for backward (inputs with their version, outputs) is in `saved.rs`.

use super::custom::{Function, FunctionCtx};
use super::dtype::DType;
use super::handle::Tensor;
use super::kernels::conv::Window;
use super::kernels::layout::GatherGeom;
use super::saved::{Saved, SavedInput, SavedOut};
use super::shape::Shape;
use std::borrow::Cow;
use std::sync::Arc;

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
    /// `disjoint`: the windows do not overlap (stride at least the kernel), so
    /// each input element is picked by at most one output.
    MaxPool2d {
        disjoint: bool,
    },
    Sort,
    Topk,
}

/// Which op adds `src` into a copy of a tensor at computed offsets, for its
/// PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddAtKind {
    ScatterAdd,
    IndexAdd,
}

/// Which op wrote at indices (`PutAt`), for the PyTorch node name and whether
/// it had a `src` input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PutAtKind {
    Scatter,
    ScatterValue,
    IndexCopy,
    IndexFill,
}

impl PutAtKind {
    /// Whether the values written came from a tensor (input 1).
    pub(crate) fn has_src(self) -> bool {
        matches!(self, PutAtKind::Scatter | PutAtKind::IndexCopy)
    }
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

/// Which piecewise-constant function a rounding op is, for its PyTorch node name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoundingKind {
    Floor,
    Ceil,
    Round,
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
    Tan {
        out: SavedOut,
    },
    Asin {
        x: SavedInput,
    },
    Acos {
        x: SavedInput,
    },
    Atan {
        x: SavedInput,
    },
    Atan2 {
        lhs: SavedInput,
        rhs: SavedInput,
    },
    Log1p {
        x: SavedInput,
    },
    Expm1 {
        out: SavedOut,
    },
    /// `floor`, `ceil`, `round`: zero gradient, nothing saved.
    Rounding {
        kind: RoundingKind,
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
    /// `prod` (`dim: None`) and `prod_dim`.
    Prod {
        x: SavedInput,
        dim: Option<usize>,
        keepdim: bool,
    },
    /// `var`, `std` (`dim: None`), `var_dim`, `std_dim`.
    Var {
        x: SavedInput,
        dim: Option<usize>,
        keepdim: bool,
        std: bool,
    },
    Cumsum {
        dim: usize,
    },
    Cumprod {
        x: SavedInput,
        dim: usize,
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
    /// `narrow`, and a piece of `split` or `chunk` (`split`).
    Narrow {
        dim: usize,
        start: usize,
        split: bool,
    },
    Repeat {
        repeats: Vec<usize>,
    },
    Flip {
        dims: Vec<usize>,
    },
    MaskedFill {
        /// `1.0` where filled.
        mask: Tensor,
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
    /// `scatter_add` and `index_add`: input 0 plus `src` (input 1) element
    /// `from[k]` (`k` for `None`) added at flat offset `dst[k]`.
    AddAt {
        kind: AddAtKind,
        dst: Arc<[usize]>,
        from: Option<Arc<[usize]>>,
    },
    /// `scatter`, `index_copy` (`src`, input 1, element `from[k]` (`k` for
    /// `None`) written at flat offset `dst[k]`) and the fills `scatter_value`,
    /// `index_fill` (one input).
    PutAt {
        kind: PutAtKind,
        /// `1.0` where the output was written.
        written: Tensor,
        dst: Arc<[usize]>,
        from: Option<Arc<[usize]>>,
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
    /// `cols`: the input's im2col columns, kept from the forward (as PyTorch's
    /// `slow_conv2d` keeps its `finput`) when the weight requires grad, so that
    /// backward does not build them again (boxed, so that an `Op` stays small).
    Conv2d {
        x: Saved,
        w: Saved,
        win: Box<Window>,
        cols: Option<Box<Saved>>,
    },
    /// `win` is the window of the convolution whose input the output is.
    ConvTranspose2d {
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
    /// The node of a tensor an in-place op rebased (`ops/inplace.rs`): its op
    /// moved to `old`, where the gradients of consumers recorded before the
    /// in-place op go on to; the tensor's handles now lead to `current`.
    Rebased {
        old: Arc<super::handle::TensorInner>,
        current: Arc<super::handle::TensorInner>,
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
            Tan { .. } => "TanBackward0",
            Asin { .. } => "AsinBackward0",
            Acos { .. } => "AcosBackward0",
            Atan { .. } => "AtanBackward0",
            Atan2 { .. } => "Atan2Backward0",
            Log1p { .. } => "Log1PBackward0",
            Expm1 { .. } => "Expm1Backward0",
            Rounding { kind } => match kind {
                RoundingKind::Floor => "FloorBackward0",
                RoundingKind::Ceil => "CeilBackward0",
                RoundingKind::Round => "RoundBackward0",
            },
            Clone => "CloneBackward0",
            ToDtype { .. } => "ToCopyBackward0",
            Sum => "SumBackward0",
            Mean => "MeanBackward0",
            SumDim { .. } => "SumBackward1",
            MeanDim { .. } => "MeanBackward1",
            Prod { dim: None, .. } => "ProdBackward0",
            Prod { dim: Some(_), .. } => "ProdBackward1",
            Var { std: false, .. } => "VarBackward0",
            Var { std: true, .. } => "StdBackward0",
            Cumsum { .. } => "CumsumBackward0",
            Cumprod { .. } => "CumprodBackward0",
            Flip { .. } => "FlipBackward0",
            MaskedFill { .. } => "MaskedFillBackward0",
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
            Narrow { split: false, .. } => "SliceBackward0",
            Narrow { split: true, .. } => "SplitBackward0",
            Repeat { .. } => "RepeatBackward0",
            Cat { .. } => "CatBackward0",
            Stack { .. } => "StackBackward0",
            Gather { kind, .. } => match kind {
                GatherKind::Gather => "GatherBackward0",
                GatherKind::IndexSelect => "IndexSelectBackward0",
                GatherKind::Max => "MaxBackward0",
                GatherKind::Min => "MinBackward0",
                GatherKind::MaxPool2d { .. } => "MaxPool2DWithIndicesBackward0",
                GatherKind::Sort => "SortBackward0",
                GatherKind::Topk => "TopkBackward0",
            },
            ScatterAdd { .. } => "ScatterAddBackward0",
            Where { .. } => "WhereBackward0",
            AddAt { kind, .. } => match kind {
                AddAtKind::ScatterAdd => "ScatterAddBackward0",
                AddAtKind::IndexAdd => "IndexAddBackward0",
            },
            PutAt { kind, .. } => match kind {
                PutAtKind::Scatter => "ScatterBackward0",
                PutAtKind::ScatterValue => "ScatterBackward1",
                PutAtKind::IndexCopy => "IndexCopyBackward0",
                PutAtKind::IndexFill => "IndexFillBackward0",
            },
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
            Conv2d { .. } | ConvTranspose2d { .. } => "ConvolutionBackward0",
            AvgPool2d { .. } => "AvgPool2DBackward0",
            Custom { f, .. } => return f.name(),
            // The node keeps the name it had; no handle shows it any more.
            Rebased { old, .. } => return Cow::Owned(old.name().to_string()),
        })
    }

    /// Whether backward needs tensors saved at forward time (which freeing the
    /// graph drops); ops that only kept shapes can be differentiated again.
    pub fn saves_tensors(&self) -> bool {
        use Op::*;
        match self {
            Add | Sub | Neg | Scalar { .. } | Clone | ToDtype { .. } => false,
            Rounding { .. } => false,
            Sum | Mean => false,
            SumDim { .. } | MeanDim { .. } | SumTo | Expand | View { .. } => false,
            Permute { .. } | Narrow { .. } | Cat { .. } | Stack { .. } => false,
            Gather { .. } | ScatterAdd { .. } => false,
            Cumsum { .. } | Flip { .. } | Repeat { .. } | AddAt { .. } => false,
            Prod { .. } | Var { .. } | Cumprod { .. } | MaskedFill { .. } | PutAt { .. } => true,
            Im2Col { .. } | Col2Im { .. } | AvgPool2d { .. } => false,
            Mul { .. } | Div { .. } | RDiv { .. } | Pow { .. } | Exp { .. } | Ln { .. } => true,
            Tanh { .. } => true,
            Sigmoid { .. } | Relu { .. } | Sin { .. } | Cos { .. } => true,
            Sqrt { .. } | Abs { .. } => true,
            Tan { .. } | Asin { .. } | Acos { .. } | Atan { .. } | Atan2 { .. } => true,
            Log1p { .. } | Expm1 { .. } => true,
            Clamp { .. } | Where { .. } | Matmul { .. } | Softmax { .. } | LogSoftmax { .. } => {
                true
            }
            Logsumexp { .. } | Conv2d { .. } | ConvTranspose2d { .. } | Custom { .. } => true,
            // Never freed: it routes gradients and resolves handles.
            Rebased { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Op;

    /// An op is moved several times while it is recorded: large, rare ops box
    /// their data rather than grow every op (see the tensor README). 72 bytes:
    /// `Matmul`'s kind beside its two saved inputs (64) already took it past
    /// the README's 64 before `tape-ops`; the ops added since fit within it.
    #[test]
    fn an_op_fits_in_72_bytes() {
        assert!(
            std::mem::size_of::<Op>() <= 72,
            "{}",
            std::mem::size_of::<Op>()
        );
    }
}
