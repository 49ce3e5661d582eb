//! `a.log(b)`: the logarithm of `a` to the base `b`, `y = ln a / ln b`, with
//! `dy/da = 1 / (a ln b)` and `dy/db = -y / (b ln b)`.
//!
//! PyTorch has no two-tensor `log`; `torch.log(a) / torch.log(b)` has the same
//! derivatives.

use super::ScalarFn2;
use crate::adjoint::Real;

/// `log` with a base as a differentiable function of two scalars.
pub struct Log;

impl ScalarFn2 for Log {
    const NAME: &'static str = "log";
    #[inline(always)]
    fn value<T: Real>(a: T, b: T) -> T {
        a.log(b)
    }
    #[inline(always)]
    fn partials<T: Real>(a: T, b: T, y: T) -> (T, T) {
        let lb = b.ln();
        ((a * lb).recip(), -y / (b * lb))
    }
    /// `(-1 / (a^2 ln b), -1 / (a b ln^2 b), y (ln b + 2) / (b^2 ln^2 b))`.
    #[inline(always)]
    fn second_partials<T: Real>(a: T, b: T, y: T) -> (T, T, T) {
        let lb = b.ln();
        let two = T::one() + T::one();
        (
            -(a * a * lb).recip(),
            -(a * b * lb * lb).recip(),
            y * (lb + two) / (b * b * lb * lb),
        )
    }
}
