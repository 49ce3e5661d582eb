//! In-place ops. Each replaces the data and bumps the version counter, so a
//! backward that saved the old value fails instead of using the new one.
//!
//! Under grad mode, `add_`, `sub_`, `mul_` and `div_` on a non-leaf (a tensor a
//! recorded op produced) rebase the graph as PyTorch does: the tensor's
//! `grad_fn` becomes the op's node (`MulBackward0`, ..) whose input is the node
//! the tensor had, so gradients flow on to earlier inputs; consumers recorded
//! before keep differentiating the old value. A node that saved the old value
//! (`exp` saves its output) then fails backward with the version error, as in
//! PyTorch. Refused under grad mode, with `Error::InPlaceOnGraph`: in-place ops
//! on a leaf that requires grad (PyTorch refuses too); on a leaf that does not
//! with an operand that does, on a tensor whose data a view (`reshape`, ..)
//! shares, and `copy_`, `fill_`, `zero_` on graph tensors (PyTorch rebases
//! these too; this tape does not yet). Under `no_grad` every in-place op is
//! allowed, which is what optimizers need.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::grad_mode::is_grad_enabled;
use crate::tensor::handle::{ok, BufferRef, Tensor};
use crate::tensor::kernels::elementwise::as_dtype;
use crate::tensor::op::ScalarKind;
use crate::tensor::shape::broadcast_shapes;
use crate::Error;

/// The right-hand side of an in-place op (`t.add_(rhs)`): a tensor, broadcast
/// to the updated one's shape, or an `f64` scalar, kept in the tensor's dtype.
#[derive(Clone, Copy)]
pub enum Rhs<'a> {
    /// A tensor operand.
    Tensor(&'a Tensor),
    /// A scalar operand (PyTorch's wrapped number).
    Scalar(f64),
}

impl<'a> From<&'a Tensor> for Rhs<'a> {
    #[track_caller]
    fn from(t: &'a Tensor) -> Rhs<'a> {
        Rhs::Tensor(t)
    }
}

impl From<f64> for Rhs<'_> {
    #[track_caller]
    fn from(v: f64) -> Self {
        Rhs::Scalar(v)
    }
}

/// An in-place binary op and its `try_` twin; `$kind` is the op a rebase
/// records (`None`: never rebased).
macro_rules! inplace_binary {
    ($name:ident, $try:ident, $what:literal, $f:expr, $kind:expr) => {
        #[doc = concat!($what, " in place, `other` being a `&Tensor` broadcast to this tensor's shape or an `f64` (`t.", stringify!($name), "`).")]
        ///
        /// On a non-leaf under grad mode the graph is rebased, as in PyTorch: the
        /// tensor's `grad_fn` becomes this op's node, whose input is the node it
        /// had; a node that saved the old value fails backward.
        ///
        /// # Panics
        /// If the shapes do not fit, or the op is refused (a leaf that requires
        /// grad under grad mode, an inference tensor outside inference mode); see
        #[doc = concat!("[`Tensor::", stringify!($try), "`].")]
        #[track_caller]
        pub fn $name<'a>(&self, other: impl Into<Rhs<'a>>) -> Tensor {
            ok(self.$try(other))
        }

        #[doc = concat!("Fallible [`Tensor::", stringify!($name), "`].")]
        #[track_caller]
        pub fn $try<'a>(&self, other: impl Into<Rhs<'a>>) -> Result<Tensor> {
            self.inplace_binary(stringify!($name), other.into(), $f, $kind)
        }
    };
}

impl Tensor {
    #[track_caller]
    fn check_inplace(&self, op: &'static str, other: Option<&Tensor>) -> Result<()> {
        self.check_not_inference(op)?;
        let involved = self.requires_grad() || other.is_some_and(Tensor::requires_grad);
        if is_grad_enabled() && involved {
            return Err(Error::InPlaceOnGraph {
                op,
                shape: self.shape().to_vec(),
            });
        }
        Ok(())
    }

