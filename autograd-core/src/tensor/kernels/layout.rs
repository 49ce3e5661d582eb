//! Kernels that move elements without arithmetic: permutation, concatenation,
//! slicing, gathering and its adjoint.

use crate::parallel::{self, MIN_PARALLEL_ELEMENTS};
use crate::tensor::dtype::{dispatch, Storage};
use crate::tensor::recycle;
use crate::tensor::shape::{numel, strides};
use rayon::prelude::*;

/// `out[i0.., ik..] = x[.. permuted ..]`: output dimension `k` is input dimension
/// `perm[k]`.
pub(crate) fn permute(s: &Storage, shape: &[usize], perm: &[usize]) -> Storage {
    let st = strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let r = perm.len();
    let swaps_last_two = r >= 2
        && perm[r - 2] == r - 1
        && perm[r - 1] == r - 2
        && perm[..r - 2].iter().enumerate().all(|(i, &p)| i == p);
    if swaps_last_two {
        let (batch, rows, cols) = (numel(&shape[..r - 2]), shape[r - 2], shape[r - 1]);
        return dispatch!(s, |v| transpose(v, batch, rows, cols));
    }
    let read: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    super::elementwise::gather_strided(s, &out_shape, &read)
}

/// Transposes each of `batch` row-major `rows x cols` matrices, in square tiles
/// so that both the reads and the writes stay within a few cache lines (a
/// weight's `t()` in `nn::Linear`); blocks of output rows run on the kernel pool
/// when large.
fn transpose<T: Copy + Default + Send + Sync>(
    v: &[T],
    batch: usize,
    rows: usize,
    cols: usize,
) -> Vec<T> {
    const TILE: usize = 32;
    let mut out = vec![T::default(); batch * rows * cols];
    if out.is_empty() {
        return out;
    }
    // Output rows j0.. of matrix `b` (input columns j0..), all input rows.
    let block = |b: usize, j0: usize, dst: &mut [T]| {
        let src = &v[b * rows * cols..][..rows * cols];
        for i0 in (0..rows).step_by(TILE) {
            for (dj, row) in dst.chunks_mut(rows).enumerate() {
                let j = j0 + dj;
                for i in i0..(i0 + TILE).min(rows) {
                    row[i] = src[i * cols + j];
                }
            }
        }
    };
    let chunk = TILE * rows;
    let pool = parallel::pool_for(out.len(), MIN_PARALLEL_ELEMENTS);
    let blocks = out.chunks_mut(rows * cols).enumerate().flat_map(|(b, m)| {
        m.chunks_mut(chunk)
            .enumerate()
            .map(move |(k, d)| (b, k * TILE, d))
    });
    match pool {
        None => blocks.for_each(|(b, j0, d)| block(b, j0, d)),
        Some(pool) => {
            let blocks: Vec<_> = blocks.collect();
            pool.install(|| {
                blocks
                    .into_par_iter()
                    .for_each(|(b, j0, d)| block(b, j0, d))
            })
        }
    }
    out
}

/// Concatenates along the middle axis of `(outer, n_k, inner)` views; `parts`
/// holds each storage with its `n_k`.
pub(crate) fn cat(parts: &[(&Storage, usize)], outer: usize, inner: usize) -> Storage {
    let dtype = parts
        .iter()
        .fold(parts[0].0.dtype(), |d, p| d.promote(p.0.dtype()));
    let conv: Vec<_> = parts
        .iter()
        .map(|(s, n)| (super::elementwise::as_dtype(s, dtype), *n))
        .collect();
    let total: usize = parts.iter().map(|p| p.1).sum::<usize>() * outer * inner;
    let mut out = Storage::full(0, 0.0, dtype);
    reserve(&mut out, total);
    for o in 0..outer {
        for (s, n) in &conv {
            let chunk = n * inner;
            extend(&mut out, s, o * chunk..(o + 1) * chunk);
        }
    }
    out
}

fn reserve(s: &mut Storage, n: usize) {
    match s {
        Storage::F32(v) => v.vec_mut().reserve(n),
        Storage::F64(v) => v.vec_mut().reserve(n),
    }
}

