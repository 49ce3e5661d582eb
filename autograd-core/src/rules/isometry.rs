//! nalgebra's rigid motions: `Translation3::from(v)`, `Isometry3::from_parts(t, r)`,
//! `Isometry3::new(t, w)`, the products `iso * p`, `iso * v`, `iso * iso2` (as
//! `MulRule` impls), `iso.inverse()` (a `RotationInverseRule` impl) and the
//! methods `x.transform_point(&p)`, `x.transform_vector(&v)`,
//! `x.inverse_transform_point(&p)`, `x.inverse_transform_vector(&v)` of an
//! isometry or a rotation, for `Isometry3` (a `UnitQuaternion` rotation) and
//! `IsometryMatrix3` (a `Rotation3`).
//!
//! An isometry's cotangent is an `Isometry` holding the cotangents of its parts:
//! its rotation's coordinates, unconstrained (see `from_scaled_axis.rs`), and its
//! translation vector (see `adjoint/tangent.rs`); `iso.rotation`,
//! `iso.translation.vector` are field reads. Every rule is a composition of the
//! closed forms of the rotation's rules (`rotation.rs`), with `(R, t)` the parts
//! and `G = (gR, gt)` a cotangent:
//!
//! - `iso * p = R p + t`: `(gR, gp)` of `R p` at `g`, and `gt = g`;
//! - `iso * v = R v`: the rotation's rule, `gt = 0`;
//! - `(R1, t1) (R2, t2) = (R1 R2, R1 t2 + t1)`: `gR1` is the sum of the
//!   pullbacks of `R1 R2` at `gR` and of `R1 t2` at `gt`; `gR2` from the first,
//!   `gt2` from the second, `gt1 = gt`;
//! - `(R, t)^-1 = (R^-1, -(R^-1 t))`: with `Ri = R^-1` (linear in `R`,
//!   `L`), `(gRi, gt)` the pullback of `Ri t` at `-gt'`, and `gR = L^T (gR' + gRi)`;
//! - `x.inverse_transform_point(&p) = R^-1 (p - t)`: with `d = p - t`,
//!   `(gRi, gd)` the pullback of `Ri d`, `gR = L^T gRi`, `gp = gd`, `gt = -gd`
//!   (without `t` for a rotation or a vector);
//! - `Isometry3::new(t, w) = (exp(w), t)`: the exponential map's rule for `w`.
//!
//! The second-order terms (`NAME::hvp`) are those of the rotation products they
//! are made of (`q * v` is quadratic in `q`); the structural rules are linear.
//!
//! PyTorch: none built in; pytorch3d's `Transform3d.compose`, `inverse`,
//! `transform_points`; Sophus' `SE3`.

use super::from_scaled_axis::QuaternionFromScaledAxisRule;
use super::mul::MulRule;
use super::rotation::RotationInverseRule;
use crate::adjoint::{Real, Tangent};
use nalgebra::{
    Isometry, Isometry3, Point3, Rotation3, SVector, Translation, Translation3, UnitQuaternion,
    Vector3,
};

/// `Translation::from(v)` of a vector.
#[diagnostic::on_unimplemented(
    message = "`Translation3::from` is differentiated on a `Vector3` (an `SVector`), not on `{Self}`",
    note = "for coordinates write `Translation3::new(x, y, z)`"
)]
pub trait TranslationFromVectorRule: Sized {
    /// The translation's type.
    type Output;
    /// The translation by `self`.
    fn value(&self) -> Self::Output;
    /// `g.vector`.
    fn pullback(&self, out: &Self::Output, g: &Self::Output) -> Self;
    /// The translation by `dv`.
    fn tangent(&self, out: &Self::Output, dv: &Self) -> Self::Output;
}

impl<T: Real, const D: usize> TranslationFromVectorRule for SVector<T, D> {
    type Output = Translation<T, D>;
    #[inline(always)]
    fn value(&self) -> Translation<T, D> {
        Translation::from(*self)
    }
    #[inline(always)]
    fn pullback(&self, _out: &Translation<T, D>, g: &Translation<T, D>) -> Self {
        g.vector
    }
    #[inline(always)]
    fn tangent(&self, _out: &Translation<T, D>, dv: &Self) -> Translation<T, D> {
        Translation::from(*dv)
    }
}

