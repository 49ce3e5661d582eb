//! Ops that write at indices: `scatter_add` and `index_add` add there,
//! `scatter`, `index_copy` and `index_fill` replace. Each turns its indices into
//! flat offsets of the output once (`dst`, with `from`, the offsets into `src`,
//! when `src` is larger than the index); the forward and both gradients work
//! on those offsets.

use crate::error::Result;
use crate::tensor::dtype::{DType, Storage};
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::op::{AddAtKind, GatherKind, Op, PutAtKind};
use crate::tensor::shape::{numel, split_at_dim, strides, Dim};
use crate::Error;
use std::sync::Arc;

use super::layout::check_indices;

/// Flat offsets into the output (and, when `src` is larger than the index,
/// into `src`) of the elements a scatter writes.
type Offsets = (Arc<[usize]>, Option<Arc<[usize]>>);

impl Tensor {
    /// This tensor with `src[.., j, ..]` added at `[.., index[.., j, ..], ..]`
    /// along `dim` (`t.scatter_add(dim, index, src)`, `ScatterAddBackward0`):
    /// `index` (whole numbers) has the rank of both, is no larger than `src` in
    /// any dimension and no larger than this tensor outside `dim`; elements of
    /// `src` outside `index`'s shape are not used. Repeated indices add up.
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_scatter_add`].
    #[track_caller]
    pub fn scatter_add(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Tensor {
        ok(self.try_scatter_add(dim, index, src))
    }

    /// Fallible [`Tensor::scatter_add`].
    #[track_caller]
    pub fn try_scatter_add(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let (dst, from) = scatter_offsets("scatter_add", self, dim, index, src.shape())?;
        Ok(self.add_at(src, AddAtKind::ScatterAdd, dst, from))
    }

    /// This tensor with `src[.., j, ..]` written at `[.., index[.., j, ..], ..]`
    /// along `dim` (`t.scatter(dim, index, src)`, `ScatterBackward0`), with the
    /// shape rules of [`Tensor::scatter_add`]. Where an index repeats, the last
    /// element written stays (PyTorch leaves which one unspecified); the
    /// gradient of `src` is, as PyTorch's, the output's gradient at each
    /// element's target either way, and the tensor's is zero where it was
    /// overwritten.
    ///
    /// ```
    /// use autograd_core::Tensor;
    /// let x = Tensor::zeros(&[2, 3]);
    /// let index = Tensor::from_vec(vec![2.0, 0.0], &[2, 1]);
    /// let src = Tensor::from_vec(vec![5.0, 7.0], &[2, 1]);
    /// let y = x.scatter(1, &index, &src);
    /// assert_eq!(y.to_vec::<f64>(), [0.0, 0.0, 5.0, 7.0, 0.0, 0.0]);
    /// ```
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_scatter`].
    #[track_caller]
    pub fn scatter(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Tensor {
        ok(self.try_scatter(dim, index, src))
    }

    /// Fallible [`Tensor::scatter`].
    #[track_caller]
    pub fn try_scatter(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let (dst, from) = scatter_offsets("scatter", self, dim, index, src.shape())?;
        Ok(self.put_at(Some(src), 0.0, PutAtKind::Scatter, dst, from))
    }

    /// This tensor with `value` written at `[.., index[.., j, ..], ..]` along
    /// `dim` (`t.scatter(dim, index, value)`, `ScatterBackward1`): `index`
    /// has this tensor's rank and is no larger than it outside `dim`. The
    /// gradient is zero at the written elements. A one-hot encoding is
    /// `Tensor::zeros(&[n, classes]).scatter_value(1, &labels.unsqueeze(1), 1.0)`.
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_scatter_value`].
    #[track_caller]
    pub fn scatter_value(&self, dim: impl Dim, index: &Tensor, value: f64) -> Tensor {
        ok(self.try_scatter_value(dim, index, value))
    }

    /// Fallible [`Tensor::scatter_value`].
    #[track_caller]
    pub fn try_scatter_value(&self, dim: impl Dim, index: &Tensor, value: f64) -> Result<Tensor> {
        let (dst, _) = scatter_offsets("scatter", self, dim, index, index.shape())?;
        Ok(self.put_at(None, value, PutAtKind::ScatterValue, dst, None))
    }

    /// This tensor with `src[.., j, ..]` added at `[.., index[j], ..]` along
    /// `dim` (`t.index_add(dim, index, src)`, `IndexAddBackward0`): `index` is
    /// a list of whole numbers (rank 1, or 0 for one) and `src` has this
    /// tensor's shape except `index`'s length along `dim`. Repeated indices
    /// add up.
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_index_add`].
    #[track_caller]
    pub fn index_add(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Tensor {
        ok(self.try_index_add(dim, index, src))
    }

    /// Fallible [`Tensor::index_add`].
    #[track_caller]
    pub fn try_index_add(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let dst = index_offsets("index_add", self, dim, index, Some(src))?;
        Ok(self.add_at(src, AddAtKind::IndexAdd, dst, None))
    }

    /// This tensor with `src[.., j, ..]` written at `[.., index[j], ..]` along
    /// `dim` (`t.index_copy(dim, index, src)`, `IndexCopyBackward0`), with the
    /// shape rules of [`Tensor::index_add`]. Where an index repeats, the last
    /// slice written stays; the gradients are those of [`Tensor::scatter`].
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_index_copy`].
    #[track_caller]
    pub fn index_copy(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Tensor {
        ok(self.try_index_copy(dim, index, src))
    }

    /// Fallible [`Tensor::index_copy`].
    #[track_caller]
    pub fn try_index_copy(&self, dim: impl Dim, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let dst = index_offsets("index_copy", self, dim, index, Some(src))?;
        Ok(self.put_at(Some(src), 0.0, PutAtKind::IndexCopy, dst, None))
    }

    /// This tensor with `value` written at `[.., index[j], ..]` along `dim`
    /// (`t.index_fill(dim, index, value)`, `IndexFillBackward0`), `index` a
    /// list of whole numbers (rank 1, or 0 for one). The gradient is zero at
    /// the filled elements.
    ///
    /// # Panics
    /// If the index does not fit; see [`Tensor::try_index_fill`].
    #[track_caller]
    pub fn index_fill(&self, dim: impl Dim, index: &Tensor, value: f64) -> Tensor {
        ok(self.try_index_fill(dim, index, value))
    }

    /// Fallible [`Tensor::index_fill`].
    #[track_caller]
    pub fn try_index_fill(&self, dim: impl Dim, index: &Tensor, value: f64) -> Result<Tensor> {
        let dst = index_offsets("index_fill", self, dim, index, None)?;
        Ok(self.put_at(None, value, PutAtKind::IndexFill, dst, None))
    }

    /// `self` with `src[from[k]]` (`src[k]` for `None`) added at flat offset
    /// `dst[k]`, for each `k`.
    #[track_caller]
    fn add_at(
        &self,
        src: &Tensor,
        kind: AddAtKind,
        dst: Arc<[usize]>,
        from: Option<Arc<[usize]>>,
    ) -> Tensor {
        let dtype = self.dtype().promote(src.dtype());
        let s = Tensor::read2(self, src, |x, v| {
            at_offsets(x, &dst, dtype, |slot, k| {
                *slot += v.get(from.as_ref().map_or(k, |f| f[k]));
            })
        });
        Tensor::record(s, self.shape(), &[self, src], |_| Op::AddAt {
            kind,
            dst,
            from,
        })
    }

    /// `self` with `src[from[k]]` (`src[k]` for `None`; `value` without `src`)
    /// written at flat offset `dst[k]`, for each `k` in order.
    #[track_caller]
    fn put_at(
        &self,
        src: Option<&Tensor>,
        value: f64,
        kind: PutAtKind,
        dst: Arc<[usize]>,
        from: Option<Arc<[usize]>>,
    ) -> Tensor {
        let dtype = src.map_or(self.dtype(), |s| self.dtype().promote(s.dtype()));
        let write = |x: &Storage, v: Option<&Storage>| {
            at_offsets(x, &dst, dtype, |slot, k| {
                *slot = v.map_or(value, |v| v.get(from.as_ref().map_or(k, |f| f[k])));
            })
        };
        let s = match src {
            Some(src) => Tensor::read2(self, src, |x, v| write(x, Some(v))),
            None => write(&self.data(), None),
        };
        let mut hit = vec![0.0; self.numel()];
        for &d in dst.iter() {
            hit[d] = 1.0;
        }
        let written =
            Tensor::from_storage(Storage::from_f64_iter(hit.into_iter(), dtype), self.shape());
        let inputs: &[&Tensor] = match src {
            Some(src) => &[self, src],
            None => &[self],
        };
        Tensor::record(s, self.shape(), inputs, |_| Op::PutAt {
            kind,
            written,
            dst,
            from,
        })
    }
}

