//! `m.trace()`, the sum of a square matrix's diagonal: `gm = g I`.
//!
//! Linear: no second-order term (`dispatch.rs` declares it so).
//!
//! PyTorch: `torch.trace` (`TraceBackward0`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `m.trace()`.
#[diagnostic::on_unimplemented(
    message = "`trace` is differentiated on square matrices, not on `{Self}`"
)]
pub trait TraceRule: Sized {
    /// The scalar type.
    type Output;
    /// The sum of the diagonal.
    fn value(&self) -> Self::Output;
    /// `g I`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// `trace(dm)`.
    fn tangent(&self, out: &Self::Output, da: &Self) -> Self::Output;
}

impl<T: Real, const N: usize> TraceRule for SMatrix<T, N, N> {
    type Output = T;
    #[inline(always)]
    fn value(&self) -> T {
        self.trace()
    }
    #[inline(always)]
    fn pullback(&self, _out: &T, g: &T) -> Self {
        Self::from_diagonal_element(*g)
    }
    #[inline(always)]
    fn tangent(&self, _out: &T, da: &Self) -> T {
        da.trace()
    }
}
