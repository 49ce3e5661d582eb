//! Element-wise maps and broadcasting binary maps.
//!
//! From [`MIN_PARALLEL_ELEMENTS`] elements on they run on the kernel pool (see
//! [`crate::parallel`]), in chunks of whole rows; every element is computed by the
//! same expression either way, so the result does not depend on the thread count.

use crate::parallel::{self, MIN_PARALLEL_ELEMENTS};
use crate::tensor::dtype::{dispatch, Data, Element, Storage};
use crate::tensor::recycle;
use crate::tensor::shape::{
    broadcast_strides, for_each_offset, for_each_offset_in_rows, is_trailing, numel,
};
use rayon::prelude::*;
use rayon::ThreadPool;
use std::borrow::Cow;

/// Elements per task, at least, when a kernel runs on the pool.
const TASK_ELEMENTS: usize = 1 << 12;

/// `g` of every element of `v`, on the pool if `v` is large.
pub(crate) fn map_slice<T: Sync, U: Send + 'static>(
    v: &[T],
    g: impl Fn(&T) -> U + Sync,
) -> Data<U> {
    match parallel::pool_for(v.len(), MIN_PARALLEL_ELEMENTS) {
        None if v.len() > 1 => {
            let mut out = recycle::with_capacity(v.len());
            out.extend(v.iter().map(g));
            Data::Many(out)
        }
        None => v.iter().map(g).collect(),
        Some(pool) => {
            let mut out = recycle::with_capacity(v.len());
            pool.install(|| {
                v.par_iter()
                    .with_min_len(TASK_ELEMENTS)
                    .map(&g)
                    .collect_into_vec(&mut out)
            });
            Data::Many(out)
        }
    }
}

/// `g` of every pair of entries of `a` and `b` (of one length), on the pool if
/// they are large.
pub(crate) fn zip_slices<T: Sync, U: Send + 'static>(
    a: &[T],
    b: &[T],
    g: impl Fn(&T, &T) -> U + Sync,
) -> Data<U> {
    debug_assert_eq!(a.len(), b.len());
    match parallel::pool_for(a.len(), MIN_PARALLEL_ELEMENTS) {
        None if a.len() > 1 => {
            let mut out = recycle::with_capacity(a.len());
            out.extend(a.iter().zip(b).map(|(a, b)| g(a, b)));
            Data::Many(out)
        }
        None => a.iter().zip(b).map(|(a, b)| g(a, b)).collect(),
        Some(pool) => {
            let mut out = recycle::with_capacity(a.len());
            pool.install(|| {
                a.par_iter()
                    .zip(b.par_iter())
                    .with_min_len(TASK_ELEMENTS)
                    .map(|(a, b)| g(a, b))
                    .collect_into_vec(&mut out)
            });
            Data::Many(out)
        }
    }
}

/// `g` of the offsets into each operand of every element of `shape`, in
/// row-major order: [`for_each_offset`] on the pool, each task a range of rows.
fn par_offsets<T: Send + Default + Clone, const N: usize>(
    pool: &ThreadPool,
    shape: &[usize],
    strides: [&[usize]; N],
    g: impl Fn([usize; N]) -> T + Sync,
) -> Vec<T> {
    let mut out = vec![T::default(); numel(shape)];
    let row = shape.last().copied().unwrap_or(1).max(1);
    let rows_per_task = TASK_ELEMENTS.div_ceil(row);
    pool.install(|| {
        out.par_chunks_mut(rows_per_task * row)
            .enumerate()
            .for_each(|(t, chunk)| {
                let r0 = t * rows_per_task;
                let rows = r0..r0 + chunk.len() / row;
                let mut slots = chunk.iter_mut();
                for_each_offset_in_rows(shape, strides, rows, |o| {
                    if let Some(slot) = slots.next() {
                        *slot = g(o);
                    }
                });
            })
    });
    out
}

/// Converts `s` to `dtype` only if needed.
pub(crate) fn as_dtype(s: &Storage, dtype: crate::DType) -> Cow<'_, Storage> {
    if s.dtype() == dtype {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_dtype(dtype))
    }
}

/// `f(a, b)` element-wise with NumPy broadcasting to `out_shape`, computed in
/// `f64` and stored in the promoted dtype of the operands; on the pool if the
/// output is large.
pub(crate) fn zip(
    a: &Storage,
    a_shape: &[usize],
    b: &Storage,
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f64, f64) -> f64 + Sync,
) -> Storage {
    let pool = parallel::pool_for(numel(out_shape), MIN_PARALLEL_ELEMENTS);
    let Some(pool) = pool else {
        return zip_local(a, a_shape, b, b_shape, out_shape, f);
    };
    let dtype = a.dtype().promote(b.dtype());
    let (a, b) = (as_dtype(a, dtype), as_dtype(b, dtype));
    let (a, b) = ((&*a, a_shape), (&*b, b_shape));
    match (a, b) {
        ((Storage::F32(x), sx), (Storage::F32(y), sy)) => {
            Storage::F32(zip_pool(&pool, (x, sx), (y, sy), out_shape, f).into())
        }
        ((Storage::F64(x), sx), (Storage::F64(y), sy)) => {
            Storage::F64(zip_pool(&pool, (x, sx), (y, sy), out_shape, f).into())
        }
        _ => unreachable!("operands were promoted to one dtype"),
    }
}

