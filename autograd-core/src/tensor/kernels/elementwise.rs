//! Element-wise maps and broadcasting binary maps.

use crate::tensor::dtype::{dispatch, Data, Element, Storage};
use crate::tensor::shape::{broadcast_strides, for_each_offset, is_trailing, numel};
use std::borrow::Cow;

/// Converts `s` to `dtype` only if needed.
pub(crate) fn as_dtype(s: &Storage, dtype: crate::DType) -> Cow<'_, Storage> {
    if s.dtype() == dtype {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_dtype(dtype))
    }
}

/// `f(a, b)` element-wise with NumPy broadcasting to `out_shape`, computed in
/// `f64` and stored in the promoted dtype of the operands.
pub(crate) fn zip(
    a: &Storage,
    a_shape: &[usize],
    b: &Storage,
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f64, f64) -> f64,
) -> Storage {
    let dtype = a.dtype().promote(b.dtype());
    let (a, b) = (as_dtype(a, dtype), as_dtype(b, dtype));
    match (&*a, &*b) {
        (Storage::F32(x), Storage::F32(y)) => {
            Storage::F32(zip_typed(x, a_shape, y, b_shape, out_shape, f))
        }
        (Storage::F64(x), Storage::F64(y)) => {
            Storage::F64(zip_typed(x, a_shape, y, b_shape, out_shape, f))
        }
        _ => unreachable!("operands were promoted to one dtype"),
    }
}

fn zip_typed<T: Element>(
    a: &[T],
    a_shape: &[usize],
    b: &[T],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f64, f64) -> f64,
) -> Data<T> {
    let g = |x: T, y: T| T::from_f64(f(x.to_f64(), y.to_f64()));
    let n = numel(out_shape);
    if a.len() == n && b.len() == n {
        return a.iter().zip(b).map(|(&x, &y)| g(x, y)).collect();
    }
    if b.len() == 1 && a.len() == n {
        return a.iter().map(|&x| g(x, b[0])).collect();
    }
    if a.len() == 1 && b.len() == n {
        return b.iter().map(|&y| g(a[0], y)).collect();
    }
    // A bias-like operand repeats along the leading dimensions: no odometer.
    if n > 0 && a.len() == n && is_trailing(b_shape, out_shape) {
        let rows = a.chunks_exact(b.len());
        return rows
            .flat_map(|r| r.iter().zip(b).map(|(&x, &y)| g(x, y)))
            .collect();
    }
    if n > 0 && b.len() == n && is_trailing(a_shape, out_shape) {
        let rows = b.chunks_exact(a.len());
        return rows
            .flat_map(|r| a.iter().zip(r).map(|(&x, &y)| g(x, y)))
            .collect();
    }
    let sa = broadcast_strides(a_shape, out_shape);
    let sb = broadcast_strides(b_shape, out_shape);
    let mut out = Vec::with_capacity(n);
    for_each_offset(out_shape, [&sa, &sb], |[i, j]| out.push(g(a[i], b[j])));
    Data::from(out)
}

/// `cond != 0 ? x : y` with broadcasting of all three to `out_shape`.
pub(crate) fn select(
    cond: (&Storage, &[usize]),
    x: (&Storage, &[usize]),
    y: (&Storage, &[usize]),
    out_shape: &[usize],
) -> Storage {
    let dtype = x.0.dtype().promote(y.0.dtype());
    let sc = broadcast_strides(cond.1, out_shape);
    let sx = broadcast_strides(x.1, out_shape);
    let sy = broadcast_strides(y.1, out_shape);
    let mut out = Vec::with_capacity(numel(out_shape));
    for_each_offset(out_shape, [&sc, &sx, &sy], |[c, i, j]| {
        out.push(if cond.0.get(c) != 0.0 {
            x.0.get(i)
        } else {
            y.0.get(j)
        })
    });
    Storage::from_f64_iter(out.into_iter(), dtype)
}

/// Copies `s` (of shape `src`) broadcast to `dst`.
pub(crate) fn expand(s: &Storage, src: &[usize], dst: &[usize]) -> Storage {
    let st = broadcast_strides(src, dst);
    dispatch!(s, |v| {
        let mut out = Vec::with_capacity(numel(dst));
        for_each_offset(dst, [&st], |[i]| out.push(v[i]));
        out
    })
}
