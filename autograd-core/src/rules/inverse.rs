//! `m.try_inverse().unwrap()`, lowered as one primitive: `Y = A^-1`,
//! `dY = -Y dA Y`, `gA = -Y^T g Y^T`.
//!
//! A singular matrix (nalgebra's `try_inverse` returns `None`) panics in the
//! forward sweep, as the `unwrap` of the user's code does.
//!
//! PyTorch: `torch.linalg.inv` (`LinalgInvExBackward0`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `m.try_inverse().unwrap()`.
#[diagnostic::on_unimplemented(
    message = "`try_inverse().unwrap()` is differentiated on square matrices, not on `{Self}`"
)]
pub trait InverseRule: Sized {
    /// `A^-1`; panics if `A` is singular, as `try_inverse().unwrap()` does.
    fn value(&self) -> Self;
    /// `-Y^T g Y^T` with `Y` the output.
    fn pullback(&self, out: &Self, g: &Self) -> Self;
    /// `-Y dA Y`.
    fn tangent(&self, out: &Self, da: &Self) -> Self;
    /// The derivative of `pullback` along the operand's tangent `da`, for a fixed
    /// `g`: the second-order term of forward-over-reverse (`NAME::hvp`).
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self;
}

impl<T: Real, const N: usize> InverseRule for SMatrix<T, N, N> {
    #[inline(always)]
    fn value(&self) -> Self {
        match self.try_inverse() {
            Some(inv) => inv,
            None => {
                panic!("`try_inverse().unwrap()` of a singular matrix: try_inverse returned None")
            }
        }
    }
    #[inline(always)]
    fn pullback(&self, out: &Self, g: &Self) -> Self {
        let yt = out.transpose();
        -(yt * g * yt)
    }
    #[inline(always)]
    fn tangent(&self, out: &Self, da: &Self) -> Self {
        -(out * da * out)
    }
    /// With `dY = -Y dA Y`: `-(dY^T g Y^T + Y^T g dY^T)`.
    #[inline(always)]
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
        let yt = out.transpose();
        let dyt = -(out * da * out).transpose();
        -(dyt * g * yt + yt * g * dyt)
    }
}
