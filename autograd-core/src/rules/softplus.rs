//! `softplus`: y = ln(1 + e^x), dy/dx = sigmoid(x); as PyTorch (beta 1, threshold 20), y = x for x > 20.
//!
//! PyTorch: `torch.nn.functional.softplus`, whose backward node is `SoftplusBackward0`.

use super::{ElementwiseFn, Reads, ScalarFn};
use crate::adjoint::Real;

/// `softplus` as a differentiable scalar function.
pub struct Softplus;

impl ScalarFn for Softplus {
    const NAME: &'static str = "softplus";
    const READS: Reads = Reads::Input;
    #[inline(always)]
    fn value<T: Real>(x: T) -> T {
        if x > threshold::<T>() {
            x
        } else {
            x.exp().ln_1p()
        }
    }
    #[inline(always)]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        if x > threshold::<T>() {
            T::one()
        } else {
            <super::Sigmoid as ScalarFn>::value(x)
        }
    }
    /// `sigmoid'(x) = s (1 - s)`, and 0 above the threshold.
    #[inline(always)]
    fn second_derivative<T: Real>(x: T, _y: T) -> T {
        if x > threshold::<T>() {
            T::zero()
        } else {
            let s = <super::Sigmoid as ScalarFn>::value(x);
            s * (T::one() - s)
        }
    }
}

impl ElementwiseFn for Softplus {}

/// PyTorch's default `threshold` of `softplus`, above which it is the identity.
#[inline(always)]
fn threshold<T: Real>() -> T {
    nalgebra::convert(20.0)
}
