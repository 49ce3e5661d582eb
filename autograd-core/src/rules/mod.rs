//! Derivative rules: one module per primitive.
//!
//! Each module holds a primitive's value and its pullback (the vector-Jacobian
//! product: given the cotangent `g` of the output, the cotangents of the inputs),
//! with the formula and the PyTorch equivalent in its documentation. The traits are
//! what `#[differentiable]` emits calls to; rustc picks the implementation from the
//! operand types, so a scalar `*` and a matrix product are the same call.
//!
//! Scalar functions (`tanh`, `exp`, ...) implement [`ScalarFn`] once; [`Unary`] lifts
//! them to `SMatrix` entry by entry where [`ElementwiseFn`] says that is what the
//! method means on a matrix.

mod abs;
mod acos;
mod acosh;
mod add;
mod add_scalar;
mod asin;
mod asinh;
mod atan;
mod atan2;
mod atanh;
mod cbrt;
mod component_div;
mod component_mul;
mod construct;
mod cos;
mod cosh;
mod cross;
mod determinant;
mod div;
mod dot;
#[cfg(feature = "alloc")]
mod dynamic;
mod elementwise;
mod exp;
mod exp2;
mod exp_m1;
mod from_axis_angle;
mod from_scaled_axis;
mod hypot;
mod index;
mod inverse;
mod isometry;
mod ln;
mod ln_1p;
mod log;
mod log10;
mod log2;
mod max;
mod mean;
mod min;
mod mul;
mod neg;
mod norm;
mod normalize;
mod point;
mod powf;
mod powi;
mod recip;
mod relu;
mod rotation;
mod rounding;
mod sigmoid;
mod sin;
mod sinh;
mod softplus;
mod solve;
mod sqrt;
mod sub;
mod sum;
mod tan;
mod tanh;
mod to_rotation_matrix;
mod trace;
mod transpose;
mod view;

pub use abs::Abs;
pub use acos::Acos;
pub use acosh::Acosh;
pub use add::AddRule;
pub use add_scalar::AddScalarRule;
pub use asin::Asin;
pub use asinh::Asinh;
pub use atan::Atan;
pub use atan2::Atan2;
pub use atanh::Atanh;
pub use cbrt::Cbrt;
pub use component_div::ComponentDivRule;
pub use component_mul::ComponentMulRule;
pub use construct::{fill_cotangent, new_arg_cotangent, NewArgs};
pub use cos::Cos;
pub use cosh::Cosh;
pub use cross::CrossRule;
pub use determinant::DeterminantRule;
pub use div::DivRule;
pub use dot::DotRule;
pub use elementwise::Elementwise;
pub use exp::{Exp, ExpRule};
pub use exp2::Exp2;
pub use exp_m1::ExpM1;
pub use from_axis_angle::QuaternionFromAxisAngleRule;
pub use from_scaled_axis::{QuaternionFromScaledAxisRule, RotationFromScaledAxisRule};
pub use hypot::Hypot;
pub use index::IndexRule;
pub use inverse::InverseRule;
pub use isometry::{
    InverseTransformPointRule, InverseTransformVectorRule, IsometryFromPartsRule, IsometryNewRule,
    TransformPointRule, TransformVectorRule, TranslationFromVectorRule,
};
pub use ln::Ln;
pub use ln_1p::Ln1p;
pub use log::Log;
pub use log10::Log10;
pub use log2::Log2;
pub use max::{MaxEntryRule, MaxRule};
pub use mean::MeanRule;
pub use min::{MinEntryRule, MinRule};
pub use mul::MulRule;
pub use neg::NegRule;
pub use norm::{NormRule, NormSquaredRule};
pub use normalize::NormalizeRule;
pub use point::PointFromVectorRule;
pub use powf::PowfRule;
pub use powi::PowiRule;
pub use recip::Recip;
pub use relu::Relu;
pub use rotation::RotationInverseRule;
pub use rounding::{Ceil, Floor, Round, Signum, Trunc};
pub use sigmoid::Sigmoid;
pub use sin::Sin;
pub use sinh::Sinh;
pub use softplus::Softplus;
pub use solve::{CholeskySolveRule, LuSolveRule};
pub use sqrt::Sqrt;
pub use sub::SubRule;
pub use sum::SumRule;
pub use tan::Tan;
pub use tanh::Tanh;
pub use to_rotation_matrix::{RotationMatrixRule, ToRotationMatrixRule};
pub use trace::TraceRule;
pub use transpose::TransposeRule;
pub use view::{Column, FixedColumns, FixedRows, FixedView, Row, ViewRule};

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// A differentiable function of one scalar.
pub trait ScalarFn {
    /// The method name users write (`"tanh"`), for messages.
    const NAME: &'static str;
    /// `y = f(x)`.
    fn value<T: Real>(x: T) -> T;
    /// Which of `x` and `y` [`derivative`](ScalarFn::derivative) reads: the tape
    /// saves that value alone and differentiates with
    /// [`derivative_from`](ScalarFn::derivative_from).
    const READS: Reads;
    /// `f'(x)`, given `x` and `y = f(x)` (many derivatives are cheapest from `y`).
    fn derivative<T: Real>(x: T, y: T) -> T;
    /// `f'(x)` from the one value it reads ([`READS`](ScalarFn::READS)): the
    /// tape's backward, which saved only that value. The same formula as
    /// [`derivative`](ScalarFn::derivative), so that both engines differentiate
    /// with one expression; a unit test checks each rule's `READS`.
    #[inline(always)]
    fn derivative_from<T: Real>(saved: T) -> T {
        Self::derivative(saved, saved)
    }
    /// `f''(x)`, given `x` and `y = f(x)`: what second-order derivatives
    /// (`NAME::hvp`, `NAME::hessian`) need.
    fn second_derivative<T: Real>(x: T, y: T) -> T;
}

