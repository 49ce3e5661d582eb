//! `a.component_div(&b)`, the entry-wise quotient: `ga = g ./ b`,
//! `gb = -g .* out ./ b`.
//!
//! PyTorch: `torch.div` on tensors of one shape, backward node `DivBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `a.component_div(&b)`.
#[diagnostic::on_unimplemented(
    message = "cannot divide `{Self}` by `{Rhs}` entry by entry",
    label = "both matrices must have the same shape"
)]
pub trait ComponentDivRule<Rhs = Self>: Sized {
    /// `a ./ b`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `(g ./ b, -g .* out ./ b)`.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
    /// The derivative of `pullback` along the operands' tangents `da`, `db`, for a
    /// fixed `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs, g: &Self) -> (Self, Rhs);
}

impl<T: Real, const R: usize, const C: usize> ComponentDivRule for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self, rhs: &Self) -> Self {
        self.component_div(rhs)
    }
    #[inline(always)]
    fn pullback(&self, rhs: &Self, out: &Self, g: &Self) -> (Self, Self) {
        let ga = g.component_div(rhs);
        let gb = -ga.component_mul(out);
        (ga, gb)
    }
    #[inline(always)]
    fn tangent(&self, rhs: &Self, out: &Self, da: &Self, db: &Self) -> Self {
        (da - out.component_mul(db)).component_div(rhs)
    }
    /// Entry by entry, with `ga = g / b`: `d ga = -ga db / b`, `d gb = ga (2 out db - da) / b`.
    #[inline(always)]
    fn second(&self, rhs: &Self, out: &Self, da: &Self, db: &Self, g: &Self) -> (Self, Self) {
        let ga = g.component_div(rhs);
        let two: T = nalgebra::convert(2.0);
        let dga = -ga.component_mul(db).component_div(rhs);
        let dgb = ga
            .component_mul(&(out.component_mul(db) * two - da))
            .component_div(rhs);
        (dga, dgb)
    }
}
