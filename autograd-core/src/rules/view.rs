//! Views with constant positions, taken as owned matrices: `m.row(i)`,
//! `m.column(j)`, `m.fixed_rows::<K>(i)`, `m.fixed_columns::<K>(j)` and
//! `m.fixed_view::<P, Q>(i, j)`. The value is nalgebra's view copied out
//! (`into_owned`); the pullback scatters `g` into a zero matrix of `m`'s shape at
//! the view's place. Linear: no second-order term.
//!
//! A view that does not fit in `m` panics at run time, as nalgebra's does.
//!
//! PyTorch: slicing (`m[i]`, `m[:, j]`, `m[i:i+K]`, ..), backward nodes
//! `SelectBackward0` and `SliceBackward0`.

use crate::adjoint::Real;
use nalgebra::SMatrix;

/// `m.row(i)`: which view, the selector of [`ViewRule`].
#[derive(Clone, Copy, Debug)]
pub struct Row(pub usize);

/// `m.column(j)`.
#[derive(Clone, Copy, Debug)]
pub struct Column(pub usize);

/// `m.fixed_rows::<K>(i)`: `K` rows from row `i`.
#[derive(Clone, Copy, Debug)]
pub struct FixedRows<const K: usize>(pub usize);

/// `m.fixed_columns::<K>(j)`: `K` columns from column `j`.
#[derive(Clone, Copy, Debug)]
pub struct FixedColumns<const K: usize>(pub usize);

/// `m.fixed_view::<P, Q>(i, j)`: the `P x Q` block at `(i, j)`.
#[derive(Clone, Copy, Debug)]
pub struct FixedView<const P: usize, const Q: usize>(pub usize, pub usize);

/// A view of a matrix selected by `S` ([`Row`], [`Column`], [`FixedRows`],
/// [`FixedColumns`], [`FixedView`]), as an owned matrix.
#[diagnostic::on_unimplemented(
    message = "cannot take this view of `{Self}` in a differentiable function",
    note = "`row`, `column`, `fixed_rows`, `fixed_columns` and `fixed_view` are differentiated on static matrices"
)]
pub trait ViewRule<S>: Sized {
    /// The view's type (owned).
    type Output;
    /// The view, copied out.
    fn value(&self, s: S) -> Self::Output;
    /// A zero matrix of `self`'s shape with `g` at the view's place.
    fn pullback(&self, s: S, out: &Self::Output, g: &Self::Output) -> Self;
    /// The tangent of the view: the same view of the tangent.
    fn tangent(&self, s: S, out: &Self::Output, da: &Self) -> Self::Output;
}

macro_rules! view_rule {
    ($S:ty, [$($k:ident),*], $Out:ty, |$m:ident, $s:ident| $view:expr, $view_mut:expr) => {
        impl<T: Real, const R: usize, const C: usize $(, const $k: usize)*> ViewRule<$S>
            for SMatrix<T, R, C>
        {
            type Output = $Out;
            #[inline(always)]
            fn value(&self, $s: $S) -> $Out {
                let $m = self;
                $view.into_owned()
            }
            #[inline(always)]
            fn pullback(&self, $s: $S, _out: &$Out, g: &$Out) -> Self {
                let mut zeros = Self::zeros();
                let $m = &mut zeros;
                $view_mut.copy_from(g);
                zeros
            }
            #[inline(always)]
            fn tangent(&self, $s: $S, _out: &$Out, da: &Self) -> $Out {
                let $m = da;
                $view.into_owned()
            }
        }
    };
}

view_rule!(Row, [], SMatrix<T, 1, C>, |m, s| m.row(s.0), m.row_mut(s.0));
view_rule!(Column, [], SMatrix<T, R, 1>, |m, s| m.column(s.0), m.column_mut(s.0));
view_rule!(FixedRows<K>, [K], SMatrix<T, K, C>, |m, s| m.fixed_rows::<K>(s.0), m.fixed_rows_mut::<K>(s.0));
view_rule!(FixedColumns<K>, [K], SMatrix<T, R, K>, |m, s| m.fixed_columns::<K>(s.0), m.fixed_columns_mut::<K>(s.0));
view_rule!(FixedView<P, Q>, [P, Q], SMatrix<T, P, Q>, |m, s| m.fixed_view::<P, Q>(s.0, s.1), m.fixed_view_mut::<P, Q>(s.0, s.1));
