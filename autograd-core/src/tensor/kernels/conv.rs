//! im2col and its adjoint col2im: a 2-D convolution becomes one GEMM per image.

use crate::tensor::dtype::{dispatch, Storage};

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

    /// Calls `f(col_index, input_index)` for every column entry that reads the
    /// input (entries in the padding are skipped).
    fn for_each_pair(&self, mut f: impl FnMut(usize, usize)) {
        let (ho, wo) = self.out_hw();
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        let mut col = 0;
        for img in 0..self.n * self.c {
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
}

/// `(n, c, h, w)` to `(n, c * kh * kw, ho * wo)` columns.
pub(crate) fn im2col(s: &Storage, win: &Window) -> Storage {
    let [n, rows, l] = win.cols_shape();
    dispatch!(s, |v| {
        let mut out = vec![Default::default(); n * rows * l];
        win.for_each_pair(|c, i| out[c] = v[i]);
        out
    })
}

/// The adjoint of [`im2col`]: sums every column entry back into its pixel.
pub(crate) fn col2im(s: &Storage, win: &Window) -> Storage {
    let mut acc = vec![0.0f64; win.n * win.c * win.h * win.w];
    win.for_each_pair(|c, i| acc[i] += s.get(c));
    Storage::from_f64_iter(acc.into_iter(), s.dtype())
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
