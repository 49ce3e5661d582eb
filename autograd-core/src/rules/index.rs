//! `m[i]` (column-major linear index, as nalgebra), `m[(row, col)]` and `a[i]`
//! on an array `[T; N]` of scalars, matrices or `Tangent` structs: the cotangent
//! is `g` at that entry and zero elsewhere.
//!
//! `#[differentiable]` lowers `m[i]` structurally, as it does a field: the
//! cotangent is added into that entry of `m`'s in place, with no zero matrix per
//! read. This rule states the same derivative for code that applies rules
//! directly.
//!
//! PyTorch: indexing with integers, backward node `SelectBackward0`.

use crate::adjoint::{Real, Tangent};
use nalgebra::SMatrix;

/// `m[index]`.
#[diagnostic::on_unimplemented(
    message = "cannot index `{Self}` with `{I}` in a differentiable function",
    note = "index a matrix with `m[i]` or `m[(row, col)]`, an array with `a[i]`"
)]
pub trait IndexRule<I>: Sized {
    /// The entry type.
    type Output;
    /// The entry.
    fn value(&self, index: I) -> Self::Output;
    /// A matrix of zeros with `g` at the entry.
    fn pullback(&self, index: I, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the entry: the entry of the tangent.
    fn tangent(&self, index: I, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const R: usize, const C: usize> IndexRule<usize> for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self, index: usize) -> T {
        self[index]
    }
    #[inline(always)]
    fn pullback(&self, index: usize, _out: &T, g: &T) -> Self {
        let mut m = Self::zeros();
        m[index] = *g;
        m
    }
    #[inline(always)]
    fn tangent(&self, index: usize, _out: &T, da: &Self) -> T {
        da[index]
    }
}

impl<T: Real, const R: usize, const C: usize> IndexRule<(usize, usize)> for SMatrix<T, R, C> {
    type Output = T;
    #[inline(always)]
    fn value(&self, index: (usize, usize)) -> T {
        self[index]
    }
    #[inline(always)]
    fn pullback(&self, index: (usize, usize), _out: &T, g: &T) -> Self {
        let mut m = Self::zeros();
        m[index] = *g;
        m
    }
    #[inline(always)]
    fn tangent(&self, index: (usize, usize), _out: &T, da: &Self) -> T {
        da[index]
    }
}

impl<T: Tangent, const N: usize> IndexRule<usize> for [T; N] {
    type Output = T;
    #[inline(always)]
    fn value(&self, index: usize) -> T {
        self[index].clone()
    }
    #[inline(always)]
    fn pullback(&self, index: usize, _out: &T, g: &T) -> Self {
        let mut a = self.zero_like();
        a[index] = g.clone();
        a
    }
    #[inline(always)]
    fn tangent(&self, index: usize, _out: &T, da: &Self) -> T {
        da[index].clone()
    }
}