/// A differentiable function of two scalars, called as a method of the first
/// (`a.atan2(b)`, `a.hypot(b)`, `a.log(base)`): one file of `rules/` and one row
/// of the macro's table add one.
pub trait ScalarFn2 {
    /// The method name users write (`"atan2"`), for messages.
    const NAME: &'static str;
    /// `y = f(a, b)`.
    fn value<T: Real>(a: T, b: T) -> T;
    /// `(df/da, df/db)`, given `a`, `b` and `y = f(a, b)`.
    fn partials<T: Real>(a: T, b: T, y: T) -> (T, T);
    /// `(d2f/da2, d2f/dadb, d2f/db2)`: what second-order derivatives need.
    fn second_partials<T: Real>(a: T, b: T, y: T) -> (T, T, T);
}

/// A [`ScalarFn2`] applied to two scalars: its value, pullback, tangent and
/// second-order term, as generated code calls them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no differentiable `{F}` of two operands",
    note = "these functions are differentiated on two scalars of the same type; for matrices write `m.zip_map(&n, |a, b| ...)` as a loop over entries"
)]
pub trait Binary<F>: Sized {
    /// `f(a, b)`.
    fn value(&self, b: &Self) -> Self;
    /// `(g df/da, g df/db)`.
    fn pullback(&self, b: &Self, out: &Self, g: &Self) -> (Self, Self);
    /// `df/da da + df/db db`.
    fn tangent(&self, b: &Self, out: &Self, da: &Self, db: &Self) -> Self;
    /// The derivative of `pullback` along `(da, db)` for a fixed `g`.
    fn second(&self, b: &Self, out: &Self, da: &Self, db: &Self, g: &Self) -> (Self, Self);
}

impl<T: Real, F: ScalarFn2> Binary<F> for T {
    #[inline(always)]
    fn value(&self, b: &Self) -> Self {
        F::value(*self, *b)
    }
    #[inline(always)]
    fn pullback(&self, b: &Self, out: &Self, g: &Self) -> (Self, Self) {
        let (fa, fb) = F::partials(*self, *b, *out);
        (*g * fa, *g * fb)
    }
    #[inline(always)]
    fn tangent(&self, b: &Self, out: &Self, da: &Self, db: &Self) -> Self {
        let (fa, fb) = F::partials(*self, *b, *out);
        fa * *da + fb * *db
    }
    #[inline(always)]
    fn second(&self, b: &Self, out: &Self, da: &Self, db: &Self, g: &Self) -> (Self, Self) {
        let (faa, fab, fbb) = F::second_partials(*self, *b, *out);
        (*g * (faa * *da + fab * *db), *g * (fab * *da + fbb * *db))
    }
}

/// The value a [`ScalarFn`]'s derivative is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// The input `x` (`ln`: `1 / x`).
    Input,
    /// The output `y = f(x)` (`tanh`: `1 - y^2`).
    Output,
}

/// A [`ScalarFn`] whose method of the same name on a matrix applies it to every
/// entry (`m.tanh()`, `m.abs()`), as opposed to `exp`, which nalgebra defines as the
/// matrix exponential.
pub trait ElementwiseFn: ScalarFn {}

