//! Normalising functions along a dimension: softmax, log-softmax, logsumexp.
//! Each subtracts the maximum first, so large inputs do not overflow.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::op::Op;
use crate::tensor::saved::SavedInput;
use crate::tensor::shape::{split_at_dim, Dim};

/// Applies `f(fibre, out)` to every fibre along `dim` of `s`, in `f64`.
#[track_caller]
fn per_fibre(
    s: &Storage,
    shape: &[usize],
    dim: usize,
    out_len: usize,
    f: impl Fn(&[f64], &mut [f64]),
) -> Storage {
    let (outer, n, inner) = split_at_dim(shape, dim);
    let mut out = vec![0.0; outer * out_len * inner];
    let (mut fib, mut res) = (vec![0.0; n], vec![0.0; out_len]);
    for o in 0..outer {
        for i in 0..inner {
            for (j, v) in fib.iter_mut().enumerate() {
                *v = s.get((o * n + j) * inner + i);
            }
            f(&fib, &mut res);
            for (j, r) in res.iter().enumerate() {
                out[(o * out_len + j) * inner + i] = *r;
            }
        }
    }
    Storage::from_f64_iter(out.into_iter(), s.dtype())
}

/// `ln(sum(exp(x)))` of a fibre, stable.
#[track_caller]
fn lse(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

impl Tensor {
    /// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax`, `SoftmaxBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_softmax`].
    #[track_caller]
    pub fn softmax(&self, dim: impl Dim) -> Tensor {
        ok(self.try_softmax(dim))
    }

    /// Fallible [`Tensor::softmax`].
    #[track_caller]
    pub fn try_softmax(&self, dim: impl Dim) -> Result<Tensor> {
        let dim = dim.resolve("softmax", self.ndim())?;
        let n = self.shape()[dim];
        let s = per_fibre(&self.data(), self.shape(), dim, n, |x, out| {
            let l = lse(x);
            for (o, v) in out.iter_mut().zip(x) {
                *o = (v - l).exp();
            }
        });
        Ok(Tensor::record(s, self.shape(), &[self], |o| Op::Softmax {
            out: o.save(),
            dim,
        }))
    }

    /// `x - logsumexp(x)` along `dim` (`torch.log_softmax`,
    /// `LogSoftmaxBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_log_softmax`].
    #[track_caller]
    pub fn log_softmax(&self, dim: impl Dim) -> Tensor {
        ok(self.try_log_softmax(dim))
    }

    /// Fallible [`Tensor::log_softmax`].
    #[track_caller]
    pub fn try_log_softmax(&self, dim: impl Dim) -> Result<Tensor> {
        let dim = dim.resolve("log_softmax", self.ndim())?;
        let n = self.shape()[dim];
        let s = per_fibre(&self.data(), self.shape(), dim, n, |x, out| {
            let l = lse(x);
            for (o, v) in out.iter_mut().zip(x) {
                *o = v - l;
            }
        });
        Ok(Tensor::record(s, self.shape(), &[self], |o| {
            Op::LogSoftmax { out: o.save(), dim }
        }))
    }

    /// `ln(sum(exp(x)))` along `dim` (`torch.logsumexp`, `LogsumexpBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_logsumexp`].
    #[track_caller]
    pub fn logsumexp(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_logsumexp(dim, keepdim))
    }

    /// Fallible [`Tensor::logsumexp`].
    #[track_caller]
    pub fn try_logsumexp(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let dim = dim.resolve("logsumexp", self.ndim())?;
        let s = per_fibre(&self.data(), self.shape(), dim, 1, |x, out| out[0] = lse(x));
        let shape = super::reduce::reduced_shape(self.shape(), dim, keepdim);
        Ok(Tensor::record(s, &shape, &[self], |_| Op::Logsumexp {
            x: SavedInput::new(self, 0),
            dim,
            keepdim,
        }))
    }
}
