//! Element-wise functions of one tensor.

use crate::rules::{self, ScalarFn};
use crate::tensor::graph::OutRef;
use crate::tensor::handle::Tensor;
use crate::tensor::op::Op;
use crate::tensor::saved::SavedInput;
use crate::tensor::scalar::ScalarGrad;

/// The logistic function, as the static rule computes it (the stable form).
fn sigmoid(x: f64) -> f64 {
    <rules::Sigmoid as ScalarFn>::value(x)
}

/// `-1`, `0` or `1`: the derivative of `abs` (with PyTorch's subgradient `0` at
/// `0`), as its rule states it.
fn sign(x: f64) -> f64 {
    <rules::Abs as ScalarFn>::derivative_from(x)
}

impl Tensor {
    /// The one helper behind every element-wise op: maps `f` over the data and
    /// records `make` (which may save the output through `OutRef`).
    pub(crate) fn unary(
        &self,
        f: impl Fn(f64) -> f64 + Sync,
        make: impl FnOnce(&OutRef<'_>) -> Op,
    ) -> Tensor {
        let s = match self.inner.buffer.one() {
            Some(x) => ScalarGrad::new(f(x.v), x.dtype).storage(),
            None => self.data().map(f),
        };
        Tensor::record(s, self.shape(), &[self], make)
    }

    /// `self ^ exponent` element-wise (`torch.pow`, `PowBackward0`). An integral
    /// exponent is defined for negative bases.
    pub fn pow(&self, exponent: f64) -> Tensor {
        self.unary(
            |v| v.powf(exponent),
            |_| Op::Pow {
                x: SavedInput::new(self, 0),
                exponent,
            },
        )
    }

    /// `self * self` (`torch.square`, recorded as `PowBackward0`).
    pub fn square(&self) -> Tensor {
        self.pow(2.0)
    }

    /// `e ^ self` (`torch.exp`, `ExpBackward0`).
    pub fn exp(&self) -> Tensor {
        self.unary(f64::exp, |o| Op::Exp { out: o.save() })
    }

    /// Natural logarithm (`torch.log`, `LogBackward0`).
    pub fn ln(&self) -> Tensor {
        self.unary(f64::ln, |_| Op::Ln {
            x: SavedInput::new(self, 0),
        })
    }

    /// Hyperbolic tangent (`torch.tanh`, `TanhBackward0`).
    pub fn tanh(&self) -> Tensor {
        self.unary(f64::tanh, |o| Op::Tanh { out: o.save() })
    }

    /// Logistic function `1 / (1 + e^-x)` (`torch.sigmoid`, `SigmoidBackward0`).
    pub fn sigmoid(&self) -> Tensor {
        self.unary(sigmoid, |o| Op::Sigmoid { out: o.save() })
    }

    /// `max(x, 0)` (`torch.relu`, `ReluBackward0`); the derivative at 0 is 0.
    pub fn relu(&self) -> Tensor {
        self.unary(
            |v| if v > 0.0 { v } else { 0.0 },
            |o| Op::Relu { out: o.save() },
        )
    }

    /// Sine (`torch.sin`, `SinBackward0`).
    pub fn sin(&self) -> Tensor {
        self.unary(f64::sin, |_| Op::Sin {
            x: SavedInput::new(self, 0),
        })
    }

    /// Cosine (`torch.cos`, `CosBackward0`).
    pub fn cos(&self) -> Tensor {
        self.unary(f64::cos, |_| Op::Cos {
            x: SavedInput::new(self, 0),
        })
    }

    /// Square root (`torch.sqrt`, `SqrtBackward0`).
    pub fn sqrt(&self) -> Tensor {
        self.unary(f64::sqrt, |o| Op::Sqrt { out: o.save() })
    }

    /// Absolute value (`torch.abs`, `AbsBackward0`); the derivative at 0 is 0.
    pub fn abs(&self) -> Tensor {
        self.unary(f64::abs, |_| Op::Abs {
            x: SavedInput::new(self, 0),
        })
    }

    /// Clamps every element into `[min, max]` (`torch.clamp`, `ClampBackward1`);
    /// the gradient passes where `min <= x <= max`. Use `f64::NEG_INFINITY` or
    /// `f64::INFINITY` for a one-sided clamp.
    pub fn clamp(&self, min: f64, max: f64) -> Tensor {
        self.unary(
            |v| v.max(min).min(max),
            |_| Op::Clamp {
                x: SavedInput::new(self, 0),
                min,
                max,
            },
        )
    }

    /// `-1`, `0` or `1` by sign (`torch.sign`); not differentiable: the result
    /// never requires grad.
    pub fn sign(&self) -> Tensor {
        Tensor::from_storage(self.data().map(sign), self.shape())
    }

    /// `1 / self` (`torch.reciprocal`, recorded as `PowBackward0`).
    pub fn recip(&self) -> Tensor {
        self.pow(-1.0)
    }

    /// Euclidean norm of all elements, a rank-0 tensor (`torch.linalg.norm` of
    /// the flattened tensor), composed of `pow`, `sum` and `sqrt`.
    pub fn norm(&self) -> Tensor {
        self.square().sum().sqrt()
    }
}
