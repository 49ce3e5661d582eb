//! `x.powi(n)` with a constant integer `n`: `gx = g n x^(n-1)`.
//!
//! Defined for negative `x`, as PyTorch's `pow` with an integral exponent
//! (`PowBackward0`).

use crate::adjoint::Real;

/// `x.powi(n)`.
#[diagnostic::on_unimplemented(
    message = "`powi` is differentiated on scalars, not on `{Self}`",
    note = "for matrices write `m.map(|v| v.powi(n))`"
)]
pub trait PowiRule: Sized {
    /// `x^n`.
    fn value(&self, n: i32) -> Self;
    /// `g n x^(n-1)`.
    fn pullback(&self, n: i32, out: &Self, g: &Self) -> Self;
    /// The tangent of the output given the operand's tangent `da`.
    fn tangent(&self, n: i32, out: &Self, da: &Self) -> Self;
}

impl<T: Real> PowiRule for T {
    #[inline(always)]
    fn value(&self, n: i32) -> T {
        self.powi(n)
    }
    #[inline(always)]
    fn pullback(&self, n: i32, _out: &T, g: &T) -> T {
        if n == 0 {
            return T::zero();
        }
        let n_t: T = nalgebra::convert(n as f64);
        *g * n_t * self.powi(n - 1)
    }
    #[inline(always)]
    fn tangent(&self, n: i32, out: &T, da: &T) -> T {
        self.pullback(n, out, da)
    }
}
