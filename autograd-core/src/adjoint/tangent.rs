//! Scalars and cotangent arithmetic.

use nalgebra::{
    Const, Isometry, OPoint, Quaternion, RealField, Rotation, SMatrix, Translation, Unit,
};

/// A scalar the static engine differentiates: `f32` or `f64`.
///
/// Generic differentiable functions (`fn f<T: RealField + Copy>`) get `T: Real` added
/// to the bounds of their generated items. The trait is implemented for `f32` and
/// `f64` only; that is what lets the rules be implemented for scalars and for
/// `SMatrix` side by side without overlapping.
pub trait Real: RealField + Copy + Default {}

impl Real for f32 {}
impl Real for f64 {}

/// A cotangent (or tangent) value: an element of a vector space with a zero and an
/// addition. Implemented for [`Real`] scalars, `SMatrix` of them and tuples of
/// tangents; with `alloc`, `Vec`s of tangents (a differentiated slice's
/// gradient) and nalgebra's dynamically sized matrices. A `Copy` tangent is one of
/// static shape; the dynamically sized ones are only `Clone`, and their zero has
/// the shape of the value it is taken like.
pub trait Tangent: Clone {
    /// The zero of the space `self` lives in (same shape).
    fn zero_like(&self) -> Self;
    /// `self += other`.
    fn accumulate(&mut self, other: Self);
}

impl<T: Real> Tangent for T {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        T::zero()
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        *self += other;
    }
}

impl<T: Real, const R: usize, const C: usize> Tangent for SMatrix<T, R, C> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        SMatrix::zeros()
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        *self += other;
    }
}

/// A quaternion is a vector space by its four coordinates `[i, j, k, w]`.
impl<T: Real> Tangent for Quaternion<T> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        Quaternion::from(nalgebra::Vector4::zeros())
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        self.coords += other.coords;
    }
}

/// The cotangent (or tangent) of a `Unit<X>` (a `UnitQuaternion`, a unit vector)
/// is a cotangent of `X`'s coordinates, unconstrained, carried in the same
/// wrapper so that it has the value's type as every cotangent of the static
/// engine does: a `UnitQuaternion`'s cotangent is four coordinates, not a unit
/// quaternion (see `rules/from_scaled_axis.rs`).
impl<X: Tangent> Tangent for Unit<X> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        Unit::new_unchecked(self.as_ref().zero_like())
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        let mut x = self.as_ref().clone();
        x.accumulate(other.into_inner());
        *self = Unit::new_unchecked(x);
    }
}

/// The cotangent of a rotation matrix (`Rotation3`) is a cotangent of its `D x D`
/// entries, unconstrained, in a `Rotation` (as for [`Unit`]).
impl<T: Real, const D: usize> Tangent for Rotation<T, D> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        Rotation::from_matrix_unchecked(SMatrix::zeros())
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        *self = Rotation::from_matrix_unchecked(self.matrix() + other.matrix());
    }
}

/// The cotangent of a point (`Point3`) is that of its coordinates, in a point
/// (as for [`Unit`]): `p.coords`, `p.x` and `p[i]` of a point read its parts.
impl<T: Real, const D: usize> Tangent for OPoint<T, Const<D>> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        OPoint::origin()
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        self.coords += other.coords;
    }
}

/// The cotangent of a translation (`Translation3`) is that of its vector, in a
/// translation.
impl<T: Real, const D: usize> Tangent for Translation<T, D> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        Translation::from(SMatrix::<T, D, 1>::zeros())
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        self.vector += other.vector;
    }
}

/// The cotangent of a rigid motion (`Isometry3`, `IsometryMatrix3`) is an
/// isometry holding the cotangents of its parts: its rotation's coordinates,
/// unconstrained (as for [`Unit`]), and its translation (see
/// `rules/isometry.rs`).
impl<T: Real, R: Tangent, const D: usize> Tangent for Isometry<T, R, D> {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        Isometry {
            rotation: self.rotation.zero_like(),
            translation: self.translation.zero_like(),
        }
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        self.rotation.accumulate(other.rotation);
        self.translation.accumulate(other.translation);
    }
}

