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
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, n: i32, out: &Self, da: &Self, g: &Self) -> Self;
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
    /// `g n (n-1) x^(n-2) da`.
    #[inline(always)]
    fn second(&self, n: i32, _out: &T, da: &T, g: &T) -> T {
        if n == 0 || n == 1 {
            return T::zero();
        }
        let k: T = nalgebra::convert(f64::from(n) * f64::from(n - 1));
        *g * k * self.powi(n - 2) * *da
    }
}
