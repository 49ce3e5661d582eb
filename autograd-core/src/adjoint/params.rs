//! Parameter sets of the static engine: anything whose scalar entries an optimizer
//! can visit in order, without allocating.

use super::{Real, Tangent};
use nalgebra::SMatrix;

/// A set of parameters: a [`Real`] scalar, an `SMatrix`, a tuple of them, or a
/// struct deriving `Tangent` (`#[derive(Clone, Copy, Tangent)]`). Its entries are
/// visited in a fixed order: matrices column by column, tuples and struct fields in
/// declaration order.
pub trait Params: Tangent {
    /// The scalar type of every entry.
    type Scalar: Real;
    /// The entries, in order.
    fn entries(&self) -> impl Iterator<Item = &Self::Scalar>;
    /// The entries, in order, for updating.
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar>;
}

impl<T: Real> Params for T {
    type Scalar = T;
    fn entries(&self) -> impl Iterator<Item = &T> {
        core::iter::once(self)
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        core::iter::once(self)
    }
}

impl<T: Real, const R: usize, const C: usize> Params for SMatrix<T, R, C> {
    type Scalar = T;
    fn entries(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }
    fn entries_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.iter_mut()
    }
}

macro_rules! tuple_params {
    ($first:ident $fi:tt $(, $name:ident $idx:tt)*) => {
        impl<$first: Params $(, $name: Params<Scalar = $first::Scalar>)*> Params for ($first, $($name,)*) {
            type Scalar = $first::Scalar;
            fn entries(&self) -> impl Iterator<Item = &Self::Scalar> {
                self.$fi.entries()$(.chain(self.$idx.entries()))*
            }
            fn entries_mut(&mut self) -> impl Iterator<Item = &mut Self::Scalar> {
                self.$fi.entries_mut()$(.chain(self.$idx.entries_mut()))*
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
