//! In-place ops. Each replaces the data and bumps the version counter, so a
//! backward that saved the old value fails instead of using the new one.
//!
//! In-place ops on a tensor that takes part in a graph are refused while grad
//! mode is on (PyTorch rebases the graph instead; this tape does not). Under
//! `no_grad` they are allowed, which is what optimizers need.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::grad_mode::is_grad_enabled;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::elementwise::as_dtype;
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

/// An in-place binary op and its `try_` twin.
macro_rules! inplace_binary {
    ($name:ident, $try:ident, $what:literal, $f:expr) => {
        #[doc = concat!($what, " in place, `other` (a `&Tensor` broadcast to this tensor's shape, or an `f64`) (`t.", stringify!($name), "`).")]
        ///
        /// # Panics
        /// If the shapes do not fit, or the tensor or `other` requires grad while
        #[doc = concat!("grad mode is on; see [`Tensor::", stringify!($try), "`].")]
        #[track_caller]
        pub fn $name<'a>(&self, other: impl Into<Rhs<'a>>) -> Tensor {
            ok(self.$try(other))
        }

        #[doc = concat!("Fallible [`Tensor::", stringify!($name), "`].")]
        pub fn $try<'a>(&self, other: impl Into<Rhs<'a>>) -> Result<Tensor> {
            match other.into() {
                Rhs::Tensor(t) => self.inplace_binary(stringify!($name), t, $f),
                Rhs::Scalar(v) => {
                    let t = Tensor::full(&[], v, self.dtype());
                    self.inplace_binary(stringify!($name), &t, $f)
                }
            }
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
        other: &Tensor,
        f: fn(f64, f64) -> f64,
    ) -> Result<Tensor> {
        self.check_inplace(op, Some(other))?;
        if *broadcast_shapes(op, self.shape(), other.shape())? != *self.shape() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: other.shape().to_vec(),
                reason: "the result of an in-place op must keep the tensor's shape".into(),
            });
        }
        let s = self.par_zip_data(other, self.shape(), f);
        let s = as_dtype(&s, self.dtype()).into_owned();
        self.inner.buffer.replace(s, op);
        Ok(self.clone())
    }

    #[track_caller]
    fn inplace_fill(&self, op: &'static str, v: f64) -> Result<Tensor> {
        self.check_inplace(op, None)?;
        self.inner
            .buffer
            .replace(Storage::full(self.numel(), v, self.dtype()), op);
        Ok(self.clone())
    }

    inplace_binary!(add_, try_add_, "`self += other`", |a, b| a + b);
    inplace_binary!(sub_, try_sub_, "`self -= other`", |a, b| a - b);
    inplace_binary!(mul_, try_mul_, "`self *= other`", |a, b| a * b);
    inplace_binary!(div_, try_div_, "`self /= other`", |a, b| a / b);
    inplace_binary!(
        copy_,
        try_copy_,
        "Copies `other` into this tensor:",
        |_, b| b
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
