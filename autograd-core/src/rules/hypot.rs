//! `a.hypot(b)`: `h = sqrt(a^2 + b^2)`, with `dh/da = a / h` and `dh/db = b / h`
//! (0 at the origin, the subgradient PyTorch gives).
//!
//! PyTorch: `torch.hypot(a, b)`, whose backward node is `HypotBackward0`.

use super::ScalarFn2;
use crate::adjoint::Real;

/// `hypot` as a differentiable function of two scalars.
pub struct Hypot;

impl ScalarFn2 for Hypot {
    const NAME: &'static str = "hypot";
    #[inline(always)]
    fn value<T: Real>(a: T, b: T) -> T {
        a.hypot(b)
    }
    #[inline(always)]
    fn partials<T: Real>(a: T, b: T, h: T) -> (T, T) {
        if h == T::zero() {
            return (T::zero(), T::zero());
        }
        (a / h, b / h)
    }
    /// `(b^2, -ab, a^2) / h^3`.
    #[inline(always)]
    fn second_partials<T: Real>(a: T, b: T, h: T) -> (T, T, T) {
        if h == T::zero() {
            return (T::zero(), T::zero(), T::zero());
        }
        let h3 = h * h * h;
        (b * b / h3, -(a * b) / h3, a * a / h3)
    }
}
