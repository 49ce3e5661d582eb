//! Constructors fed by differentiable scalars.
//!
//! `SMatrix::new(a0, a1, ..)` takes its entries row by row, so the cotangent of
//! argument `k` is `g[(k / ncols, k % ncols)]`. `SMatrix::from_element(s)` and
//! `SMatrix::repeat(s)` put `s` in every entry, so its cotangent is `sum(g)`.
//!
//! PyTorch: `torch.stack` of scalars (`StackBackward0`) and `Tensor.expand`
//! (`ExpandBackward0`).

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// The cotangent of argument `k` of `SMatrix::new(..)` (row-major arguments).
#[inline(always)]
pub fn new_arg_cotangent<T: Real, const R: usize, const C: usize>(
    g: &SMatrix<T, R, C>,
    k: usize,
) -> T {
    g[(k / C, k % C)]
}

/// The cotangent of the scalar of `from_element(s)` or `repeat(s)`.
#[inline(always)]
pub fn fill_cotangent<T: Real, const R: usize, const C: usize>(g: &SMatrix<T, R, C>) -> T {
    g.sum()
}
