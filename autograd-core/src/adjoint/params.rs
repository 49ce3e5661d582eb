//! Parameter sets of the static engine: anything whose scalar entries an optimizer
//! can visit in order, without allocating.

use super::{Real, Tangent};
use nalgebra::{Const, Isometry, OPoint, Quaternion, Rotation, SMatrix, Translation, Unit};

/// A set of parameters: a [`Real`] scalar, an `SMatrix`, a tuple of them, or a
/// struct deriving `Tangent` (`#[derive(Clone, Copy, Tangent)]`). Its entries are
/// visited in a fixed order: matrices column by column, tuples and struct fields in
/// declaration order.
///
/// Beside the two required methods, the trait gives the vector-space operations a
/// hand-written optimizer needs, none allocating: [`add`](Params::add),
/// [`sub`](Params::sub), [`scale`](Params::scale), [`add_scaled`](Params::add_scaled),
/// [`map`](Params::map), [`zip_map`](Params::zip_map), [`dot`](Params::dot),
/// [`norm`](Params::norm); the zero is [`Tangent::zero_like`].
///
/// ```
/// use autograd_core::Params;
/// use nalgebra::{Matrix2, Vector2};
///
/// // Gradient descent with a clipped step on a tuple of parameters.
/// let mut p = (Matrix2::<f64>::identity(), Vector2::new(1.0, -1.0));
/// let g = (Matrix2::repeat(3.0), Vector2::new(0.0, 4.0));
/// let clip = 1.0;
/// let norm = g.norm(); // sqrt(4 * 9 + 16)
/// let g = if norm > clip { g.scale(clip / norm) } else { g };
/// p.add_scaled(-0.1, &g);
/// assert!((g.norm() - 1.0).abs() < 1e-12);
/// assert!((p.1[1] - (-1.0 - 0.1 * 4.0 / 52f64.sqrt())).abs() < 1e-15);
/// ```
pub trait Params: Tangent {
    /// The scalar type of every entry.
    type Scalar: Real;
    /// The number of entries, known at compile time (the side of
    /// `NAME::hessian`'s matrix).
    const DIM: usize;
    /// The entries, in order.
    fn entries(&self) -> impl Iterator<Item = &Self::Scalar>;
    /// The entries, in order, for updating.
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar>;
    /// The entries as contiguous runs, in the order of
    /// [`entries`](Params::entries): one slice per matrix. Loops over slices
    /// run without the per-entry bookkeeping of chained iterators, which is what
    /// the optimizers and the operations below use. The default gives each entry
    /// its own slice.
    fn slices(&self) -> impl Iterator<Item = &[Self::Scalar]> {
        self.entries().map(core::slice::from_ref)
    }
    /// The runs of [`slices`](Params::slices), for updating.
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [Self::Scalar]> {
        self.entries_mut().map(core::slice::from_mut)
    }
    /// Copies the entries, in order, into the first [`DIM`](Params::DIM) places
    /// of `dst`. Every implementation in this crate (and a derived one) copies
    /// field by field at offsets known at compile time, which is what
    /// `NAME::jacobian` uses to write a row or a column.
    ///
    /// # Panics
    /// If `dst` is shorter than `DIM`.
    fn write_entries(&self, dst: &mut [Self::Scalar]) {
        for (d, v) in dst[..Self::DIM].iter_mut().zip(self.entries()) {
            *d = *v;
        }
    }

    // The vector-space operations below are what an optimizer needs beside
    // `zero_like` and `accumulate` (from `Tangent`). They are written once over the
    // entries, so every parameter set (a derived struct too) has them, none
    // allocates, and on an `SMatrix` they mean what nalgebra's inherent methods of
    // the same names mean (which method-call syntax picks first).

    /// `self + other`, entry by entry.
    fn add(&self, other: &Self) -> Self {
        self.zip_map(other, |a, b| a + b)
    }
    /// `self - other`, entry by entry.
    fn sub(&self, other: &Self) -> Self {
        self.zip_map(other, |a, b| a - b)
    }
    /// `s * self`: every entry multiplied by `s`.
    fn scale(&self, s: Self::Scalar) -> Self {
        self.map(|a| a * s)
    }
    /// `self *= s` in place.
    fn scale_mut(&mut self, s: Self::Scalar) {
        self.slices_mut().flatten().for_each(|a| *a *= s);
    }
    /// `self += a * x` in place (BLAS's `axpy`), the update of gradient descent:
    /// `params.add_scaled(-lr, &grad)`.
    fn add_scaled(&mut self, a: Self::Scalar, x: &Self) {
        for (p, x) in self.slices_mut().zip(x.slices()) {
            for (p, x) in p.iter_mut().zip(x) {
                *p += a * *x;
            }
        }
    }
    /// `f` applied to every entry, in the order of [`entries`](Params::entries).
    fn map(&self, mut f: impl FnMut(Self::Scalar) -> Self::Scalar) -> Self {
        let mut out = self.clone();
        for run in out.slices_mut() {
            run.iter_mut().for_each(|a| *a = f(*a));
        }
        out
    }
    /// `f` applied to the entries of `self` and `other` pairwise.
    fn zip_map(
        &self,
        other: &Self,
        mut f: impl FnMut(Self::Scalar, Self::Scalar) -> Self::Scalar,
    ) -> Self {
        let mut out = self.clone();
        for (a, b) in out.slices_mut().zip(other.slices()) {
            for (a, b) in a.iter_mut().zip(b) {
                *a = f(*a, *b);
            }
        }
        out
    }
    /// The inner product: the sum of the products of corresponding entries.
    fn dot(&self, other: &Self) -> Self::Scalar {
        let mut sum = nalgebra::zero();
        for (a, b) in self.slices().zip(other.slices()) {
            for (a, b) in a.iter().zip(b) {
                sum += *a * *b;
            }
        }
        sum
    }
    /// The sum of the squared entries.
    fn norm_squared(&self) -> Self::Scalar {
        self.dot(self)
    }
    /// The Euclidean norm of all the entries together (for gradient clipping).
    fn norm(&self) -> Self::Scalar {
        nalgebra::ComplexField::sqrt(self.norm_squared())
    }
}

