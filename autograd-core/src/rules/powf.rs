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
    /// The derivative of `pullback` along the operands' tangents `da`, `db`, for a
    /// fixed `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, rhs: &Rhs, out: &Self, da: &Self, db: &Rhs, g: &Self) -> (Self, Rhs);
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
    /// `d ga = g (a^(p-1) (1 + p ln a) dp + p (p-1) a^(p-2) da)` and
    /// `d gp = g (dout ln a + out da / a)`, with the pullback's guards (terms whose
    /// factor is zero are skipped, so `0^p` does not produce `0 * inf`).
    #[inline(always)]
    fn second(&self, p: &T, out: &T, da: &T, dp: &T, g: &T) -> (T, T) {
        let (a, p, zero, one) = (*self, *p, T::zero(), T::one());
        let mut dga = zero;
        if *dp != zero {
            dga += a.powf(p - one) * (one + p * a.ln()) * *dp;
        }
        if p != zero && p != one && *da != zero {
            dga += p * (p - one) * a.powf(p - one - one) * *da;
        }
        let dgp = if *out == zero {
            zero
        } else {
            let dout = self.tangent(&p, out, da, dp);
            let mut d = dout * a.ln();
            if *da != zero {
                d += *out * *da / a;
            }
            d
        };
        (*g * dga, *g * dgp)
    }
}
