//! im2col and its adjoint col2im: a 2-D convolution becomes one GEMM per image.

use crate::parallel::{self, MIN_PARALLEL_ELEMENTS};
use crate::tensor::dtype::{dispatch, Element, Storage};
use crate::tensor::recycle;
use rayon::prelude::*;

/// Geometry of a 2-D sliding window over an `(n, c, h, w)` input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
}

impl Window {
    /// Output height and width.
    pub fn out_hw(&self) -> (usize, usize) {
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        (
            (self.h + 2 * ph - self.kh) / sh + 1,
            (self.w + 2 * pw - self.kw) / sw + 1,
        )
    }

    /// Shape of the column matrix: `(n, c * kh * kw, ho * wo)`.
    pub fn cols_shape(&self) -> [usize; 3] {
        let (ho, wo) = self.out_hw();
        [self.n, self.c * self.kh * self.kw, ho * wo]
    }

    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// Calls `f(col_index, input_index, len)` for every run of column entries of
    /// one sample that read the input (entries in the padding are skipped), both
    /// indices counted from the sample's start: `len` consecutive column entries
    /// read the input at steps of the horizontal stride. Column order is
    /// `(c, i, j)` rows of `(oy, ox)` positions.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (ho, wo) = self.out_hw();
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        let mut row = 0;
        for img in 0..self.c {
            for i in 0..self.kh {
                for j in 0..self.kw {
                    // The positions ox whose x = ox * sw + j - pw is in 0..w.
                    let lo = pw.saturating_sub(j).div_ceil(sw).min(wo);
                    let hi = (self.w + pw).saturating_sub(j).div_ceil(sw).min(wo);
                    for oy in 0..ho {
                        let y = (oy * sh + i).wrapping_sub(ph);
                        if y < self.h && lo < hi {
                            let x = lo * sw + j - pw;
                            f(
                                row * ho * wo + oy * wo + lo,
                                (img * self.h + y) * self.w + x,
                                hi - lo,
                            );
                        }
                    }
                    row += 1;
                }
            }
        }
    }

    /// Elements of one sample's input and of its columns.
    fn sample_sizes(&self) -> (usize, usize) {
        let [_, rows, l] = self.cols_shape();
        (self.c * self.h * self.w, rows * l)
    }
}

/// Runs `f(sample's output, sample's input)` for every sample, on the kernel pool
/// when there are several and the output is large. Each sample is computed the
/// same way on any thread, so the result does not depend on the thread count.
fn per_sample<T: Send + Sync, U: Send + Default + Clone + 'static>(
    input: &[T],
    (in_len, out_len): (usize, usize),
    n: usize,
    f: impl Fn(&mut [U], &[T]) + Sync,
) -> Vec<U> {
    let mut out = recycle::zeroed(n * out_len);
    per_sample_into(&mut out, input, (in_len, out_len), n, f);
    out
}

/// [`per_sample`] into `out` (`n * out_len` elements).
fn per_sample_into<T: Send + Sync, U: Send>(
    out: &mut [U],
    input: &[T],
    (in_len, out_len): (usize, usize),
    n: usize,
    f: impl Fn(&mut [U], &[T]) + Sync,
) {
    if out.is_empty() {
        return;
    }
    let work = if n > 1 { out.len().max(input.len()) } else { 0 };
    match parallel::pool_for(work, MIN_PARALLEL_ELEMENTS) {
        None => {
            for (o, x) in out.chunks_mut(out_len).zip(input.chunks(in_len.max(1))) {
                f(o, x);
            }
        }
        Some(pool) => pool.install(|| {
            out.par_chunks_mut(out_len)
                .zip(input.par_chunks(in_len.max(1)))
                .for_each(|(o, x)| f(o, x))
        }),
    }
}

/// `(n, c, h, w)` to `(n, c * kh * kw, ho * wo)` columns.
pub(crate) fn im2col(s: &Storage, win: &Window) -> Storage {
    let sizes = win.sample_sizes();
    let sw = win.stride.1;
    let (in_len, col_len) = sizes;
    let total = win.n * col_len;
    let serial =
        win.n <= 1 || parallel::pool_for(total.max(s.len()), MIN_PARALLEL_ELEMENTS).is_none();
    if win.padding == (0, 0) && sw == 1 && serial {
        // Without padding the runs cover every column entry, in order: appended
        // one after another, the columns need no zeroing first.
        return dispatch!(s, |v| {
            let mut out = recycle::with_capacity(total);
            for x in v.chunks(in_len.max(1)).take(win.n) {
                win.for_each_run(|_, i, len| out.extend_from_slice(&x[i..i + len]));
            }
            debug_assert_eq!(out.len(), total);
            out
        });
    }
    dispatch!(s, |v| per_sample(&v[..], sizes, win.n, |out, x| {
        win.for_each_run(|c, i, len| {
            if sw == 1 {
                out[c..c + len].copy_from_slice(&x[i..i + len]);
            } else {
                for (o, &x) in out[c..c + len].iter_mut().zip(x[i..].iter().step_by(sw)) {
                    *o = x;
                }
            }
        })
    }))
}

