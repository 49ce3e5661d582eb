//! The rules on nalgebra's dynamically sized matrices (`DMatrix`, `DVector`,
//! `RowDVector`, with the `alloc` feature): the same formulas as their static
//! twins' (see each rule's module), with the shapes checked at run time.
//!
//! Each impl names `OMatrix<T, Dyn, Dyn>`, `OMatrix<T, Dyn, U1>` or
//! `OMatrix<T, U1, Dyn>` (not a storage parameter), so none overlaps the `SMatrix`
//! impls. Values and cotangents allocate where the user's own expression does
//! (one new matrix per operation, as nalgebra's operators); a function over
//! static shapes is unaffected.
//!
//! A shape mismatch panics with a message naming both shapes.

use super::{
    AddRule, AddScalarRule, ComponentDivRule, ComponentMulRule, DivRule, DotRule, Elementwise,
    ElementwiseFn, IndexRule, MaxEntryRule, MeanRule, MinEntryRule, MulRule, NegRule, NormRule,
    NormSquaredRule, ScalarFn, SubRule, SumRule, TransposeRule, Unary,
};
use super::{Cos, Ln, Recip, Relu, Sigmoid, Sin, Softplus, Sqrt, Tanh};
use crate::adjoint::Real;
use nalgebra::{DMatrix, DVector, Matrix1, RowDVector};

/// Panics unless `a` and `b` are equal, naming the operation and both shapes.
#[inline]
#[track_caller]
fn same_shape(op: &str, a: (usize, usize), b: (usize, usize)) {
    if a != b {
        panic!("{op}: the shapes {a:?} and {b:?} differ (rows, columns)");
    }
}

/// Panics unless `a * b` is defined, naming both shapes.
#[inline]
#[track_caller]
fn product_shapes(a: (usize, usize), b: (usize, usize)) {
    if a.1 != b.0 {
        panic!(
            "matrix product: the shapes {a:?} * {b:?} do not multiply (rows, columns): the left has {} columns, the right {} rows",
            a.1, b.0
        );
    }
}

/// `g` shared equally among the entries of `m` equal to `extreme` (its `max()` or
/// `min()`), zero elsewhere: the static rule's subgradient.
#[inline]
fn share_among_equal<T: Real, R: nalgebra::Dim, C: nalgebra::Dim>(
    m: &nalgebra::OMatrix<T, R, C>,
    extreme: T,
    g: T,
) -> nalgebra::OMatrix<T, R, C>
where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<R, C>,
{
    let count = m.iter().filter(|v| **v == extreme).count();
    let share = g / nalgebra::convert(count.max(1) as f64);
    m.map(|v| if v == extreme { share } else { T::zero() })
}