impl Tangent for () {
    #[inline(always)]
    fn zero_like(&self) -> Self {}
    #[inline(always)]
    fn accumulate(&mut self, _other: Self) {}
}

/// An array is a vector space entry by entry: a `[T; N]` parameter of a
/// differentiable function has a `[T; N]` gradient.
impl<T: Tangent, const N: usize> Tangent for [T; N] {
    #[inline(always)]
    fn zero_like(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_like())
    }
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
}

macro_rules! tuple_tangent {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Tangent),+> Tangent for ($($name,)+) {
            #[inline(always)]
            fn zero_like(&self) -> Self {
                ($(self.$idx.zero_like(),)+)
            }
            #[inline(always)]
            fn accumulate(&mut self, other: Self) {
                $(self.$idx.accumulate(other.$idx);)+
            }
        }
    };
}
tuple_tangent!(A 0);
tuple_tangent!(A 0, B 1);
tuple_tangent!(A 0, B 1, C 2);
tuple_tangent!(A 0, B 1, C 2, D 3);
tuple_tangent!(A 0, B 1, C 2, D 3, E 4);
tuple_tangent!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_tangent!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_tangent!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A value a differentiable function computes with, and the type of its
/// cotangent: the value's own type for a [`Tangent`] (scalars, matrices, arrays,
/// tuples, derived structs), and with `alloc` a `Vec<T>` for a slice `&[T]` (a
/// differentiated slice parameter is read in place, its gradient is owned).
pub trait Primal {
    /// The type of the cotangent (and tangent) of such a value.
    type Cotangent: Tangent;
    /// The zero cotangent of the shape of `self`.
    fn zero_cotangent(&self) -> Self::Cotangent;
}

impl<G: Tangent> Primal for G {
    type Cotangent = G;
    #[inline(always)]
    fn zero_cotangent(&self) -> G {
        self.zero_like()
    }
}

/// A slice's cotangent is a `Vec` of its length: the one allocation of a
/// cotangent of a differentiated slice.
#[cfg(feature = "alloc")]
impl<T: Tangent> Primal for &[T] {
    type Cotangent = alloc::vec::Vec<T>;
    #[inline]
    fn zero_cotangent(&self) -> alloc::vec::Vec<T> {
        self.iter().map(Tangent::zero_like).collect()
    }
}

/// A pair of slices (the cotangent pairs of second order).
#[cfg(feature = "alloc")]
impl<T: Tangent> Primal for (&[T], &[T]) {
    type Cotangent = (alloc::vec::Vec<T>, alloc::vec::Vec<T>);
    #[inline]
    fn zero_cotangent(&self) -> Self::Cotangent {
        (self.0.zero_cotangent(), self.1.zero_cotangent())
    }
}

