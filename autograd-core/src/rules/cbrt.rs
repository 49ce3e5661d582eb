//! `cbrt`: y = x^(1/3), dy/dx = 1 / (3 y^2) (infinite at 0).
//!
//! PyTorch: torch.pow(x, 1/3) on positive x (PyTorch has no cbrt).

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `cbrt` as a differentiable scalar function.
pub struct Cbrt;

impl ScalarFn for Cbrt {
    const NAME: &'static str = "cbrt";
    const READS: Reads = Reads::Output;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.cbrt()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        (three::<T>() * y * y).recip()
    }
    /// -2 / (9 y^5).
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, y: T) -> T {
        -(two::<T>() / (three::<T>() * three::<T>() * y * y * y * y * y))
    }
}

#[inline(always)]
fn two<T: Real>() -> T {
    T::one() + T::one()
}

#[inline(always)]
fn three<T: Real>() -> T {
    T::one() + T::one() + T::one()
}
