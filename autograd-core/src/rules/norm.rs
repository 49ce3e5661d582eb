//! `a.norm()` (Euclidean/Frobenius) and `a.norm_squared()`.
//!
//! `norm`: `ga = g a / |a|`, and 0 at `a = 0` (the subgradient PyTorch returns).
//! `norm_squared`: `ga = 2 g a`.
//!
//! PyTorch: `torch.linalg.norm` (`LinalgVectorNormBackward0`) and
//! `(a * a).sum()`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.norm()`.
#[diagnostic::on_unimplemented(message = "`norm` is differentiated on matrices, not on `{Self}`")]
pub trait NormRule: Sized {
    /// The scalar type.
    type Output;
    /// `sqrt(sum(a .* a))`.
    fn value(&self) -> Self::Output;
    /// `g a / |a|`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, out: &Self::Output, da: &Self, g: &Self::Output) -> Self;
}

impl<T: Real, const R: usize, const C: usize> NormRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.norm()
    }
    #[inline(always)]
    fn pullback(&self, out: &T, g: &T) -> Self {
        if *out == T::zero() {
            Self::zeros()
        } else {
            self * (*g / *out)
        }
    }
    #[inline(always)]
    fn tangent(&self, out: &T, da: &Self) -> T {
        if *out == T::zero() {
            T::zero()
        } else {
            self.dot(da) / *out
        }
    }
    /// `g (da / |a| - a (a . da) / |a|^3)` (zero at `a = 0`, like the pullback).
    #[inline(always)]
    fn second(&self, out: &T, da: &Self, g: &T) -> Self {
        if *out == T::zero() {
            Self::zeros()
        } else {
            let inv = out.recip();
            (da - self * (self.dot(da) * inv * inv)) * (*g * inv)
        }
    }
}

/// `a.norm_squared()`.
#[diagnostic::on_unimplemented(
    message = "`norm_squared` is differentiated on matrices, not on `{Self}`"
)]
pub trait NormSquaredRule: Sized {
    /// The scalar type.
    type Output;
    /// `sum(a .* a)`.
    fn value(&self) -> Self::Output;
    /// `2 g a`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> NormSquaredRule for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.norm_squared()
    }
    #[inline(always)]
    fn pullback(&self, _out: &T, g: &T) -> Self {
        self * (*g + *g)
    }
    #[inline(always)]
    fn tangent(&self, _out: &T, da: &Self) -> T {
        let d = self.dot(da);
        d + d
    }
}
