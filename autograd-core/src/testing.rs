//! Central finite differences in `f64`, shared by every gradient check of both
//! engines.
//!
//! ```
//! use autograd_core::testing::{assert_close, central_gradient};
//!
//! // f(x, y) = x^2 y has gradient (2xy, x^2).
//! let g = central_gradient(|v| v[0] * v[0] * v[1], &[3.0, 2.0]);
//! assert_close(&g, &[12.0, 9.0], 1e-6, "gradient of x^2 y");
//! ```

use nalgebra::SMatrix;

/// The step of the central differences: it balances the truncation error (`h^2`)
/// against the rounding error (`eps / h`) for smooth functions of values near one.
pub const STEP: f64 = 1e-5;

/// `(f(h) - f(-h)) / 2h`, entry by entry: the central difference of a
/// vector-valued function of a displacement `t` at `t = 0`. The one central
/// difference of the crate: [`central_gradient`], [`directional_derivative`]
/// and the tape's `gradcheck` all move their input by `t` and call it.
pub fn central_difference(f: impl Fn(f64) -> Vec<f64>, h: f64) -> Vec<f64> {
    let (plus, minus) = (f(h), f(-h));
    assert_eq!(
        plus.len(),
        minus.len(),
        "the function changed its output's length"
    );
    plus.iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect()
}

/// `(f(x + h e_i) - f(x - h e_i)) / 2h` for every coordinate `i`, with
/// `h = STEP max(|x_i|, 1)`: the gradient of a scalar function of a flat vector
/// of coordinates.
pub fn central_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = STEP * x[i].abs().max(1.0);
            let moved = |t: f64| {
                let mut probe = x.to_vec();
                probe[i] = x[i] + t;
                vec![f(&probe)]
            };
            central_difference(moved, h)[0]
        })
        .collect()
}

/// Panics with every mismatching coordinate unless `|a - e| <= tol (1 + |e|)` for
/// each pair.
// The negated comparison is deliberate: a NaN on either side must count as a mismatch.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let bad: Vec<String> = actual
        .iter()
        .zip(expected)
        .enumerate()
        .filter(|(_, (a, e))| !((*a - *e).abs() <= tol * (1.0 + e.abs())))
        .map(|(i, (a, e))| format!("[{i}] got {a:e}, expected {e:e}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} of {} differ (tol {tol:e}):\n{}",
        bad.len(),
        actual.len(),
        bad.join("\n")
    );
}

/// Values that flatten to coordinates, for finite differences over the arguments
/// of a static function.
pub trait Flat: Sized {
    /// Appends the coordinates (column-major for matrices).
    fn flatten_into(&self, out: &mut Vec<f64>);
    /// Reads a value of the same shape from `coords`, advancing it.
    fn unflatten(&self, coords: &mut &[f64]) -> Self;

    /// The coordinates as a vector.
    fn flat(&self) -> Vec<f64> {
        let mut v = Vec::new();
        self.flatten_into(&mut v);
        v
    }
}

impl Flat for f64 {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        let v = coords[0];
        *coords = &coords[1..];
        v
    }
}

impl<const R: usize, const C: usize> Flat for SMatrix<f64, R, C> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        let m = Self::from_column_slice(&coords[..R * C]);
        *coords = &coords[R * C..];
        m
    }
}

/// A unit quaternion by its four coordinates `[i, j, k, w]`, read back without
/// normalising (a rotation's cotangent is unconstrained coordinates).
impl Flat for nalgebra::UnitQuaternion<f64> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.as_ref().coords.iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        let c = self.as_ref().coords.unflatten(coords);
        nalgebra::Unit::new_unchecked(nalgebra::Quaternion::from(c))
    }
}

/// A unit vector by its coordinates, read back without normalising.
impl<const N: usize> Flat for nalgebra::Unit<SMatrix<f64, N, 1>> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.as_ref().iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        nalgebra::Unit::new_unchecked(self.as_ref().unflatten(coords))
    }
}

/// A rotation matrix by its entries, column-major, read back as they are.
impl Flat for nalgebra::Rotation3<f64> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.matrix().iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        nalgebra::Rotation3::from_matrix_unchecked(self.matrix().unflatten(coords))
    }
}

/// A point by its coordinates.
impl<const N: usize> Flat for nalgebra::Point<f64, N> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.coords.iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        nalgebra::Point::from(self.coords.unflatten(coords))
    }
}

/// `DMatrix`, `DVector` and `RowDVector` by their entries, column by column;
/// read back in the shape of `self`.
macro_rules! dynamic_flat {
    ($M:ident) => {
        impl Flat for nalgebra::$M<f64> {
            fn flatten_into(&self, out: &mut Vec<f64>) {
                out.extend(self.iter());
            }
            fn unflatten(&self, coords: &mut &[f64]) -> Self {
                let n = self.len();
                let (r, c) = self.shape_generic();
                let m = Self::from_column_slice_generic(r, c, &coords[..n]);
                *coords = &coords[n..];
                m
            }
        }
    };
}
dynamic_flat!(DMatrix);
dynamic_flat!(DVector);
dynamic_flat!(RowDVector);

