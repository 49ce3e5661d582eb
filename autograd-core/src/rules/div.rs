//! `a / b` for a scalar or matrix `a` and a scalar `b`:
//! `ga = g / b`, `gb = -sum(g .* a) / b^2`.
//!
//! PyTorch: `torch.div`, backward node `DivBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a / b`.
#[diagnostic::on_unimplemented(
    message = "cannot divide `{Self}` by `{Rhs}` in a differentiable function",
    label = "the divisor must be a scalar; for entry-wise division use `a.component_div(&b)`"
)]
pub trait DivRule<Rhs = Self>: Sized {
    /// The quotient's type.
    type Output;
    /// `a / b`.
    fn value(&self, rhs: &Rhs) -> Self::Output;
    /// `(g / b, -<g, a> / b^2)`.
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along the operands' tangents `da`, `db`, for a
    /// fixed `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(
        &self,
        rhs: &Rhs,
        out: &Self::Output,
        da: &Self,
        db: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

impl<T: Real> DivRule for T {
    type Output = T;
    #[inline(always)]
    fn value(&self, rhs: &T) -> T {
        *self / *rhs
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, out: &T, g: &T) -> (T, T) {
        let ga = *g / *rhs;
        (ga, -ga * *out)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, out: &T, da: &T, db: &T) -> T {
        (*da - *out * *db) / *rhs
    }
    /// With `ga = g / b`: `d ga = -ga db / b`, `d gb = ga (2 out db - da) / b`.
    #[inline(always)]
    fn second(&self, rhs: &T, out: &T, da: &T, db: &T, g: &T) -> (T, T) {
        let ga = *g / *rhs;
        let two: T = nalgebra::convert(2.0);
        (-ga * *db / *rhs, ga * (two * *out * *db - *da) / *rhs)
    }
}

impl<T: Real, const R: usize, const C: usize> DivRule<T> for SMatrix<T, R, C> {
    type Output = Self;
    #[inline(always)]
    fn value(&self, rhs: &T) -> Self {
        self / *rhs
    }
    #[inline(always)]
    fn pullback(&self, rhs: &T, out: &Self, g: &Self) -> (Self, T) {
        let ga = g / *rhs;
        let gb = -ga.dot(out);
        (ga, gb)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &T, out: &Self, da: &Self, db: &T) -> Self {
        (da - out * *db) / *rhs
    }
    /// With `ga = G / b`: `d ga = -ga db / b`, `d gb = (2 db (ga . out) - ga . dA) / b`.
    #[inline(always)]
    fn second(&self, rhs: &T, out: &Self, da: &Self, db: &T, g: &Self) -> (Self, T) {
        let ga = g / *rhs;
        let two: T = nalgebra::convert(2.0);
        (
            ga * (-*db / *rhs),
            (two * *db * ga.dot(out) - ga.dot(da)) / *rhs,
        )
    }
}