fn extend(dst: &mut Storage, src: &Storage, r: std::ops::Range<usize>) {
    match (dst, src) {
        (Storage::F32(d), Storage::F32(s)) => d.vec_mut().extend_from_slice(&s[r]),
        (Storage::F64(d), Storage::F64(s)) => d.vec_mut().extend_from_slice(&s[r]),
        _ => unreachable!("parts were converted to the output dtype"),
    }
}

/// Elements `start..start + len` of the middle axis of an `(outer, n, inner)` view.
pub(crate) fn narrow(
    s: &Storage,
    (outer, n, inner): (usize, usize, usize),
    start: usize,
    len: usize,
) -> Storage {
    dispatch!(s, |v| {
        let mut out = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            let base = (o * n + start) * inner;
            out.extend_from_slice(&v[base..base + len * inner]);
        }
        out
    })
}

/// The elements in reverse order along the dimensions `d` where `flip[d]`.
pub(crate) fn flip(s: &Storage, shape: &[usize], flip: &[bool]) -> Storage {
    let st = strides(shape);
    let n = numel(shape);
    let rank = shape.len();
    // The offset of output element 0, and the step of each dimension's index.
    let start: usize = (0..rank)
        .filter(|&d| flip[d] && shape[d] > 0)
        .map(|d| (shape[d] - 1) * st[d])
        .sum();
    dispatch!(s, |v| {
        let mut out = Vec::with_capacity(n);
        let mut idx = vec![0usize; rank];
        let mut off = start;
        for _ in 0..n {
            out.push(v[off]);
            for d in (0..rank).rev() {
                idx[d] += 1;
                let back = idx[d] == shape[d];
                match (flip[d], back) {
                    (false, false) => off += st[d],
                    (true, false) => off -= st[d],
                    (false, true) => off -= (shape[d] - 1) * st[d],
                    (true, true) => off += (shape[d] - 1) * st[d],
                }
                if !back {
                    break;
                }
                idx[d] = 0;
            }
        }
        out
    })
}

/// Geometry of a gather along the middle axis: the input is viewed as
/// `(outer, n_in, inner)` and the output and index as `(outer, n_out, inner)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GatherGeom {
    pub outer: usize,
    pub n_in: usize,
    pub n_out: usize,
    pub inner: usize,
}

impl GatherGeom {
    fn in_offset(&self, o: usize, idx: usize, i: usize) -> usize {
        (o * self.n_in + idx) * self.inner + i
    }
}

/// `out[o, j, i] = x[o, index[o, j, i], i]`.
pub(crate) fn gather(s: &Storage, g: GatherGeom, index: &[usize]) -> Storage {
    dispatch!(s, |v| {
        let mut out = recycle::with_capacity(index.len());
        if g.inner == 1 && g.n_out > 0 {
            // One element per index (pools, `max`/`min` over the last
            // dimension): a run of indices per outer block.
            for (o, idx) in index.chunks_exact(g.n_out).take(g.outer).enumerate() {
                let block = &v[o * g.n_in..][..g.n_in];
                out.extend(idx.iter().map(|&k| block[k]));
            }
        } else {
            for o in 0..g.outer {
                for j in 0..g.n_out {
                    for i in 0..g.inner {
                        let k = index[(o * g.n_out + j) * g.inner + i];
                        out.push(v[g.in_offset(o, k, i)]);
                    }
                }
            }
        }
        out
    })
}

