//! `a.normalize()`, `y = a / |a|` (Euclidean/Frobenius norm):
//! `ga = (g - y (y . g)) / |a|`, the cotangent with its component along `y`
//! removed, divided by the norm.
//!
//! At `a = 0` the value is nalgebra's, `0 / 0` (NaN in every entry); the
//! pullback, the tangent and the second-order term are zero there, as `norm`'s
//! (PyTorch's subgradient of the norm at 0).
//!
//! PyTorch: `torch.nn.functional.normalize` (which divides by `max(|a|, eps)`
//! instead, so that its value at 0 is 0).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.normalize()`.
#[diagnostic::on_unimplemented(
    message = "`normalize` is differentiated on matrices, not on `{Self}`"
)]
pub trait NormalizeRule: Sized {
    /// `a / |a|`.
    fn value(&self) -> Self;
    /// `(g - y (y . g)) / |a|` with `y` the output.
    fn pullback(&self, out: &Self, g: &Self) -> Self;
    /// `(da - y (y . da)) / |a|`.
    fn tangent(&self, out: &Self, da: &Self) -> Self;
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self;
}

impl<T: Real, const R: usize, const C: usize> NormalizeRule for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self) -> Self {
        self.normalize()
    }
    #[inline(always)]
    fn pullback(&self, out: &Self, g: &Self) -> Self {
        let n = self.norm();
        if n == T::zero() {
            return Self::zeros();
        }
        (g - out * out.dot(g)) / n
    }
    #[inline(always)]
    fn tangent(&self, out: &Self, da: &Self) -> Self {
        self.pullback(out, da)
    }
    /// With `n = |a|`, `t = (da - y (y . da)) / n` (the tangent of `y`) and
    /// `P` the pullback: `-(t (y . g) + y (t . g) + P (y . da)) / n`.
    #[inline(always)]
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
        let n = self.norm();
        if n == T::zero() {
            return Self::zeros();
        }
        let t = (da - out * out.dot(da)) / n;
        let p = (g - out * out.dot(g)) / n;
        -(t * out.dot(g) + out * t.dot(g) + p * out.dot(da)) / n
    }
}