/// A translation by its vector.
impl<const N: usize> Flat for nalgebra::Translation<f64, N> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.vector.iter());
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        nalgebra::Translation::from(self.vector.unflatten(coords))
    }
}

/// An isometry by its rotation's coordinates, then its translation's (the order
/// of its `Params` entries), read back without normalising the rotation.
impl<R: Flat, const N: usize> Flat for nalgebra::Isometry<f64, R, N> {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        self.rotation.flatten_into(out);
        self.translation.flatten_into(out);
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        let rotation = self.rotation.unflatten(coords);
        let translation = self.translation.unflatten(coords);
        nalgebra::Isometry {
            rotation,
            translation,
        }
    }
}

impl<X: Flat, const N: usize> Flat for [X; N] {
    fn flatten_into(&self, out: &mut Vec<f64>) {
        self.iter().for_each(|x| x.flatten_into(out));
    }
    fn unflatten(&self, coords: &mut &[f64]) -> Self {
        core::array::from_fn(|i| self[i].unflatten(coords))
    }
}

macro_rules! tuple_flat {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Flat),+> Flat for ($($name,)+) {
            fn flatten_into(&self, out: &mut Vec<f64>) {
                $(self.$idx.flatten_into(out);)+
            }
            fn unflatten(&self, coords: &mut &[f64]) -> Self {
                ($(self.$idx.unflatten(coords),)+)
            }
        }
    };
}
tuple_flat!(A 0);
tuple_flat!(A 0, B 1);
tuple_flat!(A 0, B 1, C 2);
tuple_flat!(A 0, B 1, C 2, D 3);
tuple_flat!(A 0, B 1, C 2, D 3, E 4);
tuple_flat!(A 0, B 1, C 2, D 3, E 4, F 5);

/// The gradient of a scalar function of any [`Flat`] argument by central
/// differences, flattened.
pub fn numeric_gradient<X: Flat>(f: impl Fn(&X) -> f64, x: &X) -> Vec<f64> {
    central_gradient(|c| f(&x.unflatten(&mut &c[..])), &x.flat())
}

/// `<a, b>`: the sum of the products of the coordinates of two values of one shape.
pub fn inner<X: Flat>(a: &X, b: &X) -> f64 {
    let (a, b) = (a.flat(), b.flat());
    assert_eq!(
        a.len(),
        b.len(),
        "inner product of values of different shapes"
    );
    a.iter().zip(&b).map(|(x, y)| x * y).sum()
}

/// Checks a vector-Jacobian product: `vjp` (a cotangent shaped like `x`) must equal
/// the gradient of `x -> <u, f(x)>` by central differences, coordinate by
/// coordinate, within `tol` relative to `1 + |expected|` (see [`assert_close`]).
///
/// ```
/// use autograd_core::testing::check_vjp;
///
/// // f(x, y) = (x y, x + y); with u = (2, 3) the VJP is (2y + 3, 2x + 3).
/// let (x, y) = (1.5, -0.5);
/// check_vjp("product and sum", |p: &(f64, f64)| (p.0 * p.1, p.0 + p.1),
///           &(x, y), &(2.0, 3.0), &(2.0 * y + 3.0, 2.0 * x + 3.0), 1e-7);
/// ```
pub fn check_vjp<X: Flat, Y: Flat>(
    what: &str,
    f: impl Fn(&X) -> Y,
    x: &X,
    u: &Y,
    vjp: &X,
    tol: f64,
) {
    let numeric = numeric_gradient(|x| inner(u, &f(x)), x);
    assert_close(&vjp.flat(), &numeric, tol, what);
}

/// `(f(x + h v) - f(x - h v)) / 2h`, flattened: the derivative of `f` at `x` along
/// `v` (a Jacobian-vector product by central differences, with `h =` [`STEP`]).
/// Applied to a gradient, it checks a Hessian-vector product.
///
/// ```
/// use autograd_core::testing::{assert_close, directional_derivative};
///
/// // The gradient of x^2 y is (2xy, x^2); along v = (1, 0) it changes by (2y, 2x).
/// let grad = |p: &(f64, f64)| (2.0 * p.0 * p.1, p.0 * p.0);
/// let d = directional_derivative(grad, &(3.0, 2.0), &(1.0, 0.0));
/// assert_close(&d, &[4.0, 6.0], 1e-8, "derivative of the gradient along x");
/// ```
pub fn directional_derivative<X: Flat, Y: Flat>(f: impl Fn(&X) -> Y, x: &X, v: &X) -> Vec<f64> {
    let (xs, vs) = (x.flat(), v.flat());
    let at = |t: f64| {
        let c: Vec<f64> = xs.iter().zip(&vs).map(|(a, b)| a + t * b).collect();
        f(&x.unflatten(&mut &c[..])).flat()
    };
    central_difference(at, STEP)
}