/// `x` in `dtype`, computed in `f64`, with `f(slot, k)` applied to the element at
/// each offset `dst[k]`, in order.
fn at_offsets(
    x: &Storage,
    dst: &[usize],
    dtype: DType,
    mut f: impl FnMut(&mut f64, usize),
) -> Storage {
    let mut out: Vec<f64> = (0..x.len()).map(|i| x.get(i)).collect();
    for (k, &d) in dst.iter().enumerate() {
        f(&mut out[d], k);
    }
    Storage::from_f64_iter(out.into_iter(), dtype)
}

/// The offsets of `scatter`'s writes into `x` along `dim` (resolved here) at
/// `index` from a source of shape `src_shape` (`index`'s own for a value), after
/// checking that the shapes and indices fit.
#[track_caller]
fn scatter_offsets(
    op: &'static str,
    x: &Tensor,
    dim: impl Dim,
    index: &Tensor,
    src_shape: &[usize],
) -> Result<Offsets> {
    let dim = dim.resolve(op, x.ndim())?;
    let r = x.ndim();
    let (xs, is, ss) = (x.shape(), index.shape(), src_shape);
    let fits = is.len() == r
        && ss.len() == r
        && (0..r).all(|d| is[d] <= ss[d] && (d == dim || is[d] <= xs[d]));
    if !fits {
        return Err(Error::ShapeMismatch {
            op,
            lhs: xs.to_vec(),
            rhs: is.to_vec(),
            reason: format!(
                "the index must have the rank of the tensor and of src {ss:?}, be no larger \
                 than src, and no larger than the tensor outside dimension {dim}"
            ),
        });
    }
    let idx = whole_indices(op, index, xs[dim])?;
    let (st_x, st_s) = (strides(xs), strides(ss));
    let mut dst = Vec::with_capacity(idx.len());
    let mut from = Vec::with_capacity(idx.len());
    let mut at = vec![0usize; r];
    for &k in &idx {
        let mut x_off = 0;
        let mut s_off = 0;
        for d in 0..r {
            x_off += st_x[d] * if d == dim { k } else { at[d] };
            s_off += st_s[d] * at[d];
        }
        dst.push(x_off);
        from.push(s_off);
        for d in (0..r).rev() {
            at[d] += 1;
            if at[d] < is[d] {
                break;
            }
            at[d] = 0;
        }
    }
    let from = (is != ss).then(|| from.into());
    Ok((dst.into(), from))
}