/// A scalar function applied to a scalar, or to every entry of a matrix.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no differentiable element-wise `{F}`",
    note = "write the entry-wise function with `m.map(|v| ...)`"
)]
pub trait Unary<F>: Sized {
    /// `f(x)`, entry by entry.
    fn value(&self) -> Self;
    /// `f'(x)`, entry by entry, from `x` and `out = f(x)`.
    fn derivative(&self, out: &Self) -> Self;
    /// `g * d`, entry by entry: the pullback of `g` through a derivative `d` that
    /// [`Unary::derivative`] computed.
    fn times(d: &Self, g: &Self) -> Self;
    /// `g * f'(x)`, entry by entry: [`Unary::times`] of [`Unary::derivative`], the
    /// two steps the generated code takes on either side of the forward sweep.
    #[inline(always)]
    fn pullback(&self, out: &Self, g: &Self) -> Self {
        Self::times(&self.derivative(out), g)
    }
    /// `da * f'(x)`, entry by entry.
    #[inline(always)]
    fn tangent(&self, out: &Self, da: &Self) -> Self {
        self.pullback(out, da)
    }
    /// `g * f''(x) * da`, entry by entry: the derivative of `pullback` along the
    /// tangent `da` for a fixed `g` (the second-order term of forward-over-reverse).
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self;
}

impl<T: Real, F: ScalarFn> Unary<F> for T {
    #[inline(always)]
    fn value(&self) -> Self {
        F::value(*self)
    }
    #[inline(always)]
    fn derivative(&self, out: &Self) -> Self {
        F::derivative(*self, *out)
    }
    #[inline(always)]
    fn times(d: &Self, g: &Self) -> Self {
        *g * *d
    }
    #[inline(always)]
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
        *g * F::second_derivative(*self, *out) * *da
    }
}

impl<T: Real, const R: usize, const C: usize, F: ElementwiseFn> Unary<F> for SMatrix<T, R, C> {
    #[inline(always)]
    fn value(&self) -> Self {
        self.map(F::value)
    }
    #[inline(always)]
    fn derivative(&self, out: &Self) -> Self {
        self.zip_map(out, F::derivative)
    }
    #[inline(always)]
    fn times(d: &Self, g: &Self) -> Self {
        g.component_mul(d)
    }
    #[inline(always)]
    fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
        let mut r = *g;
        for (((r, x), y), d) in r.iter_mut().zip(self.iter()).zip(out.iter()).zip(da.iter()) {
            *r *= F::second_derivative(*x, *y) * *d;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `derivative` must not read the value `READS` does not name: with a NaN in
    /// that slot it still gives the derivative, so the tape, which saved only the
    /// named value, computes exactly what the static rule does.
    fn reads_what_it_says<F: ScalarFn>(xs: &[f64]) {
        for &x in xs {
            let y = F::value(x);
            let full = F::derivative(x, y);
            let (alone, from) = match F::READS {
                Reads::Input => (F::derivative(x, f64::NAN), F::derivative_from(x)),
                Reads::Output => (F::derivative(f64::NAN, y), F::derivative_from(y)),
            };
            assert_eq!(full.to_bits(), alone.to_bits(), "{} at {x}", F::NAME);
            assert_eq!(full.to_bits(), from.to_bits(), "{} at {x}", F::NAME);
        }
    }

    #[test]
    fn every_scalar_function_reads_what_it_declares() {
        let xs = [-3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 40.0];
        let pos = [0.01, 0.3, 1.0, 2.5, 40.0];
        reads_what_it_says::<Abs>(&xs);
        reads_what_it_says::<Cos>(&xs);
        reads_what_it_says::<Exp>(&xs);
        reads_what_it_says::<Ln>(&pos);
        reads_what_it_says::<Recip>(&pos);
        reads_what_it_says::<Relu>(&xs);
        reads_what_it_says::<Sigmoid>(&xs);
        reads_what_it_says::<Sin>(&xs);
        reads_what_it_says::<Softplus>(&xs);
        reads_what_it_says::<Sqrt>(&pos);
        reads_what_it_says::<Tanh>(&xs);
        let unit = [-0.9, -0.5, 0.0, 0.25, 0.7];
        let above1 = [1.01, 1.5, 3.0, 40.0];
        reads_what_it_says::<Tan>(&unit);
        reads_what_it_says::<Asin>(&unit);
        reads_what_it_says::<Acos>(&unit);
        reads_what_it_says::<Atan>(&xs);
        reads_what_it_says::<Sinh>(&xs);
        reads_what_it_says::<Cosh>(&xs);
        reads_what_it_says::<Asinh>(&xs);
        reads_what_it_says::<Acosh>(&above1);
        reads_what_it_says::<Atanh>(&unit);
        reads_what_it_says::<Exp2>(&xs);
        reads_what_it_says::<ExpM1>(&xs);
        reads_what_it_says::<Ln1p>(&pos);
        reads_what_it_says::<Log2>(&pos);
        reads_what_it_says::<Log10>(&pos);
        reads_what_it_says::<Cbrt>(&xs);
        reads_what_it_says::<Floor>(&xs);
        reads_what_it_says::<Ceil>(&xs);
        reads_what_it_says::<Round>(&xs);
        reads_what_it_says::<Trunc>(&xs);
        reads_what_it_says::<Signum>(&xs);
    }
}
