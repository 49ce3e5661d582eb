//! `exp`: y = e^x, dy/dx = y.
//!
//! PyTorch: `torch.exp`, whose backward node is `ExpBackward0`.

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `exp` as a differentiable scalar function.
pub struct Exp;

impl ScalarFn for Exp {
    const NAME: &'static str = "exp";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.exp()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        y
    }
    /// e^x.
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        y
    }
}

/// `x.exp()`: scalars only. On a square matrix, nalgebra's `exp` is the matrix
/// exponential, which is not differentiated here.
#[diagnostic::on_unimplemented(
    message = "`exp` on `{Self}` is nalgebra's matrix exponential, which autograd does not differentiate",
    label = "matrix exponential",
    note = "for the entry-wise exponential write `m.map(|v| v.exp())`"
)]
pub trait ExpRule: Sized {
    /// `e^x`.
    fn value(&self) -> Self;
    /// `g * e^x`.
    fn pullback(&self, out: &Self, g: &Self) -> Self;
    /// `da * e^x`.
    fn tangent(&self, out: &Self, da: &Self) -> Self;
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self;
}

impl<T: Real> ExpRule for T {
    #[inline(always)]
    fn value(&self) -> Self {
        Exp::value(*self)
    }
    #[inline(always)]
    fn pullback(&self, out: &Self, g: &Self) -> Self {
        *g * Exp::derivative(*self, *out)
    }
    #[inline(always)]
    fn tangent(&self, out: &Self, da: &Self) -> Self {
        *da * Exp::derivative(*self, *out)
    }
    #[inline(always)]
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
        *g * Exp::second_derivative(*self, *out) * *da
    }
}
