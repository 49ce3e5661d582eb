//! Reductions. Sums accumulate in `f64` whatever the storage type.
//!
//! Each output element is summed in index order, by the calling thread or, for
//! large inputs, by one task of the kernel pool; a full sum adds partial sums of
//! [`REDUCE_CHUNK`] elements in order. The result depends only on the data, not
//! on the thread count.

use crate::parallel::{self, MIN_PARALLEL_ELEMENTS, REDUCE_CHUNK};
use crate::tensor::dtype::{DType, Element, Storage};
use crate::tensor::shape::{broadcast_strides, for_each_offset, is_trailing, numel};
use rayon::prelude::*;

/// Sums a tensor of shape `src` down to `dst`, a shape that broadcasts to `src`
/// (the adjoint of broadcasting).
pub(crate) fn sum_to(s: &Storage, src: &[usize], dst: &[usize]) -> Storage {
    let m = numel(dst);
    if m > 0 && is_trailing(dst, src) {
        // Summing away leading dimensions (a bias's gradient): add up rows.
        return sum_axis(s, 1, s.len() / m, m);
    }
    let mut acc = vec![0.0f64; m];
    let st = broadcast_strides(dst, src);
    let mut k = 0;
    for_each_offset(src, [&st], |[o]| {
        acc[o] += s.get(k);
        k += 1;
    });
    Storage::from_f64_iter(acc.into_iter(), s.dtype())
}

/// Sum of all elements.
pub(crate) fn sum_all(s: &Storage) -> f64 {
    match s {
        Storage::F32(v) => sum_slice(v),
        Storage::F64(v) => sum_slice(v),
    }
}

fn sum_slice<T: Element>(v: &[T]) -> f64 {
    // A fold from +0.0: `Iterator::sum` of no floats is -0.0.
    let sum = |c: &[T]| c.iter().fold(0.0, |acc, x| acc + x.to_f64());
    if v.len() <= REDUCE_CHUNK {
        return sum(v);
    }
    match parallel::pool_for(v.len(), MIN_PARALLEL_ELEMENTS) {
        None => v.chunks(REDUCE_CHUNK).map(sum).fold(0.0, |acc, p| acc + p),
        Some(pool) => {
            let parts: Vec<f64> = pool.install(|| v.par_chunks(REDUCE_CHUNK).map(sum).collect());
            parts.into_iter().fold(0.0, |acc, p| acc + p)
        }
    }
}

/// Sums the middle axis of a tensor viewed as `(outer, n, inner)`.
pub(crate) fn sum_axis(s: &Storage, outer: usize, n: usize, inner: usize) -> Storage {
    let acc = match s {
        Storage::F32(v) => sum_axis_typed(v, outer, n, inner),
        Storage::F64(v) => sum_axis_typed(v, outer, n, inner),
    };
    Storage::from_f64_iter(acc.into_iter(), s.dtype())
}

fn sum_axis_typed<T: Element>(v: &[T], outer: usize, n: usize, inner: usize) -> Vec<f64> {
    let mut acc = vec![0.0f64; outer * inner];
    if acc.is_empty() {
        return acc;
    }
    // Adds up `out[o, i0..i0 + len]` over the middle axis, row by row.
    let block = |o: usize, i0: usize, out: &mut [f64]| {
        if inner == 1 {
            // A contiguous run: the same additions in the same order.
            out[0] = v[o * n..(o + 1) * n]
                .iter()
                .fold(0.0, |a, x| a + x.to_f64());
            return;
        }
        for j in 0..n {
            let row = &v[(o * n + j) * inner + i0..][..out.len()];
            for (a, x) in out.iter_mut().zip(row) {
                *a += x.to_f64();
            }
        }
    };
    match parallel::pool_for(v.len(), MIN_PARALLEL_ELEMENTS) {
        None => {
            for (o, out) in acc.chunks_mut(inner).enumerate() {
                block(o, 0, out);
            }
        }
        Some(pool) => {
            // Tasks of about REDUCE_CHUNK inputs: several rows of outputs, or
            // column blocks of one row when a row alone is larger.
            let rows = REDUCE_CHUNK / (n * inner).max(1);
            let width = inner.min(REDUCE_CHUNK.div_ceil(n).max(64));
            pool.install(|| {
                if rows > 1 {
                    acc.par_chunks_mut(rows * inner)
                        .enumerate()
                        .for_each(|(t, out)| {
                            for (k, out) in out.chunks_mut(inner).enumerate() {
                                block(t * rows + k, 0, out);
                            }
                        })
                } else {
                    acc.par_chunks_mut(inner).enumerate().for_each(|(o, out)| {
                        out.par_chunks_mut(width)
                            .enumerate()
                            .for_each(|(b, out)| block(o, b * width, out))
                    })
                }
            });
        }
    }
    acc
}

/// Index along the middle axis of the largest (`max = true`) or smallest element
/// of each `(outer, inner)` fibre; the first one on ties, NaN wins as in PyTorch.
pub(crate) fn arg_extreme(
    s: &Storage,
    outer: usize,
    n: usize,
    inner: usize,
    max: bool,
) -> Vec<usize> {
    match s {
        Storage::F32(v) => arg_extreme_typed(v, outer, n, inner, max),
        Storage::F64(v) => arg_extreme_typed(v, outer, n, inner, max),
    }
}

