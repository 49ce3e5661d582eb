//! The piecewise-constant functions: `floor`, `ceil`, `round`, `trunc`, `signum`.
//! Their derivative is 0 wherever it exists, and 0 is what PyTorch's backward
//! nodes give at the jumps too.
//!
//! PyTorch: `torch.floor`, `torch.ceil`, `torch.round`, `torch.trunc`,
//! `torch.sign` (backward nodes `FloorBackward0`, ..., `SignBackward0`).

use super::{Reads, ScalarFn};
use crate::adjoint::Real;

/// `floor`: the largest integer not above x; derivative 0.
pub struct Floor;

impl ScalarFn for Floor {
    const NAME: &'static str = "floor";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.floor()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

/// `ceil`: the smallest integer not below x; derivative 0.
pub struct Ceil;

impl ScalarFn for Ceil {
    const NAME: &'static str = "ceil";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.ceil()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

/// `round`: the nearest integer, halves away from zero (PyTorch rounds halves to even); derivative 0.
pub struct Round;

impl ScalarFn for Round {
    const NAME: &'static str = "round";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.round()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

/// `trunc`: the integer part of x; derivative 0.
pub struct Trunc;

impl ScalarFn for Trunc {
    const NAME: &'static str = "trunc";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.trunc()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}

/// `signum`: 1 for x >= +0, -1 for x <= -0 (Rust's `signum`; PyTorch's `sign` gives 0 at 0); derivative 0.
pub struct Signum;

impl ScalarFn for Signum {
    const NAME: &'static str = "signum";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        x.signum()
    }
    #[inline(always)]
    fn derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
    #[inline(always)]
    fn second_derivative<T: Real>(_x: T, _y: T) -> T {
        T::zero()
    }
}