/// The offsets of `index_add`'s writes into `x` along `dim` (resolved here):
/// every element of the slices `index` names, in `src`'s row-major order, after
/// checking the index and, when there is one, `src`'s shape.
#[track_caller]
fn index_offsets(
    op: &'static str,
    x: &Tensor,
    dim: impl Dim,
    index: &Tensor,
    src: Option<&Tensor>,
) -> Result<Arc<[usize]>> {
    let dim = dim.resolve(op, x.ndim())?;
    if index.ndim() > 1 {
        return Err(Error::InvalidArgument {
            op,
            shape: index.shape().to_vec(),
            reason: "the index must be a list of indices, of rank 0 or 1".into(),
        });
    }
    let l = index.numel();
    if let Some(src) = src {
        let mut want = x.shape().to_vec();
        want[dim] = l;
        if src.shape() != want {
            return Err(Error::ShapeMismatch {
                op,
                lhs: x.shape().to_vec(),
                rhs: src.shape().to_vec(),
                reason: format!(
                    "src must have shape {want:?}: the tensor's, with the index's length {l} \
                     along dimension {dim}"
                ),
            });
        }
    }
    let (outer, n, inner) = split_at_dim(x.shape(), dim);
    let idx = whole_indices(op, index, n)?;
    Ok((0..outer * l * inner)
        .map(|f| {
            let (o, j, i) = (f / (l * inner), (f / inner) % l, f % inner);
            (o * n + idx[j]) * inner + i
        })
        .collect())
}

