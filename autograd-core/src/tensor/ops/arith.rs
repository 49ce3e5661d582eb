//! `+ - * /` with NumPy broadcasting, and the operator impls for every mix of
//! `Tensor`, `&Tensor` and `f64`.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::elementwise::zip;
use crate::tensor::op::{Op, Saved};
use crate::tensor::shape::{broadcast_shapes, Shape};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

impl Tensor {
    /// `f` element-wise over this tensor and `other` broadcast to `out`, without
    /// recording.
    pub(crate) fn zip_data(
        &self,
        other: &Tensor,
        out: &[usize],
        f: impl Fn(f64, f64) -> f64,
    ) -> Storage {
        Tensor::read2(self, other, |a, b| {
            zip(a, self.shape(), b, other.shape(), out, f)
        })
    }

    /// A broadcasting binary op: computes `f` element-wise and records `make`.
    pub(crate) fn binary(
        &self,
        other: &Tensor,
        name: &'static str,
        f: fn(f64, f64) -> f64,
        make: impl FnOnce(&Tensor, &Tensor) -> Op,
    ) -> Result<Tensor> {
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        let s = self.zip_data(other, &shape, f);
        Ok(Tensor::record(s, &shape, &[self, other], |_| {
            make(self, other)
        }))
    }

    /// `self + other` with broadcasting (`torch.add`, `AddBackward0`).
    pub fn try_add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "add",
            |a, b| a + b,
            |a, b| Op::Add {
                lhs: Shape::new(a.shape()),
                rhs: Shape::new(b.shape()),
            },
        )
    }

    /// `self - other` with broadcasting (`torch.sub`, `SubBackward0`).
    pub fn try_sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "sub",
            |a, b| a - b,
            |a, b| Op::Sub {
                lhs: Shape::new(a.shape()),
                rhs: Shape::new(b.shape()),
            },
        )
    }

    /// `self * other` element-wise with broadcasting (`torch.mul`,
    /// `MulBackward0`).
    pub fn try_mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "mul",
            |a, b| a * b,
            |a, b| Op::Mul {
                lhs: Saved::new(a),
                rhs: Saved::new(b),
            },
        )
    }

    /// `self / other` element-wise with broadcasting (`torch.div`,
    /// `DivBackward0`).
    pub fn try_div(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(
            other,
            "div",
            |a, b| a / b,
            |a, b| Op::Div {
                lhs: Saved::new(a),
                rhs: Saved::new(b),
            },
        )
    }

    /// A rank-0 constant of this tensor's dtype, so `t * 2.0` keeps the dtype.
    fn wrap(&self, v: f64) -> Tensor {
        Tensor::scalar_of(v, self.dtype())
    }
}

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $try:ident, $Assign:ident, $assign:ident) => {
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
        /// With a scalar of the tensor's dtype.
        impl $Trait<f64> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                ok(self.$try(&self.wrap(rhs)))
            }
        }
        impl $Trait<f64> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                ok(self.$try(&self.wrap(rhs)))
            }
        }
        /// With a scalar of the tensor's dtype.
        impl $Trait<&Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                ok(rhs.wrap(self).$try(rhs))
            }
        }
        impl $Trait<Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                ok(rhs.wrap(self).$try(&rhs))
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
                *self = ok(self.$try(&self.wrap(rhs)));
            }
        }
    };
}

binary_operator!(Add, add, try_add, AddAssign, add_assign);
binary_operator!(Sub, sub, try_sub, SubAssign, sub_assign);
binary_operator!(Mul, mul, try_mul, MulAssign, mul_assign);
binary_operator!(Div, div, try_div, DivAssign, div_assign);

/// `-t` (`torch.neg`, `NegBackward0`).
impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        self.unary(|v| -v, |_| Op::Neg)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        -&self
    }
}
