//! Shapes, dimension indices and NumPy broadcasting.

use crate::Error;
use std::fmt;
use std::ops::Deref;

const INLINE: usize = 6;

/// A shape stored inline up to rank 6, so that recording an op does not allocate
/// for it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Inline(u8, [usize; INLINE]),
    Heap(Box<[usize]>),
}

impl Shape {
    pub fn new(dims: &[usize]) -> Shape {
        if dims.len() <= INLINE {
            let mut a = [0; INLINE];
            a[..dims.len()].copy_from_slice(dims);
            Shape::Inline(dims.len() as u8, a)
        } else {
            Shape::Heap(dims.into())
        }
    }
}

impl Shape {
    /// `head` followed by `tail`, inline when the rank allows.
    pub fn concat(head: &[usize], tail: &[usize]) -> Shape {
        let n = head.len() + tail.len();
        if n <= INLINE {
            let mut a = [0; INLINE];
            a[..head.len()].copy_from_slice(head);
            a[head.len()..n].copy_from_slice(tail);
            Shape::Inline(n as u8, a)
        } else {
            Shape::Heap([head, tail].concat().into())
        }
    }
}

impl Deref for Shape {
    type Target = [usize];
    #[inline]
    fn deref(&self) -> &[usize] {
        match self {
            Shape::Inline(n, a) => &a[..*n as usize],
            Shape::Heap(b) => b,
        }
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Number of elements of a shape (1 for rank 0).
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of a contiguous tensor.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The shape two operands broadcast to, NumPy's rules.
pub(crate) fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape, Error> {
    if a == b {
        return Ok(Shape::new(a));
    }
    let n = a.len().max(b.len());
    let dim = |i: usize| match (dim_from_right(a, n - 1 - i), dim_from_right(b, n - 1 - i)) {
        (x, y) if x == y => Ok(x),
        (1, y) => Ok(y),
        (x, 1) => Ok(x),
        _ => Err(Error::Broadcast {
            op,
            lhs: a.to_vec(),
            rhs: b.to_vec(),
        }),
    };
    if n <= INLINE {
        let mut dims = [0; INLINE];
        for (i, d) in dims.iter_mut().enumerate().take(n) {
            *d = dim(i)?;
        }
        Ok(Shape::Inline(n as u8, dims))
    } else {
        Ok(Shape::Heap(
            (0..n).map(dim).collect::<Result<Vec<_>, _>>()?.into(),
        ))
    }
}

fn dim_from_right(shape: &[usize], k: usize) -> usize {
    if k < shape.len() {
        shape[shape.len() - 1 - k]
    } else {
        1
    }
}

/// Strides with which a tensor of shape `src` is read when broadcast to `out`
/// (0 along broadcast dimensions).
pub(crate) fn broadcast_strides(src: &[usize], out: &[usize]) -> Vec<usize> {
    let s = strides(src);
    let off = out.len() - src.len();
    (0..out.len())
        .map(|i| {
            if i < off || src[i - off] == 1 {
                0
            } else {
                s[i - off]
            }
        })
        .collect()
}

/// Whether `small`, without its leading 1s, is the trailing part of `out`: then
/// its data repeats with period `numel(small)` when broadcast to `out`.
pub(crate) fn is_trailing(small: &[usize], out: &[usize]) -> bool {
    let first = small.iter().position(|&d| d != 1).unwrap_or(small.len());
    let s = &small[first..];
    s.len() <= out.len() && out[out.len() - s.len()..] == *s
}

/// Visits every element of `shape` in row-major order with the matching offset
/// into each of `N` operands read with the given strides.
pub(crate) fn for_each_offset<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    f: impl FnMut([usize; N]),
) {
    let rows = match shape.split_last() {
        Some((&last, outer)) if last > 0 => numel(outer),
        Some(_) => 0,
        None => 1,
    };
    for_each_offset_in_rows(shape, strides, 0..rows, f);
}

/// [`for_each_offset`] over the rows `rows` of `shape` only (a row is a run
/// along the last dimension), so that disjoint row ranges can be visited on
/// different threads.
pub(crate) fn for_each_offset_in_rows<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    rows: std::ops::Range<usize>,
    mut f: impl FnMut([usize; N]),
) {
    if rows.is_empty() || numel(shape) == 0 {
        return;
    }
    let rank = shape.len();
    if rank == 0 {
        f([0; N]);
        return;
    }
    let last = rank - 1;
    let inner: [usize; N] = std::array::from_fn(|k| strides[k][last]);
    // The multi-index of the first row, and the offsets it starts at.
    let mut idx = vec![0usize; rank];
    let mut base = [0usize; N];
    let mut r = rows.start;
    for d in (0..last).rev() {
        idx[d] = r % shape[d];
        r /= shape[d];
        for k in 0..N {
            base[k] += idx[d] * strides[k][d];
        }
    }
    for _ in rows {
        let mut off = base;
        for _ in 0..shape[last] {
            f(off);
            for k in 0..N {
                off[k] += inner[k];
            }
        }
        // carry into the outer dimensions
        let mut d = last;
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            for k in 0..N {
                base[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..N {
                base[k] -= strides[k][d] * shape[d];
            }
            idx[d] = 0;
        }
    }
}

/// A dimension index: `usize`, or a signed integer counting from the end when
/// negative (`-1` is the last dimension), as in PyTorch.
pub trait Dim: Copy {
    /// Resolves the index against a tensor of rank `rank`.
    fn resolve(self, op: &'static str, rank: usize) -> Result<usize, Error>;
}

fn resolve_signed(op: &'static str, dim: i64, rank: usize) -> Result<usize, Error> {
    let r = rank as i64;
    let d = if dim < 0 { dim + r } else { dim };
    if (0..r).contains(&d) {
        Ok(d as usize)
    } else {
        Err(Error::DimOutOfRange { op, dim, rank })
    }
}

macro_rules! impl_dim {
    ($($t:ty),*) => {$(
        impl Dim for $t {
            fn resolve(self, op: &'static str, rank: usize) -> Result<usize, Error> {
                resolve_signed(op, self as i64, rank)
            }
        }
    )*};
}
impl_dim!(usize, isize, i32, i64);

/// Views `shape` around `dim` as `(outer, n, inner)`.
pub(crate) fn split_at_dim(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    (numel(&shape[..dim]), shape[dim], numel(&shape[dim + 1..]))
}

/// Slice equality without a `memcmp` call, for the few dimensions of a shape.
#[inline]
pub(crate) fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let s = broadcast_shapes("add", &[2, 1, 3], &[4, 1]).unwrap();
        assert_eq!(&*s, &[2, 4, 3]);
        assert_eq!(&*broadcast_shapes("add", &[], &[5]).unwrap(), &[5]);
        assert!(broadcast_shapes("add", &[2], &[3]).is_err());
    }

    #[test]
    fn odometer_visits_row_major() {
        let mut seen = vec![];
        let s = broadcast_strides(&[3], &[2, 3]);
        for_each_offset(&[2, 3], [&s], |[o]| seen.push(o));
        assert_eq!(seen, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn a_row_range_continues_the_full_visit() {
        let shape = [2, 3, 4];
        let s = broadcast_strides(&[3, 1], &shape);
        let mut all = vec![];
        for_each_offset(&shape, [&s], |[o]| all.push(o));
        let mut parts = vec![];
        for rows in [0..1, 1..4, 4..6] {
            for_each_offset_in_rows(&shape, [&s], rows, |[o]| parts.push(o));
        }
        assert_eq!(parts, all);
        assert_eq!(all.len(), 24);
    }

    #[test]
    fn inline_and_heap_shapes_deref_alike() {
        assert_eq!(&*Shape::new(&[1, 2]), &[1, 2]);
        let big = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(&*Shape::new(&big), &big);
    }
}