macro_rules! entrywise_rules {
    ($M:ident) => {
        impl<T: Real> AddRule for $M<T> {
            type Output = Self;
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &Self) -> Self {
                same_shape("a + b", self.shape(), rhs.shape());
                self + rhs
            }
            #[inline]
            fn pullback(&self, _rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
                (g.clone(), g.clone())
            }
            #[inline]
            fn tangent(&self, _rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
                da + db
            }
        }

        impl<T: Real> SubRule for $M<T> {
            type Output = Self;
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &Self) -> Self {
                same_shape("a - b", self.shape(), rhs.shape());
                self - rhs
            }
            #[inline]
            fn pullback(&self, _rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
                (g.clone(), -g)
            }
            #[inline]
            fn tangent(&self, _rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
                da - db
            }
        }

        impl<T: Real> NegRule for $M<T> {
            #[inline]
            fn value(&self) -> Self {
                -self
            }
            #[inline]
            fn pullback(&self, _out: &Self, g: &Self) -> Self {
                -g
            }
            #[inline]
            fn tangent(&self, _out: &Self, da: &Self) -> Self {
                -da
            }
        }

        impl<T: Real> MulRule<$M<T>> for T {
            type Output = $M<T>;
            #[inline]
            fn value(&self, rhs: &$M<T>) -> $M<T> {
                rhs * *self
            }
            #[inline]
            fn pullback(&self, rhs: &$M<T>, _out: &$M<T>, g: &$M<T>) -> (T, $M<T>) {
                (g.dot(rhs), g * *self)
            }
            #[inline]
            fn tangent(&self, rhs: &$M<T>, _out: &$M<T>, da: &T, db: &$M<T>) -> $M<T> {
                rhs * *da + db * *self
            }
        }

        impl<T: Real> MulRule<T> for $M<T> {
            type Output = $M<T>;
            #[inline]
            fn value(&self, rhs: &T) -> $M<T> {
                self * *rhs
            }
            #[inline]
            fn pullback(&self, rhs: &T, _out: &Self, g: &Self) -> (Self, T) {
                (g * *rhs, g.dot(self))
            }
            #[inline]
            fn tangent(&self, rhs: &T, _out: &Self, da: &Self, db: &T) -> Self {
                da * *rhs + self * *db
            }
        }

        impl<T: Real> DivRule<T> for $M<T> {
            type Output = Self;
            #[inline]
            fn value(&self, rhs: &T) -> Self {
                self / *rhs
            }
            #[inline]
            fn recip(rhs: &T) -> T {
                T::one() / *rhs
            }
            #[inline]
            fn pullback_recip(&self, recip: &T, out: &Self, g: &Self) -> (Self, T) {
                let ga = g * *recip;
                let gb = -ga.dot(out);
                (ga, gb)
            }
            #[inline]
            fn tangent_recip(&self, recip: &T, out: &Self, da: &Self, db: &T) -> Self {
                (da - out * *db) * *recip
            }
            #[inline]
            fn second(&self, rhs: &T, out: &Self, da: &Self, db: &T, g: &Self) -> (Self, T) {
                let ga = g / *rhs;
                let two: T = nalgebra::convert(2.0);
                let gb = (two * *db * ga.dot(out) - ga.dot(da)) / *rhs;
                (ga * (-*db / *rhs), gb)
            }
        }

        impl<T: Real> DotRule for $M<T> {
            type Output = T;
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &Self) -> T {
                same_shape("a.dot(&b)", self.shape(), rhs.shape());
                self.dot(rhs)
            }
            #[inline]
            fn pullback(&self, rhs: &Self, _out: &T, g: &T) -> (Self, Self) {
                (rhs * *g, self * *g)
            }
            #[inline]
            fn tangent(&self, rhs: &Self, _out: &T, da: &Self, db: &Self) -> T {
                da.dot(rhs) + self.dot(db)
            }
        }

        impl<T: Real> NormRule for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self) -> T {
                self.norm()
            }
            #[inline]
            fn pullback(&self, out: &T, g: &T) -> Self {
                if *out == T::zero() {
                    crate::adjoint::Tangent::zero_like(self)
                } else {
                    self * (*g / *out)
                }
            }
            #[inline]
            fn tangent(&self, out: &T, da: &Self) -> T {
                if *out == T::zero() {
                    T::zero()
                } else {
                    self.dot(da) / *out
                }
            }
            #[inline]
            fn second(&self, out: &T, da: &Self, g: &T) -> Self {
                if *out == T::zero() {
                    crate::adjoint::Tangent::zero_like(self)
                } else {
                    let inv = T::one() / *out;
                    (da - self * (self.dot(da) * inv * inv)) * (*g * inv)
                }
            }
        }

        impl<T: Real> NormSquaredRule for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self) -> T {
                self.norm_squared()
            }
            #[inline]
            fn pullback(&self, _out: &T, g: &T) -> Self {
                self * (*g + *g)
            }
            #[inline]
            fn tangent(&self, _out: &T, da: &Self) -> T {
                let d = self.dot(da);
                d + d
            }
        }

        impl<T: Real> SumRule for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self) -> T {
                self.sum()
            }
            #[inline]
            fn pullback(&self, _out: &T, g: &T) -> Self {
                let (r, c) = self.shape_generic();
                Self::from_element_generic(r, c, *g)
            }
            #[inline]
            fn tangent(&self, _out: &T, da: &Self) -> T {
                da.sum()
            }
        }

        impl<T: Real> MeanRule for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self) -> T {
                self.mean()
            }
            #[inline]
            fn pullback(&self, _out: &T, g: &T) -> Self {
                let (r, c) = self.shape_generic();
                let n: T = nalgebra::convert(self.len() as f64);
                Self::from_element_generic(r, c, *g / n)
            }
            #[inline]
            fn tangent(&self, _out: &T, da: &Self) -> T {
                da.mean()
            }
        }

        impl<T: Real> ComponentMulRule for $M<T> {
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &Self) -> Self {
                same_shape("a.component_mul(&b)", self.shape(), rhs.shape());
                self.component_mul(rhs)
            }
            #[inline]
            fn pullback(&self, rhs: &Self, _out: &Self, g: &Self) -> (Self, Self) {
                (g.component_mul(rhs), g.component_mul(self))
            }
            #[inline]
            fn tangent(&self, rhs: &Self, _out: &Self, da: &Self, db: &Self) -> Self {
                da.component_mul(rhs) + self.component_mul(db)
            }
        }

        impl<T: Real> ComponentDivRule for $M<T> {
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &Self) -> Self {
                same_shape("a.component_div(&b)", self.shape(), rhs.shape());
                self.component_div(rhs)
            }
            #[inline]
            fn pullback(&self, rhs: &Self, out: &Self, g: &Self) -> (Self, Self) {
                let ga = g.component_div(rhs);
                let gb = -ga.component_mul(out);
                (ga, gb)
            }
            #[inline]
            fn tangent(&self, rhs: &Self, out: &Self, da: &Self, db: &Self) -> Self {
                (da - out.component_mul(db)).component_div(rhs)
            }
            #[inline]
            fn second(
                &self,
                rhs: &Self,
                out: &Self,
                da: &Self,
                db: &Self,
                g: &Self,
            ) -> (Self, Self) {
                let ga = g.component_div(rhs);
                let two: T = nalgebra::convert(2.0);
                let dga = -ga.component_mul(db).component_div(rhs);
                let dgb = ga
                    .component_mul(&(out.component_mul(db) * two - da))
                    .component_div(rhs);
                (dga, dgb)
            }
        }

        impl<T: Real> AddScalarRule<T> for $M<T> {
            #[inline]
            fn value(&self, rhs: &T) -> Self {
                self.add_scalar(*rhs)
            }
            #[inline]
            fn pullback(&self, _rhs: &T, _out: &Self, g: &Self) -> (Self, T) {
                (g.clone(), g.sum())
            }
            #[inline]
            fn tangent(&self, _rhs: &T, _out: &Self, da: &Self, db: &T) -> Self {
                da.add_scalar(*db)
            }
        }

        impl<T: Real> MaxEntryRule for $M<T> {
            type Output = T;
            /// # Panics
            /// If the matrix is empty (nalgebra's `max` would answer `-inf`).
            #[inline]
            #[track_caller]
            fn value(&self) -> T {
                assert!(!self.is_empty(), "max() of an empty matrix");
                self.max()
            }
            #[inline]
            fn pullback(&self, out: &T, g: &T) -> Self {
                share_among_equal(self, *out, *g)
            }
            #[inline]
            fn tangent(&self, out: &T, da: &Self) -> T {
                share_among_equal(self, *out, T::one()).dot(da)
            }
        }

        impl<T: Real> MinEntryRule for $M<T> {
            type Output = T;
            /// # Panics
            /// If the matrix is empty.
            #[inline]
            #[track_caller]
            fn value(&self) -> T {
                assert!(!self.is_empty(), "min() of an empty matrix");
                self.min()
            }
            #[inline]
            fn pullback(&self, out: &T, g: &T) -> Self {
                share_among_equal(self, *out, *g)
            }
            #[inline]
            fn tangent(&self, out: &T, da: &Self) -> T {
                share_among_equal(self, *out, T::one()).dot(da)
            }
        }

        impl<T: Real> IndexRule<usize> for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self, index: usize) -> T {
                self[index]
            }
            #[inline]
            fn pullback(&self, index: usize, _out: &T, g: &T) -> Self {
                let mut m = crate::adjoint::Tangent::zero_like(self);
                m[index] = *g;
                m
            }
            #[inline]
            fn tangent(&self, index: usize, _out: &T, da: &Self) -> T {
                da[index]
            }
        }

        impl<T: Real> IndexRule<(usize, usize)> for $M<T> {
            type Output = T;
            #[inline]
            fn value(&self, index: (usize, usize)) -> T {
                self[index]
            }
            #[inline]
            fn pullback(&self, index: (usize, usize), _out: &T, g: &T) -> Self {
                let mut m = crate::adjoint::Tangent::zero_like(self);
                m[index] = *g;
                m
            }
            #[inline]
            fn tangent(&self, index: (usize, usize), _out: &T, da: &Self) -> T {
                da[index]
            }
        }

        impl<T: Real, F: ElementwiseFn> Unary<F> for $M<T> {
            #[inline]
            fn value(&self) -> Self {
                self.map(F::value)
            }
            #[inline]
            fn derivative(&self, out: &Self) -> Self {
                self.zip_map(out, F::derivative)
            }
            #[inline]
            fn times(d: &Self, g: &Self) -> Self {
                g.component_mul(d)
            }
            #[inline]
            fn second(&self, out: &Self, da: &Self, g: &Self) -> Self {
                let mut r = g.clone();
                for (((r, x), y), d) in r.iter_mut().zip(self.iter()).zip(out.iter()).zip(da.iter())
                {
                    *r *= F::second_derivative(*x, *y) * *d;
                }
                r
            }
        }

        impl<T: Real> Elementwise for $M<T> {
            fn relu(self) -> Self {
                self.map(Relu::value)
            }
            fn sigmoid(self) -> Self {
                self.map(Sigmoid::value)
            }
            fn softplus(self) -> Self {
                self.map(Softplus::value)
            }
            fn tanh(self) -> Self {
                self.map(Tanh::value)
            }
            fn sin(self) -> Self {
                self.map(Sin::value)
            }
            fn cos(self) -> Self {
                self.map(Cos::value)
            }
            fn ln(self) -> Self {
                self.map(Ln::value)
            }
            fn sqrt(self) -> Self {
                self.map(Sqrt::value)
            }
            fn recip(self) -> Self {
                self.map(Recip::value)
            }
        }
    };
}

