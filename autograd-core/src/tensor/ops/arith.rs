//! `+ - * /` and `atan2` with NumPy broadcasting, and the operator impls for every mix of
//! `Tensor`, `&Tensor` and `f64`.

use crate::error::Result;
use crate::rules::{self, ScalarFn2};
use crate::tensor::dtype::Storage;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::elementwise::{zip, zip_local};
use crate::tensor::op::{Op, ScalarKind};
use crate::tensor::saved::SavedInput;
use crate::tensor::scalar::ScalarGrad;
use crate::tensor::shape::broadcast_shapes;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

impl Tensor {
    /// `f` element-wise over this tensor and `other` broadcast to `out`, without
    /// recording, on the calling thread (for an `f` that is not `Sync`; see
    /// [`Tensor::par_zip_data`]).
    #[track_caller]
    pub(crate) fn zip_data(
        &self,
        other: &Tensor,
        out: &[usize],
        f: impl Fn(f64, f64) -> f64,
    ) -> Storage {
        Tensor::read2(self, other, |a, b| {
            zip_local(a, self.shape(), b, other.shape(), out, f)
        })
    }

    /// [`Tensor::zip_data`] on the kernel pool when the output is large.
    #[track_caller]
    pub(crate) fn par_zip_data(
        &self,
        other: &Tensor,
        out: &[usize],
        f: impl Fn(f64, f64) -> f64 + Sync,
    ) -> Storage {
        Tensor::read2(self, other, |a, b| {
            zip(a, self.shape(), b, other.shape(), out, f)
        })
    }

    /// A broadcasting binary op: computes `f` element-wise and records `make`.
    #[track_caller]
    pub(crate) fn binary(
        &self,
        other: &Tensor,
        name: &'static str,
        // Generic, not a `fn` pointer: the kernel's loop inlines it (an indirect
        // call per element cost more than the arithmetic on small tensors).
        f: impl Fn(f64, f64) -> f64 + Sync + Copy,
        make: impl FnOnce(&Tensor, &Tensor) -> Op,
    ) -> Result<Tensor> {
        if let (Some(x), Some(y)) = (self.inner.buffer.one(), other.inner.buffer.one()) {
            // Two single elements: no broadcasting or kernel to run. The shape
            // is all ones, of the larger rank.
            let shape = if self.ndim() >= other.ndim() {
                self.shape()
            } else {
                other.shape()
            };
            let s = ScalarGrad::new(f(x.v, y.v), x.dtype.promote(y.dtype)).storage();
            return Ok(Tensor::record(s, shape, &[self, other], |_| {
                make(self, other)
            }));
        }
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        let s = self.par_zip_data(other, &shape, f);
        Ok(Tensor::record(s, &shape, &[self, other], |_| {
            make(self, other)
        }))
    }

