//! Ops that rearrange elements: views, permutations, slicing, joining, gathering.

use crate::error::Result;
use crate::tensor::dtype::Storage;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::kernels::{elementwise, layout};
use crate::tensor::op::{GatherKind, Op, PermuteKind, ViewKind};
use crate::tensor::shape::{broadcast_shapes, numel, split_at_dim, Dim, Shape};
use crate::Error;
use std::sync::Arc;

impl Tensor {
    /// The same data under another shape, sharing the buffer like a PyTorch view.
    #[track_caller]
    fn view_as(&self, shape: &[usize], kind: ViewKind) -> Tensor {
        if shape == self.shape() && kind == ViewKind::Reshape {
            return self.clone();
        }
        self.inner
            .buffer
            .viewed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Tensor::record_buffer(self.inner.buffer.clone(), shape, &[self], |_| Op::View {
            kind,
        })
    }

    /// The same elements in row-major order under `shape` (`t.reshape(shape)`,
    /// `ViewBackward0`). Shares the data, as a PyTorch view does.
    ///
    /// # Panics
    /// If the number of elements differs; see [`Tensor::try_reshape`].
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        ok(self.try_reshape(shape))
    }

    /// Fallible [`Tensor::reshape`].
    #[track_caller]
    pub fn try_reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if numel(shape) != self.numel() {
            return Err(Error::InvalidArgument {
                op: "reshape",
                shape: self.shape().to_vec(),
                reason: format!(
                    "shape {shape:?} holds {} elements, not {}",
                    numel(shape),
                    self.numel()
                ),
            });
        }
        Ok(self.view_as(shape, ViewKind::Reshape))
    }

    /// [`Tensor::reshape`] where one dimension may be `-1`, inferred from the
    /// number of elements (`t.view(-1, n)`, `ViewBackward0`).
    ///
    /// # Panics
    /// If the shape is invalid or does not hold the elements; see
    /// [`Tensor::try_view`].
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Tensor {
        ok(self.try_view(shape))
    }

    /// Fallible [`Tensor::view`].
    #[track_caller]
    pub fn try_view(&self, shape: &[isize]) -> Result<Tensor> {
        let bad = |reason: String| Error::InvalidArgument {
            op: "view",
            shape: self.shape().to_vec(),
            reason,
        };
        let inferred: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == -1).collect();
        if inferred.len() > 1 || shape.iter().any(|&d| d < -1) {
            return Err(bad(format!(
                "{shape:?} may hold one -1 and no other negative size"
            )));
        }
        let known: usize = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .product();
        let mut dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
        if let Some(&i) = inferred.first() {
            if known == 0 || !self.numel().is_multiple_of(known) {
                return Err(bad(format!(
                    "{shape:?} cannot hold {} elements",
                    self.numel()
                )));
            }
            dims[i] = self.numel() / known;
        }
        self.try_reshape(&dims)
    }

    /// All elements in one dimension (`t.flatten()`).
    #[track_caller]
    pub fn flatten(&self) -> Tensor {
        self.view_as(&[self.numel()], ViewKind::Reshape)
    }

    /// Removes dimension `dim` if it has size 1, else returns the tensor unchanged
    /// (`t.squeeze(dim)`, `SqueezeBackward1`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_squeeze`].
    #[track_caller]
    pub fn squeeze(&self, dim: impl Dim) -> Tensor {
        ok(self.try_squeeze(dim))
    }

    /// Fallible [`Tensor::squeeze`].
    #[track_caller]
    pub fn try_squeeze(&self, dim: impl Dim) -> Result<Tensor> {
        let d = dim.resolve("squeeze", self.ndim())?;
        if self.shape()[d] != 1 {
            return Ok(self.clone());
        }
        let mut shape = self.shape().to_vec();
        shape.remove(d);
        Ok(self.view_as(&shape, ViewKind::Squeeze))
    }

    /// Removes every dimension of size 1 (`t.squeeze()`, `SqueezeBackward0`).
    #[track_caller]
    pub fn squeeze_all(&self) -> Tensor {
        let shape: Vec<usize> = self.shape().iter().copied().filter(|&d| d != 1).collect();
        self.view_as(&shape, ViewKind::SqueezeAll)
    }

    /// Inserts a dimension of size 1 at `dim`, which may equal the rank
    /// (`t.unsqueeze(dim)`, `UnsqueezeBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_unsqueeze`].
    #[track_caller]
    pub fn unsqueeze(&self, dim: impl Dim) -> Tensor {
        ok(self.try_unsqueeze(dim))
    }

    /// Fallible [`Tensor::unsqueeze`].
    #[track_caller]
    pub fn try_unsqueeze(&self, dim: impl Dim) -> Result<Tensor> {
        let d = dim.resolve("unsqueeze", self.ndim() + 1)?;
        let mut shape = self.shape().to_vec();
        shape.insert(d, 1);
        Ok(self.view_as(&shape, ViewKind::Unsqueeze))
    }

    /// Reorders the dimensions: output dimension `k` is input dimension `dims[k]`
    /// (`t.permute(dims)`, `PermuteBackward0`).
    ///
    /// # Panics
    /// If `dims` is not a permutation of `0..rank`; see [`Tensor::try_permute`].
    #[track_caller]
    pub fn permute(&self, dims: &[usize]) -> Tensor {
        ok(self.try_permute(dims))
    }

    /// Fallible [`Tensor::permute`].
    #[track_caller]
    pub fn try_permute(&self, dims: &[usize]) -> Result<Tensor> {
        self.permute_as(dims.to_vec(), PermuteKind::Permute)
    }

    #[track_caller]
    fn permute_as(&self, perm: Vec<usize>, kind: PermuteKind) -> Result<Tensor> {
        let mut seen = vec![false; self.ndim()];
        let valid = perm.len() == self.ndim()
            && perm
                .iter()
                .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
        if !valid {
            return Err(Error::InvalidArgument {
                op: "permute",
                shape: self.shape().to_vec(),
                reason: format!("{perm:?} is not a permutation of the dimensions"),
            });
        }
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape()[p]).collect();
        let s = layout::permute(&self.data(), self.shape(), &perm);
        Ok(Tensor::record(s, &shape, &[self], |_| Op::Permute {
            kind,
            perm,
        }))
    }

    /// Swaps two dimensions (`t.transpose(d0, d1)`, `TransposeBackward0`).
    ///
    /// # Panics
    /// If a dimension is out of range; see [`Tensor::try_transpose`].
    #[track_caller]
    pub fn transpose(&self, d0: impl Dim, d1: impl Dim) -> Tensor {
        ok(self.try_transpose(d0, d1))
    }

    /// Fallible [`Tensor::transpose`].
    #[track_caller]
    pub fn try_transpose(&self, d0: impl Dim, d1: impl Dim) -> Result<Tensor> {
        let (a, b) = (
            d0.resolve("transpose", self.ndim())?,
            d1.resolve("transpose", self.ndim())?,
        );
        let mut perm: Vec<usize> = (0..self.ndim()).collect();
        perm.swap(a, b);
        self.permute_as(perm, PermuteKind::Transpose)
    }

    /// Matrix transpose of a tensor of rank at most 2; rank 0 and 1 are returned
    /// unchanged (`t.t()`, `TBackward0`).
    ///
    /// # Panics
    /// If the rank exceeds 2; see [`Tensor::try_t`].
    #[track_caller]
    pub fn t(&self) -> Tensor {
        ok(self.try_t())
    }

    /// Fallible [`Tensor::t`].
    #[track_caller]
    pub fn try_t(&self) -> Result<Tensor> {
        match self.ndim() {
            0 | 1 => Ok(self.clone()),
            2 => self.permute_as(vec![1, 0], PermuteKind::T),
            _ => Err(Error::InvalidArgument {
                op: "t",
                shape: self.shape().to_vec(),
                reason: "t() expects a tensor of rank at most 2; use transpose(d0, d1)".into(),
            }),
        }
    }

    /// Copies the tensor broadcast to `shape` (`t.expand(shape)`,
    /// `ExpandBackward0`).
    ///
    /// # Panics
    /// If the tensor does not broadcast to `shape`; see [`Tensor::try_expand`].
    #[track_caller]
    pub fn expand(&self, shape: &[usize]) -> Tensor {
        ok(self.try_expand(shape))
    }

    /// Fallible [`Tensor::expand`].
    #[track_caller]
    pub fn try_expand(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        if *broadcast_shapes("expand", self.shape(), shape)? != *shape {
            return Err(Error::ShapeMismatch {
                op: "expand",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                reason: "the tensor must broadcast to the target shape".into(),
            });
        }
        let s = elementwise::expand(&self.data(), self.shape(), shape);
        Ok(Tensor::record(s, shape, &[self], |_| Op::Expand))
    }

    /// Elements `start..start + len` along `dim` (`t.narrow(dim, start, len)`,
    /// `SliceBackward0`).
    ///
    /// # Panics
    /// If the range exceeds the dimension; see [`Tensor::try_narrow`].
    #[track_caller]
    pub fn narrow(&self, dim: impl Dim, start: usize, len: usize) -> Tensor {
        ok(self.try_narrow(dim, start, len))
    }

    /// Fallible [`Tensor::narrow`].
    #[track_caller]
    pub fn try_narrow(&self, dim: impl Dim, start: usize, len: usize) -> Result<Tensor> {
        let dim = dim.resolve("narrow", self.ndim())?;
        let size = self.shape()[dim];
        if start + len > size {
            return Err(Error::IndexOutOfRange {
                op: "narrow",
                index: start + len,
                size,
            });
        }
        Ok(self.slice(dim, start, len, false))
    }

    /// Elements `start..start + len` along `dim`, in range; `split` records
    /// the piece as one output of a split (`SplitBackward0`).
    #[track_caller]
    fn slice(&self, dim: usize, start: usize, len: usize, split: bool) -> Tensor {
        let mut shape = self.shape().to_vec();
        shape[dim] = len;
        let s = layout::narrow(&self.data(), split_at_dim(self.shape(), dim), start, len);
        Tensor::record(s, &shape, &[self], |_| Op::Narrow { dim, start, split })
    }

    /// Pieces of `size` elements along `dim`, the last one shorter if `size`
    /// does not divide the dimension (`torch.split(t, size, dim)`; each piece
    /// records `SplitBackward0`, a node of its own where PyTorch has one node
    /// with several outputs). A dimension of size 0 gives one empty piece.
    ///
    /// # Panics
    /// If `dim` is out of range or `size` is 0 for a non-empty dimension; see
    /// [`Tensor::try_split`].
    #[track_caller]
    pub fn split(&self, size: usize, dim: impl Dim) -> Vec<Tensor> {
        ok(self.try_split(size, dim))
    }

    /// Fallible [`Tensor::split`].
    #[track_caller]
    pub fn try_split(&self, size: usize, dim: impl Dim) -> Result<Vec<Tensor>> {
        let d = dim.resolve("split", self.ndim())?;
        let n = self.shape()[d];
        if size == 0 && n > 0 {
            return Err(Error::InvalidArgument {
                op: "split",
                shape: self.shape().to_vec(),
                reason: format!("pieces of size 0 cannot split dimension {d} of size {n}"),
            });
        }
        if n == 0 {
            return Ok(vec![self.slice(d, 0, 0, true)]);
        }
        Ok((0..n)
            .step_by(size)
            .map(|start| self.slice(d, start, size.min(n - start), true))
            .collect())
    }

    /// At most `chunks` pieces along `dim`, each of `ceil(size / chunks)`
    /// elements but the last (`torch.chunk(t, chunks, dim)`, pieces recorded as
    /// `SplitBackward0`); fewer pieces when that size leaves some empty (5 in 4
    /// chunks gives 2, 2, 1), and `chunks` empty pieces of an empty dimension,
    /// as PyTorch.
    ///
    /// # Panics
    /// If `dim` is out of range or `chunks` is 0; see [`Tensor::try_chunk`].
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: impl Dim) -> Vec<Tensor> {
        ok(self.try_chunk(chunks, dim))
    }

    /// Fallible [`Tensor::chunk`].
    #[track_caller]
    pub fn try_chunk(&self, chunks: usize, dim: impl Dim) -> Result<Vec<Tensor>> {
        let d = dim.resolve("chunk", self.ndim())?;
        if chunks == 0 {
            return Err(Error::InvalidArgument {
                op: "chunk",
                shape: self.shape().to_vec(),
                reason: "the number of chunks must be at least 1".into(),
            });
        }
        let n = self.shape()[d];
        if n == 0 {
            return Ok((0..chunks).map(|_| self.slice(d, 0, 0, true)).collect());
        }
        self.try_split(n.div_ceil(chunks), d)
    }

    /// The tensor tiled `repeats[k]` times along dimension `k`; with more
    /// counts than dimensions, the tensor first gains leading dimensions of
    /// size 1 (`t.repeat(repeats)`, `RepeatBackward0`).
    ///
    /// # Panics
    /// If there are fewer counts than dimensions; see [`Tensor::try_repeat`].
    #[track_caller]
    pub fn repeat(&self, repeats: &[usize]) -> Tensor {
        ok(self.try_repeat(repeats))
    }

    /// Fallible [`Tensor::repeat`].
    #[track_caller]
    pub fn try_repeat(&self, repeats: &[usize]) -> Result<Tensor> {
        if repeats.len() < self.ndim() {
            return Err(Error::InvalidArgument {
                op: "repeat",
                shape: self.shape().to_vec(),
                reason: format!(
                    "{repeats:?} gives fewer counts than the tensor's {} dimensions",
                    self.ndim()
                ),
            });
        }
        let (tile, tiled, shape) = repeat_shapes(self.shape(), repeats);
        let s = elementwise::expand(&self.data(), &tile, &tiled);
        Ok(Tensor::record(s, &shape, &[self], |_| Op::Repeat {
            repeats: repeats.to_vec(),
        }))
    }

    /// The elements in reverse order along each dimension of `dims`
    /// (`torch.flip(t, dims)`, `FlipBackward0`).
    ///
    /// # Panics
    /// If a dimension is out of range or given twice; see [`Tensor::try_flip`].
    #[track_caller]
    pub fn flip(&self, dims: &[usize]) -> Tensor {
        ok(self.try_flip(dims))
    }

    /// Fallible [`Tensor::flip`].
    #[track_caller]
    pub fn try_flip(&self, dims: &[usize]) -> Result<Tensor> {
        let mut flip = vec![false; self.ndim()];
        for &d in dims {
            let d = d.resolve("flip", self.ndim())?;
            if std::mem::replace(&mut flip[d], true) {
                return Err(Error::InvalidArgument {
                    op: "flip",
                    shape: self.shape().to_vec(),
                    reason: format!("dimension {d} appears more than once in {dims:?}"),
                });
            }
        }
        let s = layout::flip(&self.data(), self.shape(), &flip);
        let dims = (0..self.ndim()).filter(|&d| flip[d]).collect();
        Ok(Tensor::record(s, self.shape(), &[self], |_| Op::Flip {
            dims,
        }))
    }

    /// `value` where `mask` is non-zero, else this tensor's element; `mask`
    /// broadcasts to this tensor's shape (`t.masked_fill(mask, value)`,
    /// `MaskedFillBackward0`). The gradient is 0 at the filled elements.
    ///
    /// # Panics
    /// If the mask does not broadcast to the tensor's shape; see
    /// [`Tensor::try_masked_fill`].
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Tensor {
        ok(self.try_masked_fill(mask, value))
    }

    /// Fallible [`Tensor::masked_fill`].
    #[track_caller]
    pub fn try_masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor> {
        let shape = broadcast_shapes("masked_fill", mask.shape(), self.shape())?;
        if *shape != *self.shape() {
            return Err(Error::ShapeMismatch {
                op: "masked_fill",
                lhs: self.shape().to_vec(),
                rhs: mask.shape().to_vec(),
                reason: "the mask must broadcast to the tensor's shape".into(),
            });
        }
        let fill = Storage::full(1, value, self.dtype());
        let s = Tensor::read2(mask, self, |m, x| {
            elementwise::select(
                (m, mask.shape()),
                (&fill, &[]),
                (x, self.shape()),
                self.shape(),
            )
        });
        Ok(Tensor::record(s, self.shape(), &[self], |_| {
            Op::MaskedFill {
                mask: mask.ne_scalar(0.0),
            }
        }))
    }

    /// Concatenates tensors along `dim` (`torch.cat`, `CatBackward0`).
    ///
    /// # Panics
    /// If the list is empty or the other dimensions differ; see
    /// [`Tensor::try_cat`].
    #[track_caller]
    pub fn cat(tensors: &[Tensor], dim: impl Dim) -> Tensor {
        ok(Tensor::try_cat(tensors, dim))
    }

    /// Fallible [`Tensor::cat`].
    #[track_caller]
    pub fn try_cat(tensors: &[Tensor], dim: impl Dim) -> Result<Tensor> {
        let first = tensors.first().ok_or(Error::Empty { op: "cat" })?;
        let dim = dim.resolve("cat", first.ndim())?;
        for t in tensors {
            let same_rank = t.ndim() == first.ndim();
            if !same_rank || (0..t.ndim()).any(|d| d != dim && t.shape()[d] != first.shape()[d]) {
                return Err(Error::ShapeMismatch {
                    op: "cat",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                    reason: format!("all dimensions but {dim} must agree"),
                });
            }
        }
        let sizes: Vec<usize> = tensors.iter().map(|t| t.shape()[dim]).collect();
        let mut shape = first.shape().to_vec();
        shape[dim] = sizes.iter().sum();
        let (outer, _, inner) = split_at_dim(first.shape(), dim);
        let s = join(tensors, &sizes, outer, inner);
        let inputs: Vec<&Tensor> = tensors.iter().collect();
        Ok(Tensor::record(s, &shape, &inputs, |_| Op::Cat {
            dim,
            sizes,
        }))
    }

    /// Stacks tensors of one shape along a new dimension `dim` (`torch.stack`,
    /// `StackBackward0`).
    ///
    /// # Panics
    /// If the list is empty or the shapes differ; see [`Tensor::try_stack`].
    #[track_caller]
    pub fn stack(tensors: &[Tensor], dim: impl Dim) -> Tensor {
        ok(Tensor::try_stack(tensors, dim))
    }

    /// Fallible [`Tensor::stack`].
    #[track_caller]
    pub fn try_stack(tensors: &[Tensor], dim: impl Dim) -> Result<Tensor> {
        let first = tensors.first().ok_or(Error::Empty { op: "stack" })?;
        let dim = dim.resolve("stack", first.ndim() + 1)?;
        if let Some(t) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::ShapeMismatch {
                op: "stack",
                lhs: first.shape().to_vec(),
                rhs: t.shape().to_vec(),
                reason: "all tensors must have the same shape".into(),
            });
        }
        let mut shape = first.shape().to_vec();
        shape.insert(dim, tensors.len());
        let outer = numel(&first.shape()[..dim]);
        let inner = numel(&first.shape()[dim..]);
        let s = join(tensors, &vec![1; tensors.len()], outer, inner);
        let inputs: Vec<&Tensor> = tensors.iter().collect();
        let shapes = tensors.iter().map(|t| Shape::new(t.shape())).collect();
        Ok(Tensor::record(s, &shape, &inputs, |_| Op::Stack {
            dim,
            shapes,
        }))
    }

    /// The slices at `indices` along `dim`, in that order (`t.index_select(dim,
    /// indices)`, `IndexSelectBackward0`); repeated indices accumulate gradients.
    ///
    /// # Panics
    /// If an index is out of range; see [`Tensor::try_index_select`].
    #[track_caller]
    pub fn index_select(&self, dim: impl Dim, indices: &[usize]) -> Tensor {
        ok(self.try_index_select(dim, indices))
    }

    /// Fallible [`Tensor::index_select`].
    #[track_caller]
    pub fn try_index_select(&self, dim: impl Dim, indices: &[usize]) -> Result<Tensor> {
        let dim = dim.resolve("index_select", self.ndim())?;
        let (outer, n, inner) = split_at_dim(self.shape(), dim);
        check_indices("index_select", indices, n)?;
        let k = indices.len();
        let index: Arc<[usize]> = (0..outer * k * inner)
            .map(|f| indices[(f / inner) % k])
            .collect();
        let mut shape = self.shape().to_vec();
        shape[dim] = k;
        let geom = GatherGeom {
            outer,
            n_in: n,
            n_out: k,
            inner,
        };
        Ok(self.gather_geom(GatherKind::IndexSelect, geom, &index, &shape))
    }

    /// `out[.., j, ..] = self[.., index[.., j, ..], ..]` along `dim`, where
    /// `index` (whole numbers) has this tensor's shape except along `dim`
    /// (`torch.gather`, `GatherBackward0`).
    ///
    /// # Panics
    /// If the shapes or indices do not fit; see [`Tensor::try_gather`].
    #[track_caller]
    pub fn gather(&self, dim: impl Dim, index: &Tensor) -> Tensor {
        ok(self.try_gather(dim, index))
    }

    /// Fallible [`Tensor::gather`].
    #[track_caller]
    pub fn try_gather(&self, dim: impl Dim, index: &Tensor) -> Result<Tensor> {
        let dim = dim.resolve("gather", self.ndim())?;
        let fits = index.ndim() == self.ndim()
            && (0..self.ndim()).all(|d| d == dim || index.shape()[d] == self.shape()[d]);
        if !fits {
            return Err(Error::ShapeMismatch {
                op: "gather",
                lhs: self.shape().to_vec(),
                rhs: index.shape().to_vec(),
                reason: format!(
                    "the index must have the input's shape except along dimension {dim}"
                ),
            });
        }
        let (outer, n, inner) = split_at_dim(self.shape(), dim);
        let idx: Vec<usize> = index
            .to_vec::<f64>()
            .into_iter()
            .map(|v| v as usize)
            .collect();
        check_indices("gather", &idx, n)?;
        let geom = GatherGeom {
            outer,
            n_in: n,
            n_out: index.shape()[dim],
            inner,
        };
        Ok(self.gather_geom(GatherKind::Gather, geom, &idx.into(), index.shape()))
    }

    #[track_caller]
    pub(crate) fn gather_geom(
        &self,
        kind: GatherKind,
        geom: GatherGeom,
        index: &Arc<[usize]>,
        out_shape: &[usize],
    ) -> Tensor {
        let s = layout::gather(&self.data(), geom, index);
        Tensor::record(s, out_shape, &[self], |_| Op::Gather {
            kind,
            geom,
            index: index.clone(),
        })
    }

    /// The adjoint of [`Tensor::gather_geom`] (`ScatterAddBackward0`).
    #[track_caller]
    pub(crate) fn scatter_add_geom(
        &self,
        geom: GatherGeom,
        index: &Arc<[usize]>,
        out_shape: &[usize],
        unique: bool,
    ) -> Tensor {
        let s = layout::scatter_add(&self.data(), geom, index, unique);
        Tensor::record(s, out_shape, &[self], |_| Op::ScatterAdd {
            geom,
            index: index.clone(),
        })
    }
}

