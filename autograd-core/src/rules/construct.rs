//! Constructors fed by differentiable scalars.
//!
//! `SMatrix::new(a0, a1, ..)` takes its entries row by row, so the cotangent of
//! argument `k` is `g[(k / ncols, k % ncols)]`. `SMatrix::from_element(s)` and
//! `SMatrix::repeat(s)` put `s` in every entry, so its cotangent is `sum(g)`.
//! `Point3::new(x, y, z)` and `Translation3::new(x, y, z)` take their coordinates
//! in order: the cotangent of argument `k` is coordinate `k` of `g`.
//!
//! PyTorch: `torch.stack` of scalars (`StackBackward0`) and `Tensor.expand`
//! (`ExpandBackward0`).

use crate::adjoint::Real;
use nalgebra::{Const, OPoint, SMatrix, Translation};

/// A value built by `TYPE::new(a0, a1, ..)` from scalars: the cotangent of each
/// argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not built from differentiated scalars by `new` in a differentiable function",
    note = "`new` of differentiated scalars builds an `SMatrix`/`SVector`, a `Point3` or a `Translation3`"
)]
pub trait NewArgs {
    /// The scalar type of the arguments.
    type Scalar;
    /// The cotangent of argument `k`, given the value's cotangent `self`.
    fn arg_cotangent(&self, k: usize) -> Self::Scalar;
}

/// Row-major arguments.
impl<T: Real, const R: usize, const C: usize> NewArgs for SMatrix<T, R, C> {
    type Scalar = T;
    #[inline(always)]
    fn arg_cotangent(&self, k: usize) -> T {
        self[(k / C, k % C)]
    }
}

impl<T: Real, const D: usize> NewArgs for OPoint<T, Const<D>> {
    type Scalar = T;
    #[inline(always)]
    fn arg_cotangent(&self, k: usize) -> T {
        self.coords[k]
    }
}

impl<T: Real, const D: usize> NewArgs for Translation<T, D> {
    type Scalar = T;
    #[inline(always)]
    fn arg_cotangent(&self, k: usize) -> T {
        self.vector[k]
    }
}

/// The cotangent of argument `k` of `SMatrix::new(..)` (row-major arguments),
/// `Point3::new(..)` or `Translation3::new(..)`.
#[inline(always)]
pub fn new_arg_cotangent<G: NewArgs>(g: &G, k: usize) -> G::Scalar {
    g.arg_cotangent(k)
}

/// The cotangent of the scalar of `from_element(s)` or `repeat(s)`.
#[inline(always)]
pub fn fill_cotangent<T: Real, const R: usize, const C: usize>(g: &SMatrix<T, R, C>) -> T {
    g.sum()
}
