//! Reductions. Sums accumulate in `f64` whatever the storage type.

use crate::tensor::dtype::{Element, Storage};
use crate::tensor::shape::{broadcast_strides, for_each_offset, is_trailing, numel};

/// Sums a tensor of shape `src` down to `dst`, a shape that broadcasts to `src`
/// (the adjoint of broadcasting).
pub(crate) fn sum_to(s: &Storage, src: &[usize], dst: &[usize]) -> Storage {
    let mut acc = vec![0.0f64; numel(dst)];
    if !acc.is_empty() && is_trailing(dst, src) {
        // Summing away leading dimensions (a bias's gradient): add up rows.
        let m = acc.len();
        for k in 0..s.len() {
            acc[k % m] += s.get(k);
        }
        return Storage::from_f64_iter(acc.into_iter(), s.dtype());
    }
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
    // A fold from +0.0: `Iterator::sum` of no floats is -0.0.
    (0..s.len()).fold(0.0, |acc, i| acc + s.get(i))
}

/// Sums the middle axis of a tensor viewed as `(outer, n, inner)`.
pub(crate) fn sum_axis(s: &Storage, outer: usize, n: usize, inner: usize) -> Storage {
    let mut acc = vec![0.0f64; outer * inner];
    for o in 0..outer {
        for j in 0..n {
            let base = (o * n + j) * inner;
            for i in 0..inner {
                acc[o * inner + i] += s.get(base + i);
            }
        }
    }
    Storage::from_f64_iter(acc.into_iter(), s.dtype())
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