/// The adjoint of [`im2col`]: sums every column entry back into its pixel.
pub(crate) fn col2im(s: &Storage, win: &Window) -> Storage {
    let (in_len, col_len) = win.sample_sizes();
    let sw = win.stride.1;
    dispatch!(s, |v| per_sample(
        &v[..],
        (col_len, in_len),
        win.n,
        |out, cols| {
            // In f64, as every sum of the tape.
            let mut acc = recycle::zeroed::<f64>(out.len());
            win.for_each_run(|c, i, len| {
                let src = &cols[c..c + len];
                if sw == 1 {
                    for (a, x) in acc[i..i + len].iter_mut().zip(src) {
                        *a += x.to_f64();
                    }
                } else {
                    for (a, x) in acc[i..].iter_mut().step_by(sw).zip(src) {
                        *a += x.to_f64();
                    }
                }
            });
            for (o, &a) in out.iter_mut().zip(&acc) {
                *o = Element::from_f64(a);
            }
            recycle::give(acc);
        }
    ))
}

/// Adds `b[ch]` to every element of channel `ch` of the `(n, c, l)` data in
/// `s` (a convolution's bias), of the same dtype.
pub(crate) fn add_channels(s: &mut Storage, b: &Storage, l: usize) {
    fn add<T: Copy + std::ops::Add<Output = T>>(s: &mut [T], b: &[T], l: usize) {
        if l == 0 || b.is_empty() {
            return;
        }
        for (plane, &b) in s.chunks_exact_mut(l).zip(b.iter().cycle()) {
            for v in plane {
                *v = *v + b;
            }
        }
    }
    match (s, b) {
        (Storage::F32(s), Storage::F32(b)) => add(s.as_mut_slice(), b, l),
        (Storage::F64(s), Storage::F64(b)) => add(s.as_mut_slice(), b, l),
        _ => unreachable!("callers check the dtypes match"),
    }
}

/// The sums of every channel of the `(n, c, l)` data in `s`, in f64 (the
/// gradient of a convolution's bias). Each plane is summed in eight interleaved
/// partial sums, added in a fixed order, so that the additions do not wait on
/// one another; the result depends only on the data.
pub(crate) fn sum_channels(s: &Storage, c: usize, l: usize) -> Storage {
    fn sums<T: Element>(v: &[T], c: usize, l: usize) -> Vec<f64> {
        let mut out = vec![0.0f64; c];
        if l == 0 {
            return out;
        }
        for (k, plane) in v.chunks_exact(l).enumerate() {
            let mut acc = [0.0f64; 8];
            let mut lanes = plane.chunks_exact(8);
            for chunk in &mut lanes {
                for (a, x) in acc.iter_mut().zip(chunk) {
                    *a += x.to_f64();
                }
            }
            for (a, x) in acc.iter_mut().zip(lanes.remainder()) {
                *a += x.to_f64();
            }
            let plane_sum =
                ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
            out[k % c] += plane_sum;
        }
        out
    }
    let out = match s {
        Storage::F32(v) => sums(v, c, l),
        Storage::F64(v) => sums(v, c, l),
    };
    Storage::from_f64_iter(out.into_iter(), s.dtype())
}

/// For every window of a pool over `(n, 1, h, w)` images (no padding), the
/// offset within its image of the window's largest element: the first in
/// row-major window order on ties, and a NaN wins, as in PyTorch.
#[cfg(test)]
pub(crate) fn max_pool_indices(s: &Storage, win: &Window) -> Vec<usize> {
    let (ho, wo) = win.out_hw();
    let mut out = vec![0; win.n * ho * wo];
    max_pool_indices_into(s, win, &mut out);
    out
}

/// [`max_pool_indices`] into `out` (one index per window).
pub(crate) fn max_pool_indices_into(s: &Storage, win: &Window, out: &mut [usize]) {
    debug_assert!(win.c == 1 && win.padding == (0, 0));
    let (ho, wo) = win.out_hw();
    let sizes = (win.h * win.w, ho * wo);
    // Compared in the storage type: widening to f64 keeps every order and NaN.
    match s {
        Storage::F32(v) => per_sample_into(out, v, sizes, win.n, |o, img| pool_image(img, win, o)),
        Storage::F64(v) => per_sample_into(out, v, sizes, win.n, |o, img| pool_image(img, win, o)),
    }
}

