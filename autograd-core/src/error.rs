//! The one error type of the library.
//!
//! Every variant names the operation that failed and carries the shapes involved,
//! so that a message read in a log says what to fix without a debugger.

/// Everything that can go wrong at run time.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operands of an element-wise op do not broadcast.
    #[error("{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")]
    Broadcast {
        /// The operation, e.g. `"mul"`.
        op: &'static str,
        /// Shape of the left operand.
        lhs: Vec<usize>,
        /// Shape of the right operand.
        rhs: Vec<usize>,
    },

    /// Two shapes that must agree (matrix product, convolution, in-place update,
    /// concatenation...) do not.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible: {reason}")]
    ShapeMismatch {
        /// The operation, e.g. `"matmul"`.
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand.
        rhs: Vec<usize>,
        /// What was expected instead.
        reason: String,
    },

    /// A shape argument is invalid for the tensor it is applied to.
    #[error("{op}: invalid for a tensor of shape {shape:?}: {reason}")]
    InvalidArgument {
        /// The operation, e.g. `"reshape"`.
        op: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
        /// What is wrong.
        reason: String,
    },

    /// A dimension index outside `-rank..rank`.
    #[error("{op}: dimension {dim} is out of range for a tensor of rank {rank}")]
    DimOutOfRange {
        /// The operation.
        op: &'static str,
        /// The dimension given.
        dim: i64,
        /// The rank of the tensor.
        rank: usize,
    },

    /// An element index past the end of a dimension.
    #[error("{op}: index {index} is out of range for a dimension of size {size}")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The index given.
        index: usize,
        /// The size of the dimension.
        size: usize,
    },

    /// A list of tensors that must not be empty is.
    #[error("{op}: expected a non-empty list of tensors")]
    Empty {
        /// The operation.
        op: &'static str,
    },

    /// `backward()` without an explicit gradient on a tensor with more than one
    /// element (PyTorch's message).
    #[error(
        "grad can be implicitly created only for scalar outputs: the output has shape {shape:?}; \
         pass a gradient of that shape to backward_with"
    )]
    NonScalarOutput {
        /// Shape of the output.
        shape: Vec<usize>,
    },

    /// `item()` on a tensor with more than one element.
    #[error(
        "{op}: a tensor with {numel} elements (shape {shape:?}) cannot be converted to a scalar"
    )]
    NotAScalar {
        /// The operation.
        op: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
        /// Its number of elements.
        numel: usize,
    },

    /// Backward from (or gradient with respect to) a tensor outside any graph.
    #[error(
        "{op}: element {index} of tensors does not require grad and does not have a grad_fn \
         (shape {shape:?})"
    )]
    NoGradFn {
        /// The operation (`"backward"` or `"grad"`).
        op: &'static str,
        /// Position of the tensor in the list given.
        index: usize,
        /// Its shape.
        shape: Vec<usize>,
    },

    /// The gradient given to `backward_with` does not match the output.
    #[error("{op}: gradient of shape {grad:?} does not match the output of shape {output:?}")]
    GradShape {
        /// The operation.
        op: &'static str,
        /// Shape of the gradient given.
        grad: Vec<usize>,
        /// Shape of the output.
        output: Vec<usize>,
    },

    /// A second backward through a graph whose saved tensors were freed.
    #[error(
        "trying to backward through the graph a second time: the saved tensors of {node} were \
         freed by the first backward; pass retain_graph: true (BackwardOptions) to the first \
         backward to keep the graph"
    )]
    GraphFreed {
        /// Name of the node, e.g. `"MulBackward0"`.
        node: String,
    },

    /// Under `detect_anomaly`, a node's backward returned a NaN (PyTorch's
    /// message, with where the forward op was recorded).
    #[error(
        "Function '{node}' returned nan values in its {output}th output; {}",
        match recorded_at {
            Some(at) => format!("the forward op was recorded at {at}"),
            None => "the forward op was recorded outside detect_anomaly, so its location is unknown".to_string(),
        }
    )]
    AnomalyNan {
        /// Name of the node, e.g. `"DivBackward0"`.
        node: String,
        /// Index of the input whose gradient holds the NaN.
        output: usize,
        /// `file:line:column` of the op's call, if it was recorded under
        /// `detect_anomaly`.
        recorded_at: Option<String>,
    },

    /// A tensor saved for backward was modified in place afterwards.
    #[error(
        "one of the variables needed for gradient computation has been modified by an inplace \
         operation: {node} saved a tensor of shape {shape:?} at version {saved_version}, and \
         {inplace} has since brought it to version {version}"
    )]
    ModifiedInPlace {
        /// Name of the node that saved the tensor.
        node: String,
        /// The in-place op that last modified it, e.g. `"add_"`.
        inplace: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
        /// Version when saved.
        saved_version: u32,
        /// Version now.
        version: u32,
    },

    /// An in-place op on a tensor that takes part in a graph.
    #[error(
        "{op}: a tensor of shape {shape:?} that requires grad is being used in an in-place \
         operation; run it under no_grad or use the out-of-place op"
    )]
    InPlaceOnGraph {
        /// The in-place op.
        op: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
    },

    /// An inference tensor (created in `inference_mode`) used outside inference
    /// mode where autograd would need it: updated in place, set to require
    /// grad, or saved for backward.
    #[error(
        "{op}: a tensor of shape {shape:?} was created in inference_mode: inference tensors \
         cannot be updated in place, require grad or be saved for backward outside \
         inference_mode; make a normal copy with deep_clone() outside it, or use no_grad \
         instead of inference_mode"
    )]
    InferenceTensor {
        /// The op that needed the tensor (`"add_"`, `"requires_grad_"`, or the
        /// node that would save it, e.g. `"MulBackward0"`).
        op: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
    },

    /// `requires_grad_(false)` on a tensor produced by a recorded op.
    #[error(
        "requires_grad_: you can only change requires_grad flags of leaf variables; use detach() \
         to get a tensor that does not require grad"
    )]
    NonLeafRequiresGrad,

    /// A value cannot be converted to or from the requested type.
    #[error("{op}: a tensor of shape {shape:?} cannot be converted: {reason}")]
    Conversion {
        /// The conversion.
        op: &'static str,
        /// Shape of the tensor.
        shape: Vec<usize>,
        /// Why.
        reason: String,
    },

    /// A custom function's `backward` returned something unusable.
    #[error("{node}: {reason}")]
    CustomFunction {
        /// Name of the custom node.
        node: String,
        /// What went wrong.
        reason: String,
    },

    /// `gradcheck` found an analytical derivative that differs from central
    /// differences.
    #[error(
        "gradcheck: jacobian mismatch for input {input} at (output {output}, element {element}): \
         analytical {analytical}, numerical {numerical}"
    )]
    GradcheckMismatch {
        /// Index of the input tensor.
        input: usize,
        /// Flat index of the output element.
        output: usize,
        /// Flat index of the input element.
        element: usize,
        /// The derivative backward computed.
        analytical: f64,
        /// The central-difference estimate.
        numerical: f64,
    },

    /// A tensor passed to a `#[differentiable]` function's `apply` does not match
    /// the function's static signature.
    #[error(
        "{function}::apply: parameter `{parameter}` is {expected}, but the tensor has {found}"
    )]
    Signature {
        /// The differentiable function.
        function: &'static str,
        /// The parameter (or "the output's gradient").
        parameter: &'static str,
        /// The static type, its shape and dtype.
        expected: String,
        /// The tensor's shape and dtype.
        found: String,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
