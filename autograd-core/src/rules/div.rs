//! `a / b` for a scalar or matrix `a` and a scalar `b`:
//! `ga = g / b`, `gb = -sum(g .* a) / b^2 = -<ga, out>`, both computed with
//! `r = 1 / b` (`ga = g r`), which the forward sweep keeps.
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
    /// `1 / b`, the factor of both derivatives: the forward sweep computes it
    /// once beside the value, so that each reverse sweep (each row of a Jacobian)
    /// and each tangent multiplies where it would divide.
    fn recip(rhs: &Rhs) -> Rhs;
    /// `(g r, -<g r, out>)`, `r = 1 / b` from [`DivRule::recip`].
    fn pullback_recip(&self, recip: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`:
    /// `(da - out db) r`, `r = 1 / b` from [`DivRule::recip`].
    fn tangent_recip(&self, recip: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output;
    /// `(g / b, -<g, a> / b^2)`.
    #[inline(always)]
    fn pullback(&self, rhs: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs) {
        self.pullback_recip(&Self::recip(rhs), out, g)
    }
    /// The tangent of the output given the operands' tangents `da`, `db`.
    #[inline(always)]
    fn tangent(&self, rhs: &Rhs, out: &Self::Output, da: &Self, db: &Rhs) -> Self::Output {
        self.tangent_recip(&Self::recip(rhs), out, da, db)
    }
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
    fn recip(rhs: &T) -> T {
        T::one() / *rhs
    }
    #[inline(always)]
    fn pullback_recip(&self, recip: &T, out: &T, g: &T) -> (T, T) {
        let ga = *g * *recip;
        (ga, -ga * *out)
    }
    #[inline(always)]
    fn tangent_recip(&self, recip: &T, out: &T, da: &T, db: &T) -> T {
        (*da - *out * *db) * *recip
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
    fn recip(rhs: &T) -> T {
        T::one() / *rhs
    }
    #[inline(always)]
    fn pullback_recip(&self, recip: &T, out: &Self, g: &Self) -> (Self, T) {
        let ga = g * *recip;
        let gb = -ga.dot(out);
        (ga, gb)
    }
    #[inline(always)]
    fn tangent_recip(&self, recip: &T, out: &Self, da: &Self, db: &T) -> Self {
        (da - out * *db) * *recip
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