/// [`zip`] on the calling thread, for a function that cannot be shared between
/// threads.
pub(crate) fn zip_local(
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

/// [`zip`] on the pool: same-shape operands and scalars element by element,
/// any other broadcast by ranges of rows.
fn zip_pool<T: Element>(
    pool: &ThreadPool,
    (a, a_shape): (&[T], &[usize]),
    (b, b_shape): (&[T], &[usize]),
    out_shape: &[usize],
    f: impl Fn(f64, f64) -> f64 + Sync,
) -> Vec<T> {
    let g = |x: T, y: T| T::from_f64(f(x.to_f64(), y.to_f64()));
    let n = numel(out_shape);
    let mut out = Vec::new();
    if a.len() == n && (b.len() == n || b.len() == 1) {
        let b_at = |i: usize| if b.len() == 1 { b[0] } else { b[i] };
        pool.install(|| {
            a.par_iter()
                .with_min_len(TASK_ELEMENTS)
                .enumerate()
                .map(|(i, &x)| g(x, b_at(i)))
                .collect_into_vec(&mut out)
        });
        return out;
    }
    if a.len() == 1 && b.len() == n {
        pool.install(|| {
            b.par_iter()
                .with_min_len(TASK_ELEMENTS)
                .map(|&y| g(a[0], y))
                .collect_into_vec(&mut out)
        });
        return out;
    }
    let sa = broadcast_strides(a_shape, out_shape);
    let sb = broadcast_strides(b_shape, out_shape);
    par_offsets(pool, out_shape, [&sa, &sb], |[i, j]| g(a[i], b[j]))
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
    // Runs along the last dimension (`(n, 1, d) - (1, k, d)`): the odometer walks
    // the leading dimensions only, each step a row of one or both operands.
    if let Some((&last, outer)) = out_shape.split_last().filter(|(&l, _)| l > 1) {
        let r = outer.len();
        let outer_strides = [&sa[..r], &sb[..r]];
        let row = |o: usize| o..o + last;
        match (sa[r], sb[r]) {
            (1, 1) => for_each_offset(outer, outer_strides, |[i, j]| {
                out.extend(a[row(i)].iter().zip(&b[row(j)]).map(|(&x, &y)| g(x, y)))
            }),
            (1, 0) => for_each_offset(outer, outer_strides, |[i, j]| {
                out.extend(a[row(i)].iter().map(|&x| g(x, b[j])))
            }),
            (0, 1) => for_each_offset(outer, outer_strides, |[i, j]| {
                out.extend(b[row(j)].iter().map(|&y| g(a[i], y)))
            }),
            _ => for_each_offset(out_shape, [&sa, &sb], |[i, j]| out.push(g(a[i], b[j]))),
        }
        return Data::from(out);
    }
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
    if s.len() == 1 {
        // One element to every position (the backward of `sum` and `mean`, a
        // scalar parameter broadcast): a fill, not the strided walk, which cost
        // 12% of GradBench's lse.
        let n = numel(dst);
        return dispatch!(s, |v| {
            let mut out = recycle::with_capacity(n);
            out.resize(n, v[0]);
            out
        });
    }
    gather_strided(s, dst, &broadcast_strides(src, dst))
}

/// The elements of `s` at the offsets `strides` give for each element of
/// `shape` in row-major order (a broadcast or a permutation), on the pool if the
/// output is large.
pub(crate) fn gather_strided(s: &Storage, shape: &[usize], strides: &[usize]) -> Storage {
    let pool = parallel::pool_for(numel(shape), MIN_PARALLEL_ELEMENTS);
    dispatch!(s, |v| match &pool {
        Some(pool) => par_offsets(pool, shape, [strides], |[i]| v[i]),
        None => {
            let mut out = recycle::with_capacity(numel(shape));
            // Row by row: a contiguous run is one copy, any other a loop
            // without the per-element capacity check of `push` (for a
            // permutation, as `einsum`'s to and from a batched product's layout,
            // the element-by-element walk was 24% of GradBench's gmm).
            match shape.split_last() {
                Some((&w, outer)) if w > 0 => {
                    let (step, outer_strides) = (strides[outer.len()], &strides[..outer.len()]);
                    for_each_offset(outer, [outer_strides], |[o]| {
                        if step == 1 {
                            out.extend_from_slice(&v[o..o + w]);
                        } else {
                            out.extend((0..w).map(|j| v[o + j * step]));
                        }
                    });
                }
                _ => for_each_offset(shape, [strides], |[i]| out.push(v[i])),
            }
            out
        }
    })
}