entrywise_rules!(DMatrix);
entrywise_rules!(DVector);
entrywise_rules!(RowDVector);

/// `a * b` of two dynamically sized matrices: `ga = G B^T`, `gb = A^T G`.
macro_rules! product_rule {
    ($A:ident, $B:ident, $Out:ident) => {
        impl<T: Real> MulRule<$B<T>> for $A<T> {
            type Output = $Out<T>;
            #[inline]
            #[track_caller]
            fn value(&self, rhs: &$B<T>) -> $Out<T> {
                product_shapes(self.shape(), rhs.shape());
                self * rhs
            }
            #[inline]
            fn pullback(&self, rhs: &$B<T>, _out: &$Out<T>, g: &$Out<T>) -> (Self, $B<T>) {
                (g * rhs.transpose(), self.tr_mul(g))
            }
            #[inline]
            fn tangent(&self, rhs: &$B<T>, _out: &$Out<T>, da: &Self, db: &$B<T>) -> $Out<T> {
                da * rhs + self * db
            }
        }
    };
}

product_rule!(DMatrix, DMatrix, DMatrix);
product_rule!(DMatrix, DVector, DVector);
product_rule!(RowDVector, DMatrix, RowDVector);
product_rule!(DVector, RowDVector, DMatrix);
product_rule!(RowDVector, DVector, Matrix1);