fn arg_extreme_typed<T: Element>(
    v: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    max: bool,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| v[(o * n + j) * inner + i].to_f64();
            let mut best = 0;
            for j in 1..n {
                let (c, b) = (at(j), at(best));
                if b.is_nan() {
                    break;
                }
                if c.is_nan() || (max && c > b) || (!max && c < b) {
                    best = j;
                }
            }
            out.push(best);
        }
    }
    out
}

/// Runs `f` on every `(outer, inner)` fibre of the middle axis of each input
/// (all viewed as `(outer, n, inner)`), read in order as `f64`, and stores the
/// `m` values it writes as the fibre of an `(outer, m, inner)` output of
/// `dtype`. The scans and the products, whose fibres are short and whose
/// recurrences run along them, use it.
pub(crate) fn map_fibres(
    inputs: &[&Storage],
    (outer, n, inner): (usize, usize, usize),
    m: usize,
    dtype: DType,
    f: impl Fn(&[Vec<f64>], &mut [f64]),
) -> Storage {
    let mut out = vec![0.0f64; outer * m * inner];
    let mut bufs: Vec<Vec<f64>> = vec![vec![0.0; n]; inputs.len()];
    let mut res = vec![0.0f64; m];
    for o in 0..outer {
        for i in 0..inner {
            for (buf, s) in bufs.iter_mut().zip(inputs) {
                for (j, b) in buf.iter_mut().enumerate() {
                    *b = s.get((o * n + j) * inner + i);
                }
            }
            f(&bufs, &mut res);
            for (j, r) in res.iter().enumerate() {
                out[(o * m + j) * inner + i] = *r;
            }
        }
    }
    Storage::from_f64_iter(out.into_iter(), dtype)
}

/// The product of a fibre.
pub(crate) fn product(v: &[f64]) -> f64 {
    v.iter().product()
}

/// The variance of a fibre with Bessel's correction (divisor `n - 1`, so `NaN`
/// for one element, as PyTorch gives), from the mean in two passes.
pub(crate) fn variance(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
}

/// `out[k] = v[0] (op) .. (op) v[k]` for `op` `+` (`cumsum`) or `*` (`cumprod`).
pub(crate) fn scan(v: &[f64], out: &mut [f64], product: bool) {
    let mut acc = if product { 1.0 } else { 0.0 };
    for (o, x) in out.iter_mut().zip(v) {
        acc = if product { acc * x } else { acc + x };
        *o = acc;
    }
}

/// `out[i]` = the product of all elements but `v[i]`, from the products before
/// and after it: exact where elements are 0, with no division.
pub(crate) fn product_of_others(v: &[f64], out: &mut [f64]) {
    let mut left = 1.0;
    for (o, x) in out.iter_mut().zip(v) {
        *o = left;
        left *= x;
    }
    let mut right = 1.0;
    for (o, x) in out.iter_mut().zip(v).rev() {
        *o *= right;
        right *= x;
    }
}

/// The gradient of `cumprod` for the incoming gradient `g`:
/// `dx[i] = sum_{k >= i} g[k] prod_{j <= k, j != i} x[j]`, which is
/// `prod_{j < i} x[j] * s[i]` with `s[n-1] = g[n-1]`, `s[i] = g[i] + x[i+1] s[i+1]`:
/// linear time and exact where elements are 0, with no division.
pub(crate) fn cumprod_grad(x: &[f64], g: &[f64], out: &mut [f64]) {
    let n = x.len();
    let mut s = 0.0;
    for i in (0..n).rev() {
        s = if i + 1 < n { g[i] + x[i + 1] * s } else { g[i] };
        out[i] = s;
    }
    let mut left = 1.0;
    for (o, xi) in out.iter_mut().zip(x) {
        *o *= left;
        left *= xi;
    }
}

/// The indices of the first `k` elements of each `(outer, inner)` fibre of the
/// middle axis in sorted order, laid out as `(outer, k, inner)`: ascending, or
/// descending, with NaN above every number (last ascending, first descending)
/// as PyTorch sorts, and equal elements in their original order (a stable
/// sort; `-0.0` equals `0.0`).
pub(crate) fn arg_sort(
    s: &Storage,
    (outer, n, inner): (usize, usize, usize),
    k: usize,
    descending: bool,
) -> Vec<usize> {
    use std::cmp::Ordering;
    let cmp = |a: f64, b: f64| match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    };
    let mut out = vec![0usize; outer * k * inner];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| s.get((o * n + j) * inner + i);
            order.clear();
            order.extend(0..n);
            if descending {
                order.sort_by(|&a, &b| cmp(at(b), at(a)));
            } else {
                order.sort_by(|&a, &b| cmp(at(a), at(b)));
            }
            for (j, &src) in order.iter().take(k).enumerate() {
                out[(o * k + j) * inner + i] = src;
            }
        }
    }
    out
}