/// [`max_pool_indices`] of one image. Every window element is visited in
/// row-major order and the running best replaced by selects, not branches (on
/// noisy data a branch mispredicts about half the time): a candidate wins if the
/// best so far is not NaN and the candidate is NaN or larger.
fn pool_image<T: Element>(x: &[T], win: &Window, out: &mut [usize]) {
    let (ho, wo) = win.out_hw();
    let (sh, sw) = win.stride;
    let nan = |v: T| v.partial_cmp(&v).is_none();
    // The running best `(offset, value)` after candidate `c` at offset `at`.
    let step = |(best, b): (usize, T), at: usize, c: T| {
        let take = !nan(b) & (nan(c) | (c > b));
        std::hint::select_unpredictable(take, (at, c), (best, b))
    };
    if (win.kh, win.kw) == (2, 2) && !x.iter().any(|&v| nan(v)) {
        // The usual 2x2 window over NaN-free data: the better of each row's
        // pair, then the better of the two rows. The maximum with ties to the
        // first is associative, so this picks what the row-major scan picks.
        // `select_unpredictable`: a conditional move, not a branch (which
        // mispredicts half the time on noisy data).
        let better = |(i, a): (usize, T), (j, b): (usize, T)| {
            std::hint::select_unpredictable(b > a, (j, b), (i, a))
        };
        for (oy, row) in out.chunks_exact_mut(wo).take(ho).enumerate() {
            for (ox, slot) in row.iter_mut().enumerate() {
                let p = oy * sh * win.w + ox * sw;
                let q = p + win.w;
                let top = better((p, x[p]), (p + 1, x[p + 1]));
                let bottom = better((q, x[q]), (q + 1, x[q + 1]));
                *slot = better(top, bottom).0;
            }
        }
        return;
    }
    for oy in 0..ho {
        let row = &mut out[oy * wo..(oy + 1) * wo];
        let y0 = oy * sh;
        for (ox, slot) in row.iter_mut().enumerate() {
            let x0 = ox * sw;
            let first = y0 * win.w + x0;
            let mut r = (first, x[first]);
            for i in 0..win.kh {
                let start = (y0 + i) * win.w + x0;
                for (j, &c) in x[start..start + win.kw].iter().enumerate() {
                    r = step(r, start + j, c);
                }
            }
            *slot = r.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &Storage, b: &Storage) -> f64 {
        (0..a.len()).map(|i| a.get(i) * b.get(i)).sum()
    }

    fn wave(n: usize, k: f64) -> Storage {
        Storage::F64((0..n).map(|i| (i as f64 * k).sin()).collect())
    }

    /// The direct max-pool kernel picks what the maximum over im2col's columns
    /// picks, ties and NaNs included.
    #[test]
    fn max_pool_indices_match_the_column_maximum() {
        let win = Window {
            n: 3,
            c: 1,
            h: 7,
            w: 6,
            kh: 3,
            kw: 2,
            stride: (2, 2),
            padding: (0, 0),
        };
        let mut v: Vec<f64> = (0..3 * 42).map(|i| ((i * 7) % 5) as f64).collect();
        v[50] = f64::NAN;
        let s = Storage::F64(v.into());
        let [nc, kk, l] = win.cols_shape();
        let pixels = Storage::F64((0..nc * 42).map(|i| i as f64).collect());
        let (pix, cols) = (im2col(&pixels, &win), im2col(&s, &win));
        let best = crate::tensor::kernels::reduce::arg_extreme(&cols, nc, kk, l, true);
        let want: Vec<usize> = (0..nc * l)
            .map(|f| pix.get(((f / l) * kk + best[f]) * l + f % l) as usize % 42)
            .collect();
        assert_eq!(max_pool_indices(&s, &win), want);
    }

    /// `<im2col(x), y> == <x, col2im(y)>`: col2im is im2col's adjoint, which is
    /// what the convolution's backward relies on.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for (stride, padding) in [((1, 1), (0, 0)), ((2, 1), (1, 2)), ((3, 2), (1, 0))] {
            let win = Window {
                n: 2,
                c: 3,
                h: 5,
                w: 6,
                kh: 2,
                kw: 3,
                stride,
                padding,
            };
            let x = wave(2 * 3 * 5 * 6, 0.37);
            let [n, rows, l] = win.cols_shape();
            let y = wave(n * rows * l, 0.11);
            let lhs = dot(&im2col(&x, &win), &y);
            let rhs = dot(&x, &col2im(&y, &win));
            assert!((lhs - rhs).abs() < 1e-9, "{lhs} vs {rhs}");
        }
    }
}
