//! `a.atan2(b)`: the angle of the point `(b, a)`, `y = atan2(a, b)`, with
//! `dy/da = b / (a^2 + b^2)` and `dy/db = -a / (a^2 + b^2)` (0 at the origin, as
//! PyTorch gives).
//!
//! PyTorch: `torch.atan2(a, b)`, whose backward node is `Atan2Backward0`.

use super::ScalarFn2;
use crate::adjoint::Real;

/// `atan2` as a differentiable function of two scalars.
pub struct Atan2;

impl ScalarFn2 for Atan2 {
    const NAME: &'static str = "atan2";
    #[inline(always)]
    fn value<T: Real>(a: T, b: T) -> T {
        a.atan2(b)
    }
    #[inline(always)]
    fn partials<T: Real>(a: T, b: T, _y: T) -> (T, T) {
        let r2 = a * a + b * b;
        if r2 == T::zero() {
            return (T::zero(), T::zero());
        }
        (b / r2, -a / r2)
    }
    /// `(-2ab, a^2 - b^2, 2ab) / (a^2 + b^2)^2`.
    #[inline(always)]
    fn second_partials<T: Real>(a: T, b: T, _y: T) -> (T, T, T) {
        let r2 = a * a + b * b;
        if r2 == T::zero() {
            return (T::zero(), T::zero(), T::zero());
        }
        let (ab2, r4) = ((a + a) * b, r2 * r2);
        (-ab2 / r4, (a * a - b * b) / r4, ab2 / r4)
    }
}