/// The shapes behind `repeat`: the input as `[1, s0, 1, s1, ..]` (leading
/// dimensions of size 1 added to match `repeats`), the same expanded to
/// `[r0, s0, r1, s1, ..]` (row-major, the tiled data), and the output
/// `[r0 s0, r1 s1, ..]`.
#[track_caller]
pub(crate) fn repeat_shapes(
    shape: &[usize],
    repeats: &[usize],
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let pad = repeats.len() - shape.len();
    let dims = (0..repeats.len()).map(|k| if k < pad { 1 } else { shape[k - pad] });
    let (mut tile, mut tiled, mut out) = (vec![], vec![], vec![]);
    for (d, &r) in dims.zip(repeats) {
        tile.extend([1, d]);
        tiled.extend([r, d]);
        out.push(r * d);
    }
    (tile, tiled, out)
}

/// Gradient of `repeat`: the tiles summed.
#[track_caller]
pub(crate) fn repeat_backward(g: &Tensor, repeats: &[usize], shape: &[usize]) -> Tensor {
    let (tile, tiled, _) = repeat_shapes(shape, repeats);
    g.reshape(&tiled).sum_to(&tile).reshape(shape)
}

#[track_caller]
pub(crate) fn check_indices(op: &'static str, indices: &[usize], size: usize) -> Result<()> {
    match indices.iter().find(|&&i| i >= size) {
        Some(&index) => Err(Error::IndexOutOfRange { op, index, size }),
        None => Ok(()),
    }
}

