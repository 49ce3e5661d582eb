//! nalgebra's points: `Point3::from(v)`, `p - q`, `p + v`, `p - v`, and the
//! rotations of a point, `q * p` and `m * p` (as `AddRule`, `SubRule` and
//! `MulRule` impls).
//!
//! A point's cotangent is that of its coordinates, carried in a `Point` (see
//! `adjoint/tangent.rs`): `p.coords`, `p.x` and `p[i]` are field reads and
//! indexing, which need no rule. Everything here is the vector rule it is in
//! coordinates:
//!
//! - `Point3::from(v)`: `gv = g.coords`;
//! - `p - q = p.coords - q.coords`: `(g, -g)`; `p + v`, `p - v`: `(g, +-g)`;
//! - `q * p = Point3::from(q * p.coords)`: the pullback, tangent and second-order
//!   term of `q * v` (`rotation.rs`), quadratic in a quaternion's coordinates and
//!   bilinear in a rotation matrix's.
//!
//! PyTorch: none (points are tensors there); pytorch3d's `quaternion_apply`.

use super::add::AddRule;
use super::mul::MulRule;
use super::sub::SubRule;
use crate::adjoint::Real;
use nalgebra::{Point, Point3, Rotation3, SVector, UnitQuaternion, Vector3};

/// `Point::from(v)` of a vector.
#[diagnostic::on_unimplemented(
    message = "`Point3::from` is differentiated on a `Vector3` (an `SVector`), not on `{Self}`",
    note = "for coordinates write `Point3::new(x, y, z)`"
)]
pub trait PointFromVectorRule: Sized {
    /// The point's type.
    type Output;
    /// The point with coordinates `self`.
    fn value(&self) -> Self::Output;
    /// `g.coords`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The point with coordinates `dv`.
    fn tangent(&self, out: &Self::Output, dv: &Self) -> Self::Output;
}

impl<T: Real, const D: usize> PointFromVectorRule for SVector<T, D> {
    type Output = Point<T, D>;
    #[inline(always)]
    fn value(&self) -> Point<T, D> {
        Point::from(*self)
    }
    #[inline(always)]
    fn pullback(&self, _out: &Point<T, D>, g: &Point<T, D>) -> Self {
        g.coords
    }
    #[inline(always)]
    fn tangent(&self, _out: &Point<T, D>, dv: &Self) -> Point<T, D> {
        Point::from(*dv)
    }
}

/// `p + v`: a point moved by a vector.
impl<T: Real, const D: usize> AddRule<SVector<T, D>> for Point<T, D> {
    type Output = Point<T, D>;
    #[inline(always)]
    fn value(&self, v: &SVector<T, D>) -> Point<T, D> {
        self + v
    }
    #[inline(always)]
    fn pullback(
        &self,
        _v: &SVector<T, D>,
        _out: &Point<T, D>,
        g: &Point<T, D>,
    ) -> (Self, SVector<T, D>) {
        (*g, g.coords)
    }
    #[inline(always)]
    fn tangent(
        &self,
        _v: &SVector<T, D>,
        _out: &Point<T, D>,
        dp: &Self,
        dv: &SVector<T, D>,
    ) -> Point<T, D> {
        dp + dv
    }
}

/// `p - q`: the vector from `q` to `p`.
impl<T: Real, const D: usize> SubRule for Point<T, D> {
    type Output = SVector<T, D>;
    #[inline(always)]
    fn value(&self, q: &Self) -> SVector<T, D> {
        self - q
    }
    #[inline(always)]
    fn pullback(&self, _q: &Self, _out: &SVector<T, D>, g: &SVector<T, D>) -> (Self, Self) {
        (Point::from(*g), Point::from(-g))
    }
    #[inline(always)]
    fn tangent(&self, _q: &Self, _out: &SVector<T, D>, dp: &Self, dq: &Self) -> SVector<T, D> {
        dp - dq
    }
}

/// `p - v`: a point moved back by a vector.
impl<T: Real, const D: usize> SubRule<SVector<T, D>> for Point<T, D> {
    type Output = Point<T, D>;
    #[inline(always)]
    fn value(&self, v: &SVector<T, D>) -> Point<T, D> {
        self - v
    }
    #[inline(always)]
    fn pullback(
        &self,
        _v: &SVector<T, D>,
        _out: &Point<T, D>,
        g: &Point<T, D>,
    ) -> (Self, SVector<T, D>) {
        (*g, -g.coords)
    }
    #[inline(always)]
    fn tangent(
        &self,
        _v: &SVector<T, D>,
        _out: &Point<T, D>,
        dp: &Self,
        dv: &SVector<T, D>,
    ) -> Point<T, D> {
        dp - dv
    }
}

/// `r * p` for a rotation `r` of `MulRule<Vector3>`: that rule on `p.coords`.
macro_rules! rotate_point {
    ($($R:ident),*) => {$(
        impl<T: Real> MulRule<Point3<T>> for $R<T> {
            type Output = Point3<T>;
            #[inline(always)]
            fn value(&self, p: &Point3<T>) -> Point3<T> {
                self * p
            }
            #[inline(always)]
            fn pullback(&self, p: &Point3<T>, out: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let (gr, gv) = MulRule::<Vector3<T>>::pullback(self, &p.coords, &out.coords, &g.coords);
                (gr, Point3::from(gv))
            }
            #[inline(always)]
            fn tangent(&self, p: &Point3<T>, out: &Point3<T>, dr: &Self, dp: &Point3<T>) -> Point3<T> {
                Point3::from(MulRule::<Vector3<T>>::tangent(self, &p.coords, &out.coords, dr, &dp.coords))
            }
            #[inline(always)]
            fn second(
                &self,
                p: &Point3<T>,
                out: &Point3<T>,
                dr: &Self,
                dp: &Point3<T>,
                g: &Point3<T>,
            ) -> (Self, Point3<T>) {
                let (gr, gv) = MulRule::<Vector3<T>>::second(
                    self, &p.coords, &out.coords, dr, &dp.coords, &g.coords,
                );
                (gr, Point3::from(gv))
            }
        }
    )*};
}
rotate_point!(UnitQuaternion, Rotation3);