/// `Isometry3::from_parts(translation, rotation)`.
#[diagnostic::on_unimplemented(
    message = "`Isometry3::from_parts` is differentiated on a `Translation3` and a `UnitQuaternion` or `Rotation3`, not on `{Self}` and `{Rhs}`",
    note = "build the translation with `Translation3::from(v)` or `Translation3::new(x, y, z)`"
)]
pub trait IsometryFromPartsRule<Rhs>: Sized {
    /// The isometry's type.
    type Output;
    /// The isometry of the two parts.
    fn value(&self, rotation: &Rhs) -> Self::Output;
    /// The parts of `g`.
    fn pullback(&self, rotation: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The isometry of the parts' tangents.
    fn tangent(&self, rotation: &Rhs, out: &Self::Output, dt: &Self, dr: &Rhs) -> Self::Output;
}

/// `Isometry3::new(translation, scaled_axis)`: `(exp(w), t)`.
#[diagnostic::on_unimplemented(
    message = "`Isometry3::new` is differentiated on two `Vector3`s (a translation and a scaled axis), not on `{Self}` and `{Rhs}`"
)]
pub trait IsometryNewRule<Rhs>: Sized {
    /// The isometry's type.
    type Output;
    /// nalgebra's value.
    fn value(&self, w: &Rhs) -> Self::Output;
    /// `(g.translation.vector, exp'(w)^T g.rotation)`.
    fn pullback(&self, w: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// `(exp'(w) dw, dt)`.
    fn tangent(&self, w: &Rhs, out: &Self::Output, dt: &Self, dw: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along `(dt, dw)` for a fixed `g` (`NAME::hvp`).
    fn second(
        &self,
        w: &Rhs,
        out: &Self::Output,
        dt: &Self,
        dw: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

impl<T: Real> IsometryNewRule<Vector3<T>> for Vector3<T> {
    type Output = Isometry3<T>;
    #[inline(always)]
    fn value(&self, w: &Vector3<T>) -> Isometry3<T> {
        Isometry3::new(*self, *w)
    }
    #[inline(always)]
    fn pullback(&self, w: &Vector3<T>, out: &Isometry3<T>, g: &Isometry3<T>) -> (Self, Vector3<T>) {
        let gw = QuaternionFromScaledAxisRule::pullback(w, &out.rotation, &g.rotation);
        (g.translation.vector, gw)
    }
    #[inline(always)]
    fn tangent(
        &self,
        w: &Vector3<T>,
        out: &Isometry3<T>,
        dt: &Self,
        dw: &Vector3<T>,
    ) -> Isometry3<T> {
        let dq = QuaternionFromScaledAxisRule::tangent(w, &out.rotation, dw);
        Isometry::from_parts(Translation::from(*dt), dq)
    }
    /// The translation is linear: only the exponential map's term.
    #[inline(always)]
    fn second(
        &self,
        w: &Vector3<T>,
        out: &Isometry3<T>,
        _dt: &Self,
        dw: &Vector3<T>,
        g: &Isometry3<T>,
    ) -> (Self, Vector3<T>) {
        let gw = QuaternionFromScaledAxisRule::second(w, &out.rotation, dw, &g.rotation);
        (Vector3::zeros(), gw)
    }
}

/// `x.transform_point(&p)` of an isometry or a rotation: `x * p`.
#[diagnostic::on_unimplemented(
    message = "`transform_point` is differentiated on an `Isometry3`, `IsometryMatrix3`, `UnitQuaternion` or `Rotation3` and a `Point3`, not on `{Self}` and `{Rhs}`"
)]
pub trait TransformPointRule<Rhs>: Sized {
    /// The point's type.
    type Output;
    /// `x * p`.
    fn value(&self, p: &Rhs) -> Self::Output;
    /// The pullback of `x * p`.
    fn pullback(&self, p: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of `x * p`.
    fn tangent(&self, p: &Rhs, out: &Self::Output, dx: &Self, dp: &Rhs) -> Self::Output;
    /// The second-order term of `x * p`.
    fn second(
        &self,
        p: &Rhs,
        out: &Self::Output,
        dx: &Self,
        dp: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `x.transform_vector(&v)` of an isometry or a rotation: the rotation of `v`.
#[diagnostic::on_unimplemented(
    message = "`transform_vector` is differentiated on an `Isometry3`, `IsometryMatrix3`, `UnitQuaternion` or `Rotation3` and a `Vector3`, not on `{Self}` and `{Rhs}`"
)]
pub trait TransformVectorRule<Rhs>: Sized {
    /// The vector's type.
    type Output;
    /// `x * v`.
    fn value(&self, v: &Rhs) -> Self::Output;
    /// The pullback of `x * v`.
    fn pullback(&self, v: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of `x * v`.
    fn tangent(&self, v: &Rhs, out: &Self::Output, dx: &Self, dv: &Rhs) -> Self::Output;
    /// The second-order term of `x * v`.
    fn second(
        &self,
        v: &Rhs,
        out: &Self::Output,
        dx: &Self,
        dv: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `transform_point` / `transform_vector` of `$X` as its `MulRule` of `$V`.
macro_rules! transform_as_mul {
    ($Trait:ident, $V:ident, $($X:ty),*) => {$(
        impl<T: Real> $Trait<$V<T>> for $X {
            type Output = $V<T>;
            #[inline(always)]
            fn value(&self, p: &$V<T>) -> $V<T> {
                MulRule::value(self, p)
            }
            #[inline(always)]
            fn pullback(&self, p: &$V<T>, out: &$V<T>, g: &$V<T>) -> (Self, $V<T>) {
                MulRule::pullback(self, p, out, g)
            }
            #[inline(always)]
            fn tangent(&self, p: &$V<T>, out: &$V<T>, dx: &Self, dp: &$V<T>) -> $V<T> {
                MulRule::tangent(self, p, out, dx, dp)
            }
            #[inline(always)]
            fn second(&self, p: &$V<T>, out: &$V<T>, dx: &Self, dp: &$V<T>, g: &$V<T>) -> (Self, $V<T>) {
                MulRule::second(self, p, out, dx, dp, g)
            }
        }
    )*};
}
transform_as_mul!(TransformPointRule, Point3, UnitQuaternion<T>, Rotation3<T>, Isometry<T, UnitQuaternion<T>, 3>, Isometry<T, Rotation3<T>, 3>);
transform_as_mul!(TransformVectorRule, Vector3, UnitQuaternion<T>, Rotation3<T>, Isometry<T, UnitQuaternion<T>, 3>, Isometry<T, Rotation3<T>, 3>);

/// A cotangent of an isometry from those of its parts.
#[inline(always)]
fn parts<T: Real, R>(rotation: R, translation: Vector3<T>) -> Isometry<T, R, 3> {
    Isometry {
        rotation,
        translation: Translation::from(translation),
    }
}

/// The rules of `Isometry<T, $R<T>, 3>`, `$R` a rotation with the `MulRule`s of
/// `rotation.rs` (by vectors and by itself) and a `RotationInverseRule`.
macro_rules! isometry_rules {
    ($($R:ident),*) => {$(
        impl<T: Real> IsometryFromPartsRule<$R<T>> for Translation3<T> {
            type Output = Isometry<T, $R<T>, 3>;
            #[inline(always)]
            fn value(&self, r: &$R<T>) -> Isometry<T, $R<T>, 3> {
                Isometry::from_parts(*self, *r)
            }
            #[inline(always)]
            fn pullback(&self, _r: &$R<T>, _out: &Isometry<T, $R<T>, 3>, g: &Isometry<T, $R<T>, 3>) -> (Self, $R<T>) {
                (g.translation, g.rotation)
            }
            #[inline(always)]
            fn tangent(&self, _r: &$R<T>, _out: &Isometry<T, $R<T>, 3>, dt: &Self, dr: &$R<T>) -> Isometry<T, $R<T>, 3> {
                Isometry { rotation: *dr, translation: *dt }
            }
        }

        /// `iso * p = R p + t`.
        impl<T: Real> MulRule<Point3<T>> for Isometry<T, $R<T>, 3> {
            type Output = Point3<T>;
            #[inline(always)]
            fn value(&self, p: &Point3<T>) -> Point3<T> {
                self * p
            }
            #[inline(always)]
            fn pullback(&self, p: &Point3<T>, out: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let rp = out.coords - self.translation.vector;
                let (gr, gp) = MulRule::pullback(&self.rotation, &p.coords, &rp, &g.coords);
                (parts(gr, g.coords), Point3::from(gp))
            }
            #[inline(always)]
            fn tangent(&self, p: &Point3<T>, out: &Point3<T>, d: &Self, dp: &Point3<T>) -> Point3<T> {
                let rp = out.coords - self.translation.vector;
                let drp = MulRule::tangent(&self.rotation, &p.coords, &rp, &d.rotation, &dp.coords);
                Point3::from(drp + d.translation.vector)
            }
            #[inline(always)]
            fn second(
                &self,
                p: &Point3<T>,
                out: &Point3<T>,
                d: &Self,
                dp: &Point3<T>,
                g: &Point3<T>,
            ) -> (Self, Point3<T>) {
                let rp = out.coords - self.translation.vector;
                let (gr, gp) = MulRule::second(&self.rotation, &p.coords, &rp, &d.rotation, &dp.coords, &g.coords);
                (parts(gr, Vector3::zeros()), Point3::from(gp))
            }
        }

        /// `iso * v = R v`: a vector is not translated.
        impl<T: Real> MulRule<Vector3<T>> for Isometry<T, $R<T>, 3> {
            type Output = Vector3<T>;
            #[inline(always)]
            fn value(&self, v: &Vector3<T>) -> Vector3<T> {
                self * v
            }
            #[inline(always)]
            fn pullback(&self, v: &Vector3<T>, out: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
                let (gr, gv) = MulRule::pullback(&self.rotation, v, out, g);
                (parts(gr, Vector3::zeros()), gv)
            }
            #[inline(always)]
            fn tangent(&self, v: &Vector3<T>, out: &Vector3<T>, d: &Self, dv: &Vector3<T>) -> Vector3<T> {
                MulRule::tangent(&self.rotation, v, out, &d.rotation, dv)
            }
            #[inline(always)]
            fn second(
                &self,
                v: &Vector3<T>,
                out: &Vector3<T>,
                d: &Self,
                dv: &Vector3<T>,
                g: &Vector3<T>,
            ) -> (Self, Vector3<T>) {
                let (gr, gv) = MulRule::second(&self.rotation, v, out, &d.rotation, dv, g);
                (parts(gr, Vector3::zeros()), gv)
            }
        }

        /// `(R1, t1) (R2, t2) = (R1 R2, R1 t2 + t1)`.
        impl<T: Real> MulRule for Isometry<T, $R<T>, 3> {
            type Output = Self;
            #[inline(always)]
            fn value(&self, b: &Self) -> Self {
                self * b
            }
            #[inline(always)]
            fn pullback(&self, b: &Self, out: &Self, g: &Self) -> (Self, Self) {
                let (r1, t2) = (&self.rotation, &b.translation.vector);
                let rt = out.translation.vector - self.translation.vector;
                let (mut gr1, gr2) = MulRule::pullback(r1, &b.rotation, &out.rotation, &g.rotation);
                let (gr1_t, gt2) = MulRule::pullback(r1, t2, &rt, &g.translation.vector);
                gr1.accumulate(gr1_t);
                (parts(gr1, g.translation.vector), parts(gr2, gt2))
            }
            #[inline(always)]
            fn tangent(&self, b: &Self, out: &Self, da: &Self, db: &Self) -> Self {
                let (r1, t2) = (&self.rotation, &b.translation.vector);
                let rt = out.translation.vector - self.translation.vector;
                let dr = MulRule::tangent(r1, &b.rotation, &out.rotation, &da.rotation, &db.rotation);
                let drt = MulRule::tangent(r1, t2, &rt, &da.rotation, &db.translation.vector);
                parts(dr, drt + da.translation.vector)
            }
            #[inline(always)]
            fn second(&self, b: &Self, out: &Self, da: &Self, db: &Self, g: &Self) -> (Self, Self) {
                let (r1, t2) = (&self.rotation, &b.translation.vector);
                let rt = out.translation.vector - self.translation.vector;
                let (mut gr1, gr2) = MulRule::second(r1, &b.rotation, &out.rotation, &da.rotation, &db.rotation, &g.rotation);
                let (gr1_t, gt2) = MulRule::second(r1, t2, &rt, &da.rotation, &db.translation.vector, &g.translation.vector);
                gr1.accumulate(gr1_t);
                (parts(gr1, Vector3::zeros()), parts(gr2, gt2))
            }
        }

        /// `(R, t)^-1 = (R^-1, -(R^-1 t))`.
        impl<T: Real> RotationInverseRule for Isometry<T, $R<T>, 3> {
            #[inline(always)]
            fn value(&self) -> Self {
                self.inverse()
            }
            #[inline(always)]
            fn pullback(&self, out: &Self, g: &Self) -> Self {
                let (r, t) = (&self.rotation, &self.translation.vector);
                let ri = RotationInverseRule::value(r);
                let rit = -out.translation.vector;
                let (mut gri, gt) = MulRule::pullback(&ri, t, &rit, &-g.translation.vector);
                gri.accumulate(g.rotation);
                parts(RotationInverseRule::pullback(r, &ri, &gri), gt)
            }
            #[inline(always)]
            fn tangent(&self, out: &Self, d: &Self) -> Self {
                let (r, t) = (&self.rotation, &self.translation.vector);
                let ri = RotationInverseRule::value(r);
                let rit = -out.translation.vector;
                let dri = RotationInverseRule::tangent(r, &ri, &d.rotation);
                let drit = MulRule::tangent(&ri, t, &rit, &dri, &d.translation.vector);
                parts(dri, -drit)
            }
            /// `(L^T sR, st)` with `(sR, st)` the second-order term of `Ri t` at
            /// the tangents `(L dR, dt)` and the cotangent `-gt'`.
            #[inline(always)]
            fn second(&self, out: &Self, d: &Self, g: &Self) -> Self {
                let (r, t) = (&self.rotation, &self.translation.vector);
                let ri = RotationInverseRule::value(r);
                let rit = -out.translation.vector;
                let dri = RotationInverseRule::tangent(r, &ri, &d.rotation);
                let (sr, st) = MulRule::second(&ri, t, &rit, &dri, &d.translation.vector, &-g.translation.vector);
                parts(RotationInverseRule::pullback(r, &ri, &sr), st)
            }
        }
    )*};
}
isometry_rules!(UnitQuaternion, Rotation3);

/// `x.inverse_transform_point(&p)` of an isometry or a rotation: `R^-1 (p - t)`.
#[diagnostic::on_unimplemented(
    message = "`inverse_transform_point` is differentiated on an `Isometry3`, `IsometryMatrix3`, `UnitQuaternion` or `Rotation3` and a `Point3`, not on `{Self}` and `{Rhs}`"
)]
pub trait InverseTransformPointRule<Rhs>: Sized {
    /// The point's type.
    type Output;
    /// nalgebra's value.
    fn value(&self, p: &Rhs) -> Self::Output;
    /// `(gR, gt) = (L^T gRi, -gd)`, `gp = gd`, with `(gRi, gd)` the pullback of
    /// `Ri d` at `d = p - t`.
    fn pullback(&self, p: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of `Ri d` along `(L dR, dp - dt)`.
    fn tangent(&self, p: &Rhs, out: &Self::Output, dx: &Self, dp: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along `(dx, dp)` for a fixed `g` (`NAME::hvp`).
    fn second(
        &self,
        p: &Rhs,
        out: &Self::Output,
        dx: &Self,
        dp: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `x.inverse_transform_vector(&v)` of an isometry or a rotation: `R^-1 v`.
#[diagnostic::on_unimplemented(
    message = "`inverse_transform_vector` is differentiated on an `Isometry3`, `IsometryMatrix3`, `UnitQuaternion` or `Rotation3` and a `Vector3`, not on `{Self}` and `{Rhs}`"
)]
pub trait InverseTransformVectorRule<Rhs>: Sized {
    /// The vector's type.
    type Output;
    /// nalgebra's value.
    fn value(&self, v: &Rhs) -> Self::Output;
    /// `gR = L^T gRi`, `gv`, with `(gRi, gv)` the pullback of `Ri v`.
    fn pullback(&self, v: &Rhs, out: &Self::Output, g: &Self::Output) -> (Self, Rhs);
    /// The tangent of `Ri v` along `(L dR, dv)`.
    fn tangent(&self, v: &Rhs, out: &Self::Output, dx: &Self, dv: &Rhs) -> Self::Output;
    /// The derivative of `pullback` along `(dx, dv)` for a fixed `g` (`NAME::hvp`).
    fn second(
        &self,
        v: &Rhs,
        out: &Self::Output,
        dx: &Self,
        dv: &Rhs,
        g: &Self::Output,
    ) -> (Self, Rhs);
}

/// `R^-1 d`'s pullback, tangent and second-order term, as the composition of the
/// inverse (`L`, linear) and the rotation of a vector by it.
trait InverseRotate<T: Real>: RotationInverseRule + MulRule<Vector3<T>, Output = Vector3<T>> {
    #[inline(always)]
    fn inv_pullback(&self, d: &Vector3<T>, y: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
        let ri = RotationInverseRule::value(self);
        let (gri, gd) = MulRule::pullback(&ri, d, y, g);
        (RotationInverseRule::pullback(self, &ri, &gri), gd)
    }
    #[inline(always)]
    fn inv_tangent(
        &self,
        d: &Vector3<T>,
        y: &Vector3<T>,
        dr: &Self,
        dd: &Vector3<T>,
    ) -> Vector3<T> {
        let ri = RotationInverseRule::value(self);
        let dri = RotationInverseRule::tangent(self, &ri, dr);
        MulRule::tangent(&ri, d, y, &dri, dd)
    }
    #[inline(always)]
    fn inv_second(
        &self,
        d: &Vector3<T>,
        y: &Vector3<T>,
        dr: &Self,
        dd: &Vector3<T>,
        g: &Vector3<T>,
    ) -> (Self, Vector3<T>) {
        let ri = RotationInverseRule::value(self);
        let dri = RotationInverseRule::tangent(self, &ri, dr);
        let (s, sd) = MulRule::second(&ri, d, y, &dri, dd, g);
        (RotationInverseRule::pullback(self, &ri, &s), sd)
    }
}
impl<T: Real> InverseRotate<T> for UnitQuaternion<T> {}
impl<T: Real> InverseRotate<T> for Rotation3<T> {}

macro_rules! inverse_transform_rules {
    ($($R:ident),*) => {$(
        impl<T: Real> InverseTransformVectorRule<Vector3<T>> for $R<T> {
            type Output = Vector3<T>;
            #[inline(always)]
            fn value(&self, v: &Vector3<T>) -> Vector3<T> {
                self.inverse_transform_vector(v)
            }
            #[inline(always)]
            fn pullback(&self, v: &Vector3<T>, out: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
                self.inv_pullback(v, out, g)
            }
            #[inline(always)]
            fn tangent(&self, v: &Vector3<T>, out: &Vector3<T>, dr: &Self, dv: &Vector3<T>) -> Vector3<T> {
                self.inv_tangent(v, out, dr, dv)
            }
            #[inline(always)]
            fn second(&self, v: &Vector3<T>, out: &Vector3<T>, dr: &Self, dv: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
                self.inv_second(v, out, dr, dv, g)
            }
        }

        impl<T: Real> InverseTransformPointRule<Point3<T>> for $R<T> {
            type Output = Point3<T>;
            #[inline(always)]
            fn value(&self, p: &Point3<T>) -> Point3<T> {
                self.inverse_transform_point(p)
            }
            #[inline(always)]
            fn pullback(&self, p: &Point3<T>, out: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let (gr, gp) = self.inv_pullback(&p.coords, &out.coords, &g.coords);
                (gr, Point3::from(gp))
            }
            #[inline(always)]
            fn tangent(&self, p: &Point3<T>, out: &Point3<T>, dr: &Self, dp: &Point3<T>) -> Point3<T> {
                Point3::from(self.inv_tangent(&p.coords, &out.coords, dr, &dp.coords))
            }
            #[inline(always)]
            fn second(&self, p: &Point3<T>, out: &Point3<T>, dr: &Self, dp: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let (gr, gp) = self.inv_second(&p.coords, &out.coords, dr, &dp.coords, &g.coords);
                (gr, Point3::from(gp))
            }
        }

        impl<T: Real> InverseTransformVectorRule<Vector3<T>> for Isometry<T, $R<T>, 3> {
            type Output = Vector3<T>;
            #[inline(always)]
            fn value(&self, v: &Vector3<T>) -> Vector3<T> {
                self.inverse_transform_vector(v)
            }
            #[inline(always)]
            fn pullback(&self, v: &Vector3<T>, out: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
                let (gr, gv) = self.rotation.inv_pullback(v, out, g);
                (parts(gr, Vector3::zeros()), gv)
            }
            #[inline(always)]
            fn tangent(&self, v: &Vector3<T>, out: &Vector3<T>, d: &Self, dv: &Vector3<T>) -> Vector3<T> {
                self.rotation.inv_tangent(v, out, &d.rotation, dv)
            }
            #[inline(always)]
            fn second(&self, v: &Vector3<T>, out: &Vector3<T>, d: &Self, dv: &Vector3<T>, g: &Vector3<T>) -> (Self, Vector3<T>) {
                let (gr, gv) = self.rotation.inv_second(v, out, &d.rotation, dv, g);
                (parts(gr, Vector3::zeros()), gv)
            }
        }

        impl<T: Real> InverseTransformPointRule<Point3<T>> for Isometry<T, $R<T>, 3> {
            type Output = Point3<T>;
            #[inline(always)]
            fn value(&self, p: &Point3<T>) -> Point3<T> {
                self.inverse_transform_point(p)
            }
            #[inline(always)]
            fn pullback(&self, p: &Point3<T>, out: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let d = p.coords - self.translation.vector;
                let (gr, gd) = self.rotation.inv_pullback(&d, &out.coords, &g.coords);
                (parts(gr, -gd), Point3::from(gd))
            }
            #[inline(always)]
            fn tangent(&self, p: &Point3<T>, out: &Point3<T>, d: &Self, dp: &Point3<T>) -> Point3<T> {
                let dd = dp.coords - d.translation.vector;
                let x = p.coords - self.translation.vector;
                Point3::from(self.rotation.inv_tangent(&x, &out.coords, &d.rotation, &dd))
            }
            #[inline(always)]
            fn second(&self, p: &Point3<T>, out: &Point3<T>, d: &Self, dp: &Point3<T>, g: &Point3<T>) -> (Self, Point3<T>) {
                let dd = dp.coords - d.translation.vector;
                let x = p.coords - self.translation.vector;
                let (gr, gd) = self.rotation.inv_second(&x, &out.coords, &d.rotation, &dd, &g.coords);
                (parts(gr, -gd), Point3::from(gd))
            }
        }
    )*};
}
inverse_transform_rules!(UnitQuaternion, Rotation3);
