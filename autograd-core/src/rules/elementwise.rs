//! The extension trait that gives scalars and matrices the activation functions
//! and the entry-wise scalar functions nalgebra lacks.

use super::{Cos, Ln, Recip, Relu, ScalarFn, Sigmoid, Sin, Softplus, Sqrt, Tanh};
use crate::adjoint::Real;
use nalgebra::SMatrix;

/// Entry-wise functions on `f32`, `f64` and `SMatrix` (`relu`, `sigmoid`, `softplus`
/// on scalars; all of these, entry by entry, on matrices). `#[differentiable]`
/// knows the derivative of each.
///
/// On a scalar, `tanh`, `sin`, `cos`, `ln`, `sqrt` and `recip` are the inherent
/// methods rustc picks first; these trait methods give the same values.
///
/// ```
/// use autograd_core::Elementwise;
/// use nalgebra::SVector;
///
/// assert_eq!((-2.0_f64).relu(), 0.0);
/// let v = SVector::<f64, 2>::new(-1.0, 3.0);
/// assert_eq!(v.relu(), SVector::<f64, 2>::new(0.0, 3.0));
/// assert!((0.0_f64.sigmoid() - 0.5).abs() < 1e-15);
/// ```
pub trait Elementwise: Sized {
    /// `max(x, 0)`.
    fn relu(self) -> Self;
    /// `1 / (1 + e^-x)`.
    fn sigmoid(self) -> Self;
    /// `ln(1 + e^x)`, the identity above 20 (PyTorch's threshold).
    fn softplus(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `1 / x`.
    fn recip(self) -> Self;
}

impl<T: Real> Elementwise for T {
    fn relu(self) -> Self {
        Relu::value(self)
    }
    fn sigmoid(self) -> Self {
        Sigmoid::value(self)
    }
    fn softplus(self) -> Self {
        Softplus::value(self)
    }
    fn tanh(self) -> Self {
        Tanh::value(self)
    }
    fn sin(self) -> Self {
        Sin::value(self)
    }
    fn cos(self) -> Self {
        Cos::value(self)
    }
    fn ln(self) -> Self {
        Ln::value(self)
    }
    fn sqrt(self) -> Self {
        Sqrt::value(self)
    }
    fn recip(self) -> Self {
        Recip::value(self)
    }
}

impl<T: Real, const R: usize, const C: usize> Elementwise for SMatrix<T, R, C> {
    fn relu(self) -> Self {
        self.map(Relu::value)
    }
    fn sigmoid(self) -> Self {
        self.map(Sigmoid::value)
    }
    fn softplus(self) -> Self {
        self.map(Softplus::value)
    }
    fn tanh(self) -> Self {
        self.map(Tanh::value)
    }
    fn sin(self) -> Self {
        self.map(Sin::value)
    }
    fn cos(self) -> Self {
        self.map(Cos::value)
    }
    fn ln(self) -> Self {
        self.map(Ln::value)
    }
    fn sqrt(self) -> Self {
        self.map(Sqrt::value)
    }
    fn recip(self) -> Self {
        self.map(Recip::value)
    }
}