    /// `self + other` with broadcasting (`torch.add`, `AddBackward0`).
    #[track_caller]
    pub fn try_add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, "add", |a, b| a + b, |_, _| Op::Add)
    }

    /// `self - other` with broadcasting (`torch.sub`, `SubBackward0`).
    #[track_caller]
    pub fn try_sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(other, "sub", |a, b| a - b, |_, _| Op::Sub)
    }

    /// `self * other` element-wise with broadcasting (`torch.mul`,
    /// `MulBackward0`).
    #[track_caller]
    pub fn try_mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "mul",
            |a, b| a * b,
            |a, b| Op::Mul {
                lhs: SavedInput::new(a, 0),
                rhs: SavedInput::new(b, 1),
            },
        )
    }

    /// `self / other` element-wise with broadcasting (`torch.div`,
    /// `DivBackward0`).
    #[track_caller]
    pub fn try_div(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "div",
            |a, b| a / b,
            |a, b| Op::Div {
                lhs: SavedInput::new(a, 0),
                rhs: SavedInput::new(b, 1),
            },
        )
    }

    /// The angle of the point `(other, self)` in `(-pi, pi]`, element-wise with
    /// broadcasting (`torch.atan2(self, other)`, `Atan2Backward0`).
    ///
    /// # Panics
    /// If the shapes do not broadcast; see [`Tensor::try_atan2`].
    #[track_caller]
    pub fn atan2(&self, other: &Tensor) -> Tensor {
        ok(self.try_atan2(other))
    }

    /// Fallible [`Tensor::atan2`].
    #[track_caller]
    pub fn try_atan2(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "atan2",
            <rules::Atan2 as ScalarFn2>::value,
            |a, b| Op::Atan2 {
                lhs: SavedInput::new(a, 0),
                rhs: SavedInput::new(b, 1),
            },
        )
    }

    /// `self (op) s` element-wise, keeping this tensor's dtype.
    #[track_caller]
    pub(crate) fn scalar_op(&self, kind: ScalarKind, s: f64) -> Tensor {
        self.unary(|x| kind.apply(x, s), |_| Op::Scalar { kind, s })
    }

    /// `s / self` (PyTorch's `s * t.reciprocal()`, `MulBackward0`).
    #[track_caller]
    fn rdiv(&self, s: f64) -> Tensor {
        self.unary(
            |x| s / x,
            |_| Op::RDiv {
                x: SavedInput::new(self, 0),
                s,
            },
        )
    }
}

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $try:ident, $Assign:ident, $assign:ident, $right:expr, $left:expr) => {
        /// Element-wise with broadcasting.
        ///
        /// # Panics
        /// If the shapes do not broadcast; the message names the op and both shapes.
        impl $Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                ok(self.$try(rhs))
            }
        }
        impl $Trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                ok(self.$try(&rhs))
            }
        }
        impl $Trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                ok(self.$try(rhs))
            }
        }
        impl $Trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                ok(self.$try(&rhs))
            }
        }
        /// With a scalar, computed in the tensor's dtype.
        impl $Trait<f64> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                $right(self, rhs)
            }
        }
        impl $Trait<f64> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                $right(&self, rhs)
            }
        }
        /// With a scalar, computed in the tensor's dtype.
        impl $Trait<&Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                $left(rhs, self)
            }
        }
        impl $Trait<Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                $left(&rhs, self)
            }
        }
        /// Rebinds the handle to the (recorded, out-of-place) result.
        impl $Assign<&Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: &Tensor) {
                *self = ok(self.$try(rhs));
            }
        }
        impl $Assign<Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: Tensor) {
                *self = ok(self.$try(&rhs));
            }
        }
        impl $Assign<f64> for Tensor {
            fn $assign(&mut self, rhs: f64) {
                *self = $right(&*self, rhs);
            }
        }
    };
}

type ScalarFn = fn(&Tensor, f64) -> Tensor;
const ADD: ScalarFn = |t, s| t.scalar_op(ScalarKind::Add, s);
const SUB: ScalarFn = |t, s| t.scalar_op(ScalarKind::Sub, s);
const RSUB: ScalarFn = |t, s| t.scalar_op(ScalarKind::RSub, s);
const MUL: ScalarFn = |t, s| t.scalar_op(ScalarKind::Mul, s);
const DIV: ScalarFn = |t, s| t.scalar_op(ScalarKind::Div, s);
const RDIV: ScalarFn = |t, s| t.rdiv(s);

binary_operator!(Add, add, try_add, AddAssign, add_assign, ADD, ADD);
binary_operator!(Sub, sub, try_sub, SubAssign, sub_assign, SUB, RSUB);
binary_operator!(Mul, mul, try_mul, MulAssign, mul_assign, MUL, MUL);
binary_operator!(Div, div, try_div, DivAssign, div_assign, DIV, RDIV);

/// `-t` (`torch.neg`, `NegBackward0`).
impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        self.unary(|v| -v, |_| Op::Neg)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        -&self
    }
}
