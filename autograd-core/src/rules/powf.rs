//! `a.powf(p)` with both operands differentiable:
//! `ga = g p a^(p-1)`, `gp = g a^p ln a` (0 where `a^p = 0`).
//!
//! PyTorch: `torch.pow(tensor, tensor)`, backward node `PowBackward1`.

use crate::adjoint::Real;

/// `a.powf(p)`.
#[diagnostic::on_unimplemented(
    message = "`powf` is differentiated on scalars, not on `{Self}`",
    note = "for matrices write `m.map(|v| v.powf(p))`"
)]
pub trait PowfRule<Rhs = Self>: Sized {
    /// `a^p`.
    fn value(&self, rhs: &Rhs) -> Self;
    /// `(g p a^(p-1), g a^p ln a)`.
    fn pullback(&self, rhs: &Rhs, out: &Self, g: &Self) -> (Self, Rhs);
    /// The tangent of the output given the operands' tangents `da`, `db`.
    fn tangent(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs) -> Self;
}

impl<T: Real> PowfRule for T {
    #[inline(always)]
    fn value(&self, p: &T) -> T {
        self.powf(*p)
    }
    #[inline(always)]
    fn pullback(&self, p: &T, out: &T, g: &T) -> (T, T) {
        let ga = if *p == T::zero() {
            T::zero()
        } else {
            *g * *p * self.powf(*p - T::one())
        };
        let gp = if *out == T::zero() {
            T::zero()
        } else {
            *g * *out * self.ln()
        };
        (ga, gp)
    }
    #[inline(always)]
    fn tangent(&self, p: &T, out: &T, da: &T, dp: &T) -> T {
        let (ga, gp) = self.pullback(p, out, &T::one());
        ga * *da + gp * *dp
    }
}
