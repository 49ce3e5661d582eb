//! Element-wise functions of one tensor.

use crate::rules::{self, ScalarFn};
use crate::tensor::graph::OutRef;
use crate::tensor::handle::Tensor;
use crate::tensor::op::{Op, RoundingKind};
use crate::tensor::saved::SavedInput;
use crate::tensor::scalar::ScalarGrad;

/// The logistic function, as the static rule computes it (the stable form).
#[track_caller]
fn sigmoid(x: f64) -> f64 {
    <rules::Sigmoid as ScalarFn>::value(x)
}

/// `F`'s value, as its static rule computes it.
#[track_caller]
fn value<F: ScalarFn>(x: f64) -> f64 {
    F::value(x)
}

/// `-1`, `0` or `1`: the derivative of `abs` (with PyTorch's subgradient `0` at
/// `0`), as its rule states it.
#[track_caller]
fn sign(x: f64) -> f64 {
    <rules::Abs as ScalarFn>::derivative_from(x)
}

impl Tensor {
    /// The one helper behind every element-wise op: maps `f` over the data and
    /// records `make` (which may save the output through `OutRef`).
    #[track_caller]
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
    #[track_caller]
    pub fn pow(&self, exponent: f64) -> Tensor {
        let make = |_: &OutRef<'_>| Op::Pow {
            x: SavedInput::new(self, 0),
            exponent,
        };
        // The square, the usual loss, without `powf`'s test of the exponent
        // for each element (the same value).
        if exponent == 2.0 {
            return self.unary(|v| v * v, make);
        }
        self.unary(|v| powf(v, exponent), make)
    }

    /// `self * self` (`torch.square`, recorded as `PowBackward0`).
    #[track_caller]
    pub fn square(&self) -> Tensor {
        self.pow(2.0)
    }

    /// `e ^ self` (`torch.exp`, `ExpBackward0`).
    #[track_caller]
    pub fn exp(&self) -> Tensor {
        self.unary(f64::exp, |o| Op::Exp { out: o.save() })
    }

    /// Natural logarithm (`torch.log`, `LogBackward0`).
    #[track_caller]
    pub fn ln(&self) -> Tensor {
        self.unary(f64::ln, |_| Op::Ln {
            x: SavedInput::new(self, 0),
        })
    }

    /// Hyperbolic tangent (`torch.tanh`, `TanhBackward0`).
    #[track_caller]
    pub fn tanh(&self) -> Tensor {
        self.unary(f64::tanh, |o| Op::Tanh { out: o.save() })
    }

    /// Logistic function `1 / (1 + e^-x)` (`torch.sigmoid`, `SigmoidBackward0`).
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        self.unary(sigmoid, |o| Op::Sigmoid { out: o.save() })
    }

    /// `max(x, 0)` (`torch.relu`, `ReluBackward0`); the derivative at 0 is 0.
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        self.unary(
            |v| if v > 0.0 { v } else { 0.0 },
            |o| Op::Relu { out: o.save() },
        )
    }

    /// Sine (`torch.sin`, `SinBackward0`).
    #[track_caller]
    pub fn sin(&self) -> Tensor {
        self.unary(f64::sin, |_| Op::Sin {
            x: SavedInput::new(self, 0),
        })
    }

    /// Cosine (`torch.cos`, `CosBackward0`).
    #[track_caller]
    pub fn cos(&self) -> Tensor {
        self.unary(f64::cos, |_| Op::Cos {
            x: SavedInput::new(self, 0),
        })
    }

    /// Square root (`torch.sqrt`, `SqrtBackward0`).
    #[track_caller]
    pub fn sqrt(&self) -> Tensor {
        self.unary(f64::sqrt, |o| Op::Sqrt { out: o.save() })
    }

    /// Absolute value (`torch.abs`, `AbsBackward0`); the derivative at 0 is 0.
    #[track_caller]
    pub fn abs(&self) -> Tensor {
        self.unary(f64::abs, |_| Op::Abs {
            x: SavedInput::new(self, 0),
        })
    }

    /// Tangent (`torch.tan`, `TanBackward0`).
    #[track_caller]
    pub fn tan(&self) -> Tensor {
        self.unary(value::<rules::Tan>, |o| Op::Tan { out: o.save() })
    }

    /// Arcsine, `NaN` outside `[-1, 1]` (`torch.asin`, `AsinBackward0`).
    #[track_caller]
    pub fn asin(&self) -> Tensor {
        self.unary(value::<rules::Asin>, |_| Op::Asin {
            x: SavedInput::new(self, 0),
        })
    }

    /// Arccosine, `NaN` outside `[-1, 1]` (`torch.acos`, `AcosBackward0`).
    #[track_caller]
    pub fn acos(&self) -> Tensor {
        self.unary(value::<rules::Acos>, |_| Op::Acos {
            x: SavedInput::new(self, 0),
        })
    }

    /// Arctangent (`torch.atan`, `AtanBackward0`).
    #[track_caller]
    pub fn atan(&self) -> Tensor {
        self.unary(value::<rules::Atan>, |_| Op::Atan {
            x: SavedInput::new(self, 0),
        })
    }

    /// `ln(1 + x)`, accurate near 0 (`torch.log1p`, `Log1PBackward0`).
    #[track_caller]
    pub fn log1p(&self) -> Tensor {
        self.unary(value::<rules::Ln1p>, |_| Op::Log1p {
            x: SavedInput::new(self, 0),
        })
    }

    /// `e^x - 1`, accurate near 0 (`torch.expm1`, `Expm1Backward0`).
    #[track_caller]
    pub fn expm1(&self) -> Tensor {
        self.unary(value::<rules::ExpM1>, |o| Op::Expm1 { out: o.save() })
    }

    /// The largest integer not above each element (`torch.floor`,
    /// `FloorBackward0`); the gradient is 0 everywhere, as PyTorch's.
    #[track_caller]
    pub fn floor(&self) -> Tensor {
        self.unary(value::<rules::Floor>, |_| Op::Rounding {
            kind: RoundingKind::Floor,
        })
    }

    /// The smallest integer not below each element (`torch.ceil`,
    /// `CeilBackward0`); the gradient is 0 everywhere.
    #[track_caller]
    pub fn ceil(&self) -> Tensor {
        self.unary(value::<rules::Ceil>, |_| Op::Rounding {
            kind: RoundingKind::Ceil,
        })
    }

    /// The nearest integer, halves to even as `torch.round` (`2.5` gives `2`,
    /// `-0.5` gives `-0`; `RoundBackward0`); the gradient is 0 everywhere. The
    /// static engine's `round` rounds halves away from zero, as Rust's does.
    #[track_caller]
    pub fn round(&self) -> Tensor {
        self.unary(f64::round_ties_even, |_| Op::Rounding {
            kind: RoundingKind::Round,
        })
    }

    /// Clamps every element into `[min, max]` (`torch.clamp`, `ClampBackward1`);
    /// the gradient passes where `min <= x <= max`. Use `f64::NEG_INFINITY` or
    /// `f64::INFINITY` for a one-sided clamp.
    #[track_caller]
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
    #[track_caller]
    pub fn sign(&self) -> Tensor {
        Tensor::from_storage(self.data().map(sign), self.shape())
    }

    /// `1 / self` (`torch.reciprocal`, recorded as `PowBackward0`).
    #[track_caller]
    pub fn recip(&self) -> Tensor {
        self.pow(-1.0)
    }

    /// Euclidean norm of all elements, a rank-0 tensor (`torch.linalg.norm` of
    /// the flattened tensor), composed of `pow`, `sum` and `sqrt`.
    #[track_caller]
    pub fn norm(&self) -> Tensor {
        self.square().sum().sqrt()
    }
}

/// `x ^ p`, with the exponents PyTorch's CPU kernel computes without `pow`
/// (`aten/src/ATen/native/cpu/PowKernel.cpp`: `x * x` for 2, `x * x * x` for 3,
/// `sqrt` for 0.5, `1 / x` for -1, `1 / (x * x)` for -2) computed the same way, so
/// the same bits as PyTorch and no libm call for the common squares (`pow` was
/// 12% of the instructions of the W1 thermometer step).
#[inline(always)]
pub(crate) fn powf(x: f64, p: f64) -> f64 {
    if p == 2.0 {
        x * x
    } else if p == 1.0 {
        x
    } else if p == 3.0 {
        x * x * x
    } else if p == 0.5 {
        x.sqrt()
    } else if p == -1.0 {
        1.0 / x
    } else if p == -2.0 {
        1.0 / (x * x)
    } else {
        x.powf(p)
    }
}