#[track_caller]
fn join(tensors: &[Tensor], sizes: &[usize], outer: usize, inner: usize) -> Storage {
    let refs: Vec<&Tensor> = tensors.iter().collect();
    Tensor::read_many(&refs, |data| {
        let parts: Vec<(&Storage, usize)> =
            data.iter().copied().zip(sizes.iter().copied()).collect();
        layout::cat(&parts, outer, inner)
    })
}

/// Gradient of `narrow`: `g` placed between zeros, as a `cat` so that it is
/// differentiable in turn.
#[track_caller]
pub(crate) fn narrow_backward(g: &Tensor, dim: usize, start: usize, shape: &[usize]) -> Tensor {
    let len = g.shape()[dim];
    let zeros = |n: usize| {
        let mut s = shape.to_vec();
        s[dim] = n;
        Tensor::full(&s, 0.0, g.dtype())
    };
    let after = shape[dim] - start - len;
    let parts: Vec<Tensor> = [
        (start > 0).then(|| zeros(start)),
        Some(g.clone()),
        (after > 0).then(|| zeros(after)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Tensor::cat(&parts, dim)
}

/// Gradients of `cat`: the matching slices of `g`.
#[track_caller]
pub(crate) fn cat_backward(
    g: &Tensor,
    dim: usize,
    sizes: &[usize],
    needs: &[bool],
) -> Vec<Option<Tensor>> {
    let mut start = 0;
    sizes
        .iter()
        .zip(needs)
        .map(|(&n, &need)| {
            let piece = need.then(|| g.narrow(dim, start, n));
            start += n;
            piece
        })
        .collect()
}
