//! im2col and its adjoint col2im: a 2-D convolution becomes one GEMM per image.

use crate::parallel::{self, MIN_PARALLEL_ELEMENTS};
use crate::tensor::dtype::{dispatch, Element, Storage};
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

    /// Calls `f(col_index, input_index)` for every column entry of one sample
    /// that reads the input (entries in the padding are skipped), both indices
    /// counted from the sample's start.
    fn for_each_pair(&self, mut f: impl FnMut(usize, usize)) {
        let (ho, wo) = self.out_hw();
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        let mut col = 0;
        for img in 0..self.c {
            for i in 0..self.kh {
                for j in 0..self.kw {
                    for oy in 0..ho {
                        let y = (oy * sh + i).wrapping_sub(ph);
                        for ox in 0..wo {
                            let x = (ox * sw + j).wrapping_sub(pw);
                            if y < self.h && x < self.w {
                                f(col, (img * self.h + y) * self.w + x);
                            }
                            col += 1;
                        }
                    }
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
fn per_sample<T: Send + Sync, U: Send + Default + Clone>(
    input: &[T],
    (in_len, out_len): (usize, usize),
    n: usize,
    f: impl Fn(&mut [U], &[T]) + Sync,
) -> Vec<U> {
    let mut out = vec![U::default(); n * out_len];
    if out.is_empty() {
        return out;
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
    out
}

/// `(n, c, h, w)` to `(n, c * kh * kw, ho * wo)` columns.
pub(crate) fn im2col(s: &Storage, win: &Window) -> Storage {
    let sizes = win.sample_sizes();
    dispatch!(s, |v| per_sample(&v[..], sizes, win.n, |out, x| {
        win.for_each_pair(|c, i| out[c] = x[i])
    }))
}

/// The adjoint of [`im2col`]: sums every column entry back into its pixel.
pub(crate) fn col2im(s: &Storage, win: &Window) -> Storage {
    let (in_len, col_len) = win.sample_sizes();
    dispatch!(s, |v| per_sample(
        &v[..],
        (col_len, in_len),
        win.n,
        |out, cols| {
            // In f64, as every sum of the tape.
            let mut acc = vec![0.0f64; out.len()];
            win.for_each_pair(|c, i| acc[i] += cols[c].to_f64());
            for (o, a) in out.iter_mut().zip(acc) {
                *o = Element::from_f64(a);
            }
        }
    ))
}

/// For every window of a pool over `(n, 1, h, w)` images (no padding), the
/// offset within its image of the window's largest element: the first in
/// row-major window order on ties, and a NaN wins, as in PyTorch.
pub(crate) fn max_pool_indices(s: &Storage, win: &Window) -> Vec<usize> {
    debug_assert!(win.c == 1 && win.padding == (0, 0));
    let (ho, wo) = win.out_hw();
    let (sh, sw) = win.stride;
    let pool = |x: &[f64], out: &mut [usize]| {
        for oy in 0..ho {
            for ox in 0..wo {
                let (y0, x0) = (oy * sh, ox * sw);
                let mut best = y0 * win.w + x0;
                let mut b = x[best];
                'window: for i in 0..win.kh {
                    let row = &x[(y0 + i) * win.w + x0..][..win.kw];
                    for (j, &c) in row.iter().enumerate() {
                        if b.is_nan() {
                            break 'window;
                        }
                        if c.is_nan() || c > b {
                            (best, b) = ((y0 + i) * win.w + x0 + j, c);
                        }
                    }
                }
                out[oy * wo + ox] = best;
            }
        }
    };
    let sizes = (win.h * win.w, ho * wo);
    // Compared in f64 like every kernel; an image is small enough to widen first.
    match s {
        Storage::F32(v) => per_sample(v, sizes, win.n, |out, img| {
            let x: Vec<f64> = img.iter().map(|&v| f64::from(v)).collect();
            pool(&x, out)
        }),
        Storage::F64(v) => per_sample(v, sizes, win.n, |out, img| pool(img, out)),
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