    #[track_caller]
    fn inplace_binary(
        &self,
        op: &'static str,
        rhs: Rhs<'_>,
        f: fn(f64, f64) -> f64,
        kind: Option<ScalarKind>,
    ) -> Result<Tensor> {
        let scalar;
        let other = match rhs {
            Rhs::Tensor(t) => t,
            Rhs::Scalar(v) => {
                scalar = Tensor::full(&[], v, self.dtype());
                &scalar
            }
        };
        if *broadcast_shapes(op, self.shape(), other.shape())? != *self.shape() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: other.shape().to_vec(),
                reason: "the result of an in-place op must keep the tensor's shape".into(),
            });
        }
        let graph = is_grad_enabled() && (self.requires_grad() || other.requires_grad());
        if let (true, Some(kind)) = (graph, kind) {
            if !self.is_leaf() && !self.has_views() {
                self.check_not_inference(op)?;
                return self.rebase(op, kind, rhs, other);
            }
        }
        self.check_inplace(op, Some(other))?;
        let s = self.par_zip_data(other, self.shape(), f);
        let s = as_dtype(&s, self.dtype()).into_owned();
        self.inner.buffer.replace(s, op);
        Ok(self.clone())
    }

    /// `self op= other` on a non-leaf under grad mode, as PyTorch rebases the
    /// graph: the node of the old value moves to a block of its own (where the
    /// gradients of consumers recorded before still go), the op is recorded on
    /// it out of place as usual, its result is written into this tensor's data
    /// (a version bump, so what saved the old value fails backward), and every
    /// handle of this tensor now leads to the new node.
    #[track_caller]
    fn rebase(
        &self,
        op: &'static str,
        kind: ScalarKind,
        rhs: Rhs<'_>,
        other: &Tensor,
    ) -> Result<Tensor> {
        let root = self.inner.meta.clone();
        let block = self.current_block();
        let old = Tensor::split_node(&block);
        // `mul` and `div` by a tensor save their left operand, which the
        // in-place write overwrites: they get a copy (PyTorch saves the
        // original self too).
        let saves_self =
            matches!(rhs, Rhs::Tensor(_)) && matches!(kind, ScalarKind::Mul | ScalarKind::Div);
        let old_data = if saves_self {
            BufferRef::new(self.data().clone())
        } else {
            self.inner.buffer.clone()
        };
        let y_old = Tensor::from_handle(old.clone(), old_data);
        let z = match rhs {
            Rhs::Scalar(v) => y_old.scalar_op(kind, v),
            Rhs::Tensor(_) => {
                let other = other.to_dtype(self.dtype());
                match kind {
                    ScalarKind::Add => y_old.try_add(&other),
                    ScalarKind::Sub => y_old.try_sub(&other),
                    ScalarKind::Mul => y_old.try_mul(&other),
                    ScalarKind::Div => y_old.try_div(&other),
                    ScalarKind::RSub => unreachable!("no in-place op is a reversed sub"),
                }
                .expect("the shapes were checked")
            }
        };
        let s = as_dtype(&z.data(), self.dtype()).into_owned();
        self.inner.buffer.replace(s, op);
        let current = z.inner.meta.clone();
        Tensor::finish_rebase(&root, &block, old, current.clone());
        Ok(Tensor::from_handle(current, self.inner.buffer.clone()))
    }

    #[track_caller]
    fn inplace_fill(&self, op: &'static str, v: f64) -> Result<Tensor> {
        self.check_inplace(op, None)?;
        self.inner
            .buffer
            .replace(Storage::full(self.numel(), v, self.dtype()), op);
        Ok(self.clone())
    }

    inplace_binary!(
        add_,
        try_add_,
        "`self += other`",
        |a, b| a + b,
        Some(ScalarKind::Add)
    );
    inplace_binary!(
        sub_,
        try_sub_,
        "`self -= other`",
        |a, b| a - b,
        Some(ScalarKind::Sub)
    );
    inplace_binary!(
        mul_,
        try_mul_,
        "`self *= other`",
        |a, b| a * b,
        Some(ScalarKind::Mul)
    );
    inplace_binary!(
        div_,
        try_div_,
        "`self /= other`",
        |a, b| a / b,
        Some(ScalarKind::Div)
    );
    inplace_binary!(
        copy_,
        try_copy_,
        "Copies `other` into this tensor:",
        |_, b| b,
        None
    );

    /// Sets every element to 0 (`t.zero_()`).
    ///
    /// # Panics
    /// If the tensor is part of a graph while grad mode is on; see
    /// [`Tensor::try_zero_`].
    #[track_caller]
    pub fn zero_(&self) -> Tensor {
        ok(self.try_zero_())
    }

    /// Fallible [`Tensor::zero_`].
    #[track_caller]
    pub fn try_zero_(&self) -> Result<Tensor> {
        self.inplace_fill("zero_", 0.0)
    }

    /// Sets every element to `value` (`t.fill_(value)`).
    ///
    /// # Panics
    /// If the tensor is part of a graph while grad mode is on; see
    /// [`Tensor::try_fill_`].
    #[track_caller]
    pub fn fill_(&self, value: f64) -> Tensor {
        ok(self.try_fill_(value))
    }

    /// Fallible [`Tensor::fill_`].
    #[track_caller]
    pub fn try_fill_(&self, value: f64) -> Result<Tensor> {
        self.inplace_fill("fill_", value)
    }
}