macro_rules! transpose_rule {
    ($A:ident, $Out:ident) => {
        impl<T: Real> TransposeRule for $A<T> {
            type Output = $Out<T>;
            #[inline]
            fn value(&self) -> $Out<T> {
                self.transpose()
            }
            #[inline]
            fn pullback(&self, _out: &$Out<T>, g: &$Out<T>) -> Self {
                g.transpose()
            }
            #[inline]
            fn tangent(&self, _out: &$Out<T>, da: &Self) -> $Out<T> {
                da.transpose()
            }
        }
    };
}

transpose_rule!(DMatrix, DMatrix);
transpose_rule!(DVector, RowDVector);
transpose_rule!(RowDVector, DVector);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "(2, 3) * (2, 1)")]
    fn a_product_of_shapes_that_do_not_multiply_names_both() {
        let a = DMatrix::<f64>::zeros(2, 3);
        let x = DVector::<f64>::zeros(2);
        let _ = MulRule::value(&a, &x);
    }

    #[test]
    #[should_panic(expected = "(3, 1) and (2, 1)")]
    fn a_sum_of_different_shapes_names_both() {
        let _ = AddRule::value(&DVector::<f64>::zeros(3), &DVector::<f64>::zeros(2));
    }

    #[test]
    fn the_product_pullback_is_the_static_one() {
        let a = DMatrix::from_fn(2, 3, |i, j| (i * 3 + j) as f64 - 2.5);
        let b = DMatrix::from_fn(3, 2, |i, j| (i + 2 * j) as f64 * 0.5 - 1.0);
        let g = DMatrix::from_fn(2, 2, |i, j| (i as f64) - (j as f64) * 1.5 + 0.25);
        let (ga, gb) = MulRule::pullback(&a, &b, &(&a * &b), &g);
        let sa = nalgebra::SMatrix::<f64, 2, 3>::from_fn(|i, j| a[(i, j)]);
        let sb = nalgebra::SMatrix::<f64, 3, 2>::from_fn(|i, j| b[(i, j)]);
        let sg = nalgebra::SMatrix::<f64, 2, 2>::from_fn(|i, j| g[(i, j)]);
        let (sga, sgb) = MulRule::pullback(&sa, &sb, &(sa * sb), &sg);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(ga.as_slice(), sga.as_slice()), "{ga} {sga}");
        assert!(close(gb.as_slice(), sgb.as_slice()), "{gb} {sgb}");
        assert_eq!((ga.shape(), gb.shape()), ((2, 3), (3, 2)));
    }
}