impl<T: Real> Params for T {
    type Scalar = T;
    const DIM: usize = 1;
    fn entries(&self) -> impl Iterator<Item = &T> {
        core::iter::once(self)
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        core::iter::once(self)
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(core::slice::from_ref(self))
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(core::slice::from_mut(self))
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        dst[0] = *self;
    }
}

impl<T: Real, const R: usize, const C: usize> Params for SMatrix<T, R, C> {
    type Scalar = T;
    const DIM: usize = R * C;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.iter_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.as_slice())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.as_mut_slice())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        dst[..R * C].copy_from_slice(self.as_slice());
    }
}

// nalgebra's geometry types, by their coordinates as their cotangents are (see
// `tangent.rs`). The coordinates of a rotation are not free: a step of an
// optimizer (`add_scaled`) leaves the unit sphere or the rotation matrices, and
// is renormalised by the caller (`UnitQuaternion::new_normalize`), or the
// parameter is a scaled axis, whose every value is a rotation.

/// A quaternion's entries: its coordinates `[i, j, k, w]`.
impl<T: Real> Params for Quaternion<T> {
    type Scalar = T;
    const DIM: usize = 4;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.coords.iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.coords.iter_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.coords.as_slice())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.coords.as_mut_slice())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        dst[..4].copy_from_slice(self.coords.as_slice());
    }
}

/// A `Unit<X>` (a `UnitQuaternion`, a unit vector) by the entries of `X`.
impl<P: Params> Params for Unit<P> {
    type Scalar = P::Scalar;
    const DIM: usize = P::DIM;
    fn entries(&self) -> impl Iterator<Item = &Self::Scalar> {
        self.as_ref().entries()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar> {
        self.as_mut_unchecked().entries_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[Self::Scalar]> {
        self.as_ref().slices()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [Self::Scalar]> {
        self.as_mut_unchecked().slices_mut()
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [Self::Scalar]) {
        self.as_ref().write_entries(dst);
    }
}

/// A rotation matrix (`Rotation3`) by its entries, column by column.
impl<T: Real, const D: usize> Params for Rotation<T, D> {
    type Scalar = T;
    const DIM: usize = D * D;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.matrix().iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.matrix_mut_unchecked().iter_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.matrix().as_slice())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.matrix_mut_unchecked().as_mut_slice())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        self.matrix().write_entries(dst);
    }
}

/// A point (`Point3`) by its coordinates.
impl<T: Real, const D: usize> Params for OPoint<T, Const<D>> {
    type Scalar = T;
    const DIM: usize = D;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.coords.iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.coords.iter_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.coords.as_slice())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.coords.as_mut_slice())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        self.coords.write_entries(dst);
    }
}

/// A translation (`Translation3`) by its vector.
impl<T: Real, const D: usize> Params for Translation<T, D> {
    type Scalar = T;
    const DIM: usize = D;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.vector.iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.vector.iter_mut()
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        core::iter::once(self.vector.as_slice())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        core::iter::once(self.vector.as_mut_slice())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        self.vector.write_entries(dst);
    }
}

/// A rigid motion (`Isometry3`: 4 + 3 entries) by its rotation's entries, then
/// its translation's.
impl<T: Real, R: Params<Scalar = T>, const D: usize> Params for Isometry<T, R, D> {
    type Scalar = T;
    const DIM: usize = R::DIM + D;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.rotation.entries().chain(self.translation.entries())
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.rotation
            .entries_mut()
            .chain(self.translation.entries_mut())
    }
    fn slices(&self) -> impl Iterator<Item = &[T]> {
        self.rotation.slices().chain(self.translation.slices())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [T]> {
        self.rotation
            .slices_mut()
            .chain(self.translation.slices_mut())
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [T]) {
        let (head, rest) = dst.split_at_mut(R::DIM);
        self.rotation.write_entries(head);
        self.translation.write_entries(rest);
    }
}