/// A `Vec` is a vector space entry by entry, of the length of the value it is
/// the cotangent of: a differentiated `&[T]` parameter has a `Vec<T>` gradient.
#[cfg(feature = "alloc")]
impl<T: Tangent> Tangent for alloc::vec::Vec<T> {
    #[inline]
    fn zero_like(&self) -> Self {
        self.iter().map(Tangent::zero_like).collect()
    }
    /// # Panics
    /// If the lengths differ.
    #[inline]
    fn accumulate(&mut self, other: Self) {
        assert_eq!(
            self.len(),
            other.len(),
            "adding cotangents of slices of different lengths"
        );
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
}

/// nalgebra's dynamically sized matrices (`DMatrix`, `DVector`, `RowDVector`) are
/// vector spaces entry by entry, of the shape of the value they are the cotangent
/// of: a differentiated `DVector<T>` parameter has a `DVector<T>` gradient. The
/// zero allocates, as the value did.
macro_rules! dynamic_tangent {
    ($r:ty, $c:ty) => {
        #[cfg(feature = "alloc")]
        impl<T: Real> Tangent for nalgebra::OMatrix<T, $r, $c> {
            #[inline]
            fn zero_like(&self) -> Self {
                let (r, c) = self.shape_generic();
                Self::zeros_generic(r, c)
            }
            /// # Panics
            /// If the shapes differ.
            #[inline]
            fn accumulate(&mut self, other: Self) {
                assert!(
                    self.shape() == other.shape(),
                    "adding cotangents of different shapes: {:?} and {:?}",
                    self.shape(),
                    other.shape()
                );
                *self += other;
            }
        }
    };
}
dynamic_tangent!(nalgebra::Dyn, nalgebra::Dyn);
dynamic_tangent!(nalgebra::Dyn, nalgebra::U1);
dynamic_tangent!(nalgebra::U1, nalgebra::Dyn);

/// The zero cotangent of a value (see [`Primal`]).
#[inline(always)]
pub fn zero_like<P: Primal + ?Sized>(like: &P) -> P::Cotangent {
    like.zero_cotangent()
}

/// `*g += d`.
#[inline(always)]
pub fn acc<G: Tangent>(g: &mut G, d: G) {
    g.accumulate(d);
}

/// The cotangent `1` that seeds `grad` of a scalar output.
#[diagnostic::on_unimplemented(
    message = "`grad` needs a scalar output, and `{Self}` is not a scalar",
    note = "call `NAME::vjp` and pass the output's cotangent to the pullback"
)]
pub trait ScalarOutput: Copy {
    /// One.
    fn one() -> Self;
}
impl<T: Real> ScalarOutput for T {
    #[inline(always)]
    fn one() -> Self {
        T::one()
    }
}

/// One, of the type of `like`.
#[inline(always)]
pub fn one_like<T: ScalarOutput>(_like: &T) -> T {
    T::one()
}

/// What a callee's positional pullback returns for a `#[constant]` parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoGrad;

/// A cotangent returned by a callee's positional pullback for one argument: the
/// argument's type, or [`NoGrad`] where the callee's parameter is `#[constant]`.
pub trait Contribution<G> {
    /// `*g += self`.
    fn acc_into(self, g: &mut G);
    /// The contribution as a first value of a cotangent whose zero `zero` gives.
    fn init(self, zero: impl FnOnce() -> G) -> G;
}

impl<G: Tangent> Contribution<G> for G {
    #[inline(always)]
    fn acc_into(self, g: &mut G) {
        g.accumulate(self);
    }
    #[inline(always)]
    fn init(self, _zero: impl FnOnce() -> G) -> G {
        self
    }
}

impl<G: Tangent> Contribution<G> for NoGrad {
    #[inline(always)]
    fn acc_into(self, _g: &mut G) {}
    #[inline(always)]
    fn init(self, zero: impl FnOnce() -> G) -> G {
        zero()
    }
}

/// The first contribution to the cotangent of `like`, which may be [`NoGrad`]
/// (see [`Contribution`]).
#[inline(always)]
pub fn init<P: Primal + ?Sized, C: Contribution<P::Cotangent>>(c: C, like: &P) -> P::Cotangent {
    c.init(|| like.zero_cotangent())
}

/// A tangent passed to a callee's positional forward mode: the parameter's tangent
/// type, or [`NoGrad`] where the caller's argument is constant.
pub trait TangentArg<T> {
    /// The tangent, the zero `zero` gives for [`NoGrad`].
    fn tangent_for(self, zero: impl FnOnce() -> T) -> T;
}

impl<T: Tangent> TangentArg<T> for T {
    #[inline(always)]
    fn tangent_for(self, _zero: impl FnOnce() -> T) -> T {
        self
    }
}

impl<T: Tangent> TangentArg<T> for NoGrad {
    #[inline(always)]
    fn tangent_for(self, zero: impl FnOnce() -> T) -> T {
        zero()
    }
}

/// The tangent of argument `t` for a value like `like` (see [`TangentArg`]).
#[inline(always)]
pub fn tangent_for<P: Primal + ?Sized, A: TangentArg<P::Cotangent>>(
    t: A,
    like: &P,
) -> P::Cotangent {
    t.tangent_for(|| like.zero_cotangent())
}