/// The gradient of the source of an op that wrote (or added) `src[from[k]]`
/// (`src[k]` for `None`) at flat offset `dst[k]`: the elements of `g` at `dst`,
/// placed at `from` in zeros of `src_shape` when not all of `src` was used; a
/// gather and a scatter, so that it is differentiable in turn.
#[track_caller]
fn src_grad(
    g: &Tensor,
    dst: &Arc<[usize]>,
    from: Option<&Arc<[usize]>>,
    src_shape: &[usize],
) -> Tensor {
    let m = dst.len();
    let flat = |n: usize| GatherGeom {
        outer: 1,
        n_in: n,
        n_out: m,
        inner: 1,
    };
    let picked =
        g.reshape(&[g.numel()])
            .gather_geom(GatherKind::Gather, flat(g.numel()), dst, &[m]);
    match from {
        None => picked.reshape(src_shape),
        Some(from) => {
            let n = numel(src_shape);
            picked
                .scatter_add_geom(flat(n), from, &[n], false)
                .reshape(src_shape)
        }
    }
}

/// Gradients of `scatter_add` and `index_add` (`add_at`): `g` for the tensor,
/// [`src_grad`] for `src`.
#[track_caller]
pub(crate) fn add_at_backward(
    g: &Tensor,
    dst: &Arc<[usize]>,
    from: Option<&Arc<[usize]>>,
    src_shape: &[usize],
    needs: &[bool],
) -> [Option<Tensor>; 2] {
    let grad_src = needs[1].then(|| src_grad(g, dst, from, src_shape));
    [needs[0].then(|| g.clone()), grad_src]
}

/// Gradients of `scatter`, `index_copy` and the fills (`put_at`): `g` with
/// zeros where the output was `written`, for the tensor; [`src_grad`] for
/// `src`, when there is one (`src_shape` is `None` otherwise).
#[track_caller]
pub(crate) fn put_at_backward(
    g: &Tensor,
    written: &Tensor,
    dst: &Arc<[usize]>,
    from: Option<&Arc<[usize]>>,
    src_shape: Option<&[usize]>,
    needs: &[bool],
) -> [Option<Tensor>; 2] {
    let kept = needs[0].then(|| {
        let zero = Tensor::full(&[], 0.0, g.dtype());
        Tensor::where_(written, &zero, g)
    });
    let grad_src = src_shape
        .filter(|_| needs.get(1) == Some(&true))
        .map(|shape| src_grad(g, dst, from, shape));
    [kept, grad_src]
}

/// The values of `index` as indices into a dimension of size `size`: whole
/// numbers in `0..size`.
#[track_caller]
fn whole_indices(op: &'static str, index: &Tensor, size: usize) -> Result<Vec<usize>> {
    let v = index.to_vec::<f64>();
    if let Some(bad) = v.iter().find(|x| !(**x >= 0.0 && x.fract() == 0.0)) {
        return Err(Error::InvalidArgument {
            op,
            shape: index.shape().to_vec(),
            reason: format!("indices must be whole numbers from 0, not {bad}"),
        });
    }
    let idx: Vec<usize> = v.into_iter().map(|x| x as usize).collect();
    check_indices(op, &idx, size)?;
    Ok(idx)
}