/// An array's entries are its elements' entries, element after element.
impl<P: Params, const N: usize> Params for [P; N] {
    type Scalar = P::Scalar;
    const DIM: usize = N * P::DIM;
    fn entries(&self) -> impl Iterator<Item = &Self::Scalar> {
        self.iter().flat_map(Params::entries)
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar> {
        self.iter_mut().flat_map(Params::entries_mut)
    }
    fn slices(&self) -> impl Iterator<Item = &[Self::Scalar]> {
        self.iter().flat_map(Params::slices)
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [Self::Scalar]> {
        self.iter_mut().flat_map(Params::slices_mut)
    }
    #[inline(always)]
    fn write_entries(&self, dst: &mut [Self::Scalar]) {
        for (e, d) in self.iter().zip(dst[..Self::DIM].chunks_exact_mut(P::DIM)) {
            e.write_entries(d);
        }
    }
}

macro_rules! tuple_params {
    ($first:ident $fi:tt $(, $name:ident $idx:tt)*) => {
        impl<$first: Params $(, $name: Params<Scalar = $first::Scalar>)*> Params for ($first, $($name,)*) {
            type Scalar = $first::Scalar;
            const DIM: usize = $first::DIM $(+ $name::DIM)*;
            fn entries(&self) -> impl Iterator<Item = &Self::Scalar> {
                self.$fi.entries()$(.chain(self.$idx.entries()))*
            }
            fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar> {
                self.$fi.entries_mut()$(.chain(self.$idx.entries_mut()))*
            }
            fn slices(&self) -> impl Iterator<Item = &[Self::Scalar]> {
                self.$fi.slices()$(.chain(self.$idx.slices()))*
            }
            fn slices_mut(&mut self) -> impl Iterator<Item = &mut [Self::Scalar]> {
                self.$fi.slices_mut()$(.chain(self.$idx.slices_mut()))*
            }
            #[inline(always)]
            fn write_entries(&self, dst: &mut [Self::Scalar]) {
                let (head, _rest) = dst.split_at_mut($first::DIM);
                self.$fi.write_entries(head);
                $(let (head, _rest) = _rest.split_at_mut($name::DIM); self.$idx.write_entries(head);)*
            }
        }
    };
}
tuple_params!(A 0);
tuple_params!(A 0, B 1);
tuple_params!(A 0, B 1, C 2);
tuple_params!(A 0, B 1, C 2, D 3);
tuple_params!(A 0, B 1, C 2, D 3, E 4);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5);

// What `NAME::jacobian` calls to seed a cotangent or tangent; it copies a
// derivative into the matrix with `Params::write_entries`. `set_entry` walks
// `slices`, one contiguous run per matrix, rather than `entries`: on a `Grad` of
// several fields `entries` is a chain of nalgebra's strided iterators, whose
// per-entry bookkeeping cost more than the two reverse sweeps of a 2 x 15
// Jacobian (measured on the BA workload, `benches/workloads/ba.rs`).

/// Sets entry `k` of `p`, in the order of [`Params::entries`], to `v` (nothing if
/// `p` has `k` entries or fewer).
#[inline(always)]
pub fn set_entry<P: Params>(p: &mut P, mut k: usize, v: P::Scalar) {
    for run in p.slices_mut() {
        match run.get_mut(k) {
            Some(e) => {
                *e = v;
                return;
            }
            None => k -= run.len(),
        }
    }
}

#[cfg(test)]
mod jacobian_helpers {
    use super::*;
    use nalgebra::{Matrix2, Vector3};

    #[test]
    fn entries_rows_and_columns_follow_the_order_of_entries() {
        let mut p = (
            2.0,
            Matrix2::new(1.0, 3.0, 2.0, 4.0),
            Vector3::new(5.0, 6.0, 7.0),
        );
        set_entry(&mut p, 3, -1.0);
        set_entry(&mut p, 7, 9.0);
        set_entry(&mut p, 8, 10.0); // past the end: nothing
        let entries: [f64; 8] = core::array::from_fn(|k| *p.entries().nth(k).unwrap());
        assert_eq!(entries, [2.0, 1.0, 2.0, -1.0, 4.0, 5.0, 6.0, 9.0]);
        let mut dst = [0.0; 9];
        p.write_entries(&mut dst);
        assert_eq!(dst[..8], entries);
        assert_eq!(dst[8], 0.0);
        let arr = [p, p];
        let mut dst = [0.0; 16];
        arr.write_entries(&mut dst);
        assert_eq!(dst[..8], entries);
        assert_eq!(dst[8..], entries);
    }

    #[test]
    #[should_panic]
    fn write_entries_needs_room_for_every_entry() {
        let p = (1.0, Vector3::new(2.0, 3.0, 4.0));
        p.write_entries(&mut [0.0; 3]);
    }
}