/// The adjoint of [`gather`]: `out = zeros(outer, n_in, inner)`, then
/// `out[o, index[o, j, i], i] += src[o, j, i]`. The sums are in `f64`, unless
/// `unique` says every offset receives at most one element (a max-pool of
/// disjoint windows, `max`, `sort`): then each element is added to its zero in
/// the storage type, the same value (`0 + x`, exact either way).
pub(crate) fn scatter_add(s: &Storage, g: GatherGeom, index: &[usize], unique: bool) -> Storage {
    if unique {
        return dispatch!(s, |v| {
            let mut out = recycle::zeroed(g.outer * g.n_in * g.inner);
            if g.inner == 1 && g.n_out > 0 && g.n_in > 0 {
                // One element per index: a run per outer block.
                let blocks = out
                    .chunks_exact_mut(g.n_in)
                    .zip(index.chunks_exact(g.n_out));
                for ((block, idx), src) in blocks.zip(v.chunks_exact(g.n_out)) {
                    for (&k, &x) in idx.iter().zip(src) {
                        block[k] += x;
                    }
                }
            } else {
                for o in 0..g.outer {
                    for j in 0..g.n_out {
                        for i in 0..g.inner {
                            let src = (o * g.n_out + j) * g.inner + i;
                            out[g.in_offset(o, index[src], i)] += v[src];
                        }
                    }
                }
            }
            out
        });
    }
    let mut acc = recycle::zeroed::<f64>(g.outer * g.n_in * g.inner);
    fn add<T: crate::tensor::dtype::Element>(
        acc: &mut [f64],
        s: &[T],
        g: GatherGeom,
        index: &[usize],
    ) {
        for o in 0..g.outer {
            for j in 0..g.n_out {
                for i in 0..g.inner {
                    let src = (o * g.n_out + j) * g.inner + i;
                    acc[g.in_offset(o, index[src], i)] += s[src].to_f64();
                }
            }
        }
    }
    match s {
        Storage::F32(v) => add(&mut acc, v, g, index),
        Storage::F64(v) => add(&mut acc, v, g, index),
    }
    let out = Storage::from_f64_iter(acc.iter().copied(), s.dtype());
    recycle::give(acc);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_add_is_the_adjoint_of_gather() {
        let g = GatherGeom {
            outer: 2,
            n_in: 4,
            n_out: 3,
            inner: 2,
        };
        let x = Storage::F64((0..16).map(|i| (i as f64 * 0.7).cos()).collect());
        let y = Storage::F64((0..12).map(|i| (i as f64 * 0.3).sin()).collect());
        let index: Vec<usize> = (0..12).map(|i| (i * 5) % 4).collect();
        let dot = |a: &Storage, b: &Storage| (0..a.len()).map(|i| a.get(i) * b.get(i)).sum::<f64>();
        let lhs = dot(&gather(&x, g, &index), &y);
        let rhs = dot(&x, &scatter_add(&y, g, &index, false));
        assert!((lhs - rhs).abs() < 1e-12);
    }

    #[test]
    fn gather_of_single_elements_and_a_scatter_of_unique_offsets_match_the_general_loops() {
        // inner = 1 (pools, max over the last dimension): gather's run per block.
        let g = GatherGeom {
            outer: 3,
            n_in: 5,
            n_out: 2,
            inner: 1,
        };
        let x = Storage::F32((0..15).map(|i| (i as f32 * 0.7).cos()).collect());
        // Distinct offsets within each block, a -0.0 among the sources.
        let index: Vec<usize> = vec![4, 1, 0, 3, 2, 4];
        let want: Vec<f32> = (0..6)
            .map(|f| x.get((f / 2) * 5 + index[f]) as f32)
            .collect();
        assert_eq!(gather(&x, g, &index).to_vec::<f32>(), want);
        let y = Storage::F32(vec![0.5, -0.0, 1.25, -3.0, 7.0, 1e-3].into());
        let (fast, sums) = (
            scatter_add(&y, g, &index, true),
            scatter_add(&y, g, &index, false),
        );
        let bits = |s: &Storage| {
            s.to_vec::<f32>()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&fast), bits(&sums));
    }

    #[test]
    fn transposing_the_last_two_axes_in_tiles_matches_the_odometer() {
        let shape = [3, 37, 70];
        let s = Storage::F64((0..3 * 37 * 70).map(|i| i as f64).collect());
        let st = strides(&shape);
        let want =
            super::super::elementwise::gather_strided(&s, &[3, 70, 37], &[st[0], st[2], st[1]]);
        assert_eq!(permute(&s, &shape, &[0, 2, 1]), want);
    }

    #[test]
    fn flip_reverses_the_chosen_axes() {
        let s = Storage::F64((0..6).map(|i| i as f64).collect());
        let f = |mask: &[bool]| flip(&s, &[2, 3], mask).to_vec::<f64>();
        assert_eq!(f(&[false, false]), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(f(&[true, false]), vec![3.0, 4.0, 5.0, 0.0, 1.0, 2.0]);
        assert_eq!(f(&[false, true]), vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
        assert_eq!(f(&[true, true]), vec![5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    }

    #[test]
    fn permute_moves_axes() {
        let s = Storage::F32((0..6).map(|i| i as f32).collect());
        assert_eq!(
            permute(&s, &[2, 3], &[1, 0]),
            Storage::F32(vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0].into())
        );
    }
}
