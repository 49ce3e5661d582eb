//! Reductions: sums, means, extrema, products, variances, running sums and
//! products.

use crate::error::Result;
use crate::tensor::dtype::{DType, Storage};
use crate::tensor::grad_mode::{is_grad_enabled, no_grad};
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::kernels::reduce::{
    arg_extreme, arg_sort, cumprod_grad, map_fibres, product, product_of_others, scan, sum_all,
    sum_axis, sum_to, variance,
};
use crate::tensor::op::{GatherKind, Op};
use crate::tensor::saved::SavedInput;
use crate::tensor::shape::{broadcast_shapes, split_at_dim, Dim};
use crate::Error;
use std::sync::Arc;

/// Shape after reducing `dim`.
#[track_caller]
pub(crate) fn reduced_shape(shape: &[usize], dim: usize, keepdim: bool) -> Vec<usize> {
    let mut out = shape.to_vec();
    if keepdim {
        out[dim] = 1;
    } else {
        out.remove(dim);
    }
    out
}

impl Tensor {
    /// Sum of all elements, a rank-0 tensor (`torch.sum`, `SumBackward0`).
    #[track_caller]
    pub fn sum(&self) -> Tensor {
        let s = Storage::full(1, sum_all(&self.data()), self.dtype());
        Tensor::record(s, &[], &[self], |_| Op::Sum)
    }

    /// Mean of all elements, a rank-0 tensor (`torch.mean`, `MeanBackward0`).
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        let m = sum_all(&self.data()) / self.numel() as f64;
        Tensor::record(Storage::full(1, m, self.dtype()), &[], &[self], |_| {
            Op::Mean
        })
    }

    /// Sum over dimension `dim` (`torch.sum(t, dim, keepdim)`, `SumBackward1`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_sum_dim`].
    #[track_caller]
    pub fn sum_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_sum_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::sum_dim`].
    #[track_caller]
    pub fn try_sum_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let dim = dim.resolve("sum_dim", self.ndim())?;
        let (s, out) = self.sum_axis(dim, keepdim);
        Ok(Tensor::record(s, &out, &[self], |_| Op::SumDim {
            dim,
            keepdim,
        }))
    }

    #[track_caller]
    fn sum_axis(&self, dim: usize, keepdim: bool) -> (Storage, Vec<usize>) {
        let (o, n, i) = split_at_dim(self.shape(), dim);
        (
            sum_axis(&self.data(), o, n, i),
            reduced_shape(self.shape(), dim, keepdim),
        )
    }

    /// Mean over dimension `dim` (`torch.mean(t, dim, keepdim)`, `MeanBackward1`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_mean_dim`].
    #[track_caller]
    pub fn mean_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_mean_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::mean_dim`].
    #[track_caller]
    pub fn try_mean_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let dim = dim.resolve("mean_dim", self.ndim())?;
        let (s, out) = self.sum_axis(dim, keepdim);
        let n = self.shape()[dim] as f64;
        Ok(Tensor::record(s.map(|v| v / n), &out, &[self], |_| {
            Op::MeanDim { dim, keepdim }
        }))
    }

    /// Sums broadcast dimensions away so the result has shape `shape`, the
    /// adjoint of [`Tensor::expand`] (`t.sum_to_size(shape)`).
    ///
    /// # Panics
    /// If `shape` does not broadcast to this tensor's shape; see
    /// [`Tensor::try_sum_to`].
    #[track_caller]
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        ok(self.try_sum_to(shape))
    }

    /// Fallible [`Tensor::sum_to`].
    #[track_caller]
    pub fn try_sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        if shape.len() <= self.ndim() && shape.iter().all(|&d| d == 1) {
            // One element, which broadcasts to any shape: a whole sum (the
            // gradient of a scalar parameter, as W1's weight and bias).
            let s = Storage::full(1, sum_all(&self.data()), self.dtype());
            return Ok(Tensor::record(s, shape, &[self], |_| Op::SumTo));
        }
        if *broadcast_shapes("sum_to", shape, self.shape())? != *self.shape() {
            return Err(Error::ShapeMismatch {
                op: "sum_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                reason: "the target shape must broadcast to the tensor's shape".into(),
            });
        }
        let s = sum_to(&self.data(), self.shape(), shape);
        Ok(Tensor::record(s, shape, &[self], |_| Op::SumTo))
    }

    /// Largest elements along `dim` and their indices (`torch.max(t, dim,
    /// keepdim)`, `MaxBackward0`). Indices come as a tensor of this dtype holding
    /// whole numbers; the gradient flows to the selected element.
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_max_dim`].
    #[track_caller]
    pub fn max_dim(&self, dim: impl Dim, keepdim: bool) -> (Tensor, Tensor) {
        ok(self.try_max_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::max_dim`].
    #[track_caller]
    pub fn try_max_dim(&self, dim: impl Dim, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, true)
    }

    /// Smallest elements along `dim` and their indices (`torch.min(t, dim,
    /// keepdim)`, `MinBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_min_dim`].
    #[track_caller]
    pub fn min_dim(&self, dim: impl Dim, keepdim: bool) -> (Tensor, Tensor) {
        ok(self.try_min_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::min_dim`].
    #[track_caller]
    pub fn try_min_dim(&self, dim: impl Dim, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, false)
    }

    /// Indices of the largest elements along `dim` (`torch.argmax`), as whole
    /// numbers in a tensor of this dtype; not differentiable.
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_argmax`].
    #[track_caller]
    pub fn argmax(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_argmax(dim, keepdim))
    }

    /// Fallible [`Tensor::argmax`].
    #[track_caller]
    pub fn try_argmax(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        Ok(no_grad(|| self.extreme_dim(dim, keepdim, true))?.1)
    }

    /// Indices of the smallest elements along `dim` (`torch.argmin`).
    ///
    /// # Panics
    /// If `dim` is out of range or the dimension is empty; see
    /// [`Tensor::try_argmin`].
    #[track_caller]
    pub fn argmin(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_argmin(dim, keepdim))
    }

    /// Fallible [`Tensor::argmin`].
    #[track_caller]
    pub fn try_argmin(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        Ok(no_grad(|| self.extreme_dim(dim, keepdim, false))?.1)
    }

    #[track_caller]
    fn extreme_dim(&self, dim: impl Dim, keepdim: bool, max: bool) -> Result<(Tensor, Tensor)> {
        let name = if max { "max_dim" } else { "min_dim" };
        let dim = dim.resolve(name, self.ndim())?;
        let (outer, n, inner) = split_at_dim(self.shape(), dim);
        if n == 0 {
            return Err(Error::InvalidArgument {
                op: name,
                shape: self.shape().to_vec(),
                reason: format!("dimension {dim} is empty"),
            });
        }
        let index: Arc<[usize]> = arg_extreme(&self.data(), outer, n, inner, max).into();
        let out_shape = reduced_shape(self.shape(), dim, keepdim);
        let geom = GatherGeom {
            outer,
            n_in: n,
            n_out: 1,
            inner,
        };
        let kind = if max {
            GatherKind::Max
        } else {
            GatherKind::Min
        };
        let values = self.gather_geom(kind, geom, &index, &out_shape);
        let idx = Storage::from_f64_iter(index.iter().map(|&i| i as f64), self.dtype());
        Ok((values, Tensor::from_storage(idx, &out_shape)))
    }
}

/// Products, variances and scans: each fibre of the reduced dimension goes
/// through one of the fibre kernels of `kernels::reduce`.
impl Tensor {
    /// The kernel `f` over the fibres of `dim` (all elements for `None`, as
    /// one fibre), writing `m` values per fibre.
    #[track_caller]
    fn fibres(&self, dim: Option<usize>, m: usize, f: impl Fn(&[f64], &mut [f64])) -> Storage {
        let geom = match dim {
            Some(d) => split_at_dim(self.shape(), d),
            None => (1, self.numel(), 1),
        };
        map_fibres(&[&self.data()], geom, m, self.dtype(), |v, out| {
            f(&v[0], out)
        })
    }

    /// Product of all elements, a rank-0 tensor (`torch.prod`, `ProdBackward0`).
    /// The gradient is the product of the other elements, exact where
    /// elements are 0 (no division by the element).
    #[track_caller]
    pub fn prod(&self) -> Tensor {
        let s = self.fibres(None, 1, |v, out| out[0] = product(v));
        Tensor::record(s, &[], &[self], |_| Op::Prod {
            x: SavedInput::new(self, 0),
            dim: None,
            keepdim: false,
        })
    }

    /// Product over dimension `dim` (`torch.prod(t, dim, keepdim)`,
    /// `ProdBackward1`); the gradient is exact where elements are 0.
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_prod_dim`].
    #[track_caller]
    pub fn prod_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_prod_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::prod_dim`].
    #[track_caller]
    pub fn try_prod_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let d = dim.resolve("prod_dim", self.ndim())?;
        let s = self.fibres(Some(d), 1, |v, out| out[0] = product(v));
        let shape = reduced_shape(self.shape(), d, keepdim);
        Ok(Tensor::record(s, &shape, &[self], |_| Op::Prod {
            x: SavedInput::new(self, 0),
            dim: Some(d),
            keepdim,
        }))
    }

    /// Variance of all elements with Bessel's correction (divisor `n - 1`,
    /// `torch.var(t)` with `correction = 1`, `VarBackward0`), a rank-0 tensor;
    /// `NaN` for one element, as PyTorch gives.
    #[track_caller]
    pub fn var(&self) -> Tensor {
        self.spread(None, false, false)
    }

    /// Standard deviation of all elements, the square root of [`Tensor::var`]
    /// (`torch.std(t)`, `StdBackward0`). Its gradient is 0 where it is 0, as
    /// PyTorch's.
    #[track_caller]
    pub fn std(&self) -> Tensor {
        self.spread(None, false, true)
    }

    /// Variance over dimension `dim` with Bessel's correction
    /// (`torch.var(t, dim, keepdim=keepdim)`, `VarBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_var_dim`].
    #[track_caller]
    pub fn var_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_var_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::var_dim`].
    #[track_caller]
    pub fn try_var_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let d = dim.resolve("var_dim", self.ndim())?;
        Ok(self.spread(Some(d), keepdim, false))
    }

    /// Standard deviation over dimension `dim` with Bessel's correction
    /// (`torch.std(t, dim, keepdim=keepdim)`, `StdBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_std_dim`].
    #[track_caller]
    pub fn std_dim(&self, dim: impl Dim, keepdim: bool) -> Tensor {
        ok(self.try_std_dim(dim, keepdim))
    }

    /// Fallible [`Tensor::std_dim`].
    #[track_caller]
    pub fn try_std_dim(&self, dim: impl Dim, keepdim: bool) -> Result<Tensor> {
        let d = dim.resolve("std_dim", self.ndim())?;
        Ok(self.spread(Some(d), keepdim, true))
    }

    #[track_caller]
    fn spread(&self, dim: Option<usize>, keepdim: bool, std: bool) -> Tensor {
        let s = self.fibres(dim, 1, |v, out| {
            let var = variance(v);
            out[0] = if std { var.sqrt() } else { var };
        });
        let shape = match dim {
            Some(d) => reduced_shape(self.shape(), d, keepdim),
            None => vec![],
        };
        Tensor::record(s, &shape, &[self], |_| Op::Var {
            x: SavedInput::new(self, 0),
            dim,
            keepdim,
            std,
        })
    }

    /// Running sums along `dim`: `out[k] = x[0] + .. + x[k]` (`torch.cumsum`,
    /// `CumsumBackward0`).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_cumsum`].
    #[track_caller]
    pub fn cumsum(&self, dim: impl Dim) -> Tensor {
        ok(self.try_cumsum(dim))
    }

    /// Fallible [`Tensor::cumsum`].
    #[track_caller]
    pub fn try_cumsum(&self, dim: impl Dim) -> Result<Tensor> {
        let d = dim.resolve("cumsum", self.ndim())?;
        let s = self.fibres(Some(d), self.shape()[d], |v, out| scan(v, out, false));
        Ok(Tensor::record(s, self.shape(), &[self], |_| Op::Cumsum {
            dim: d,
        }))
    }

    /// Running products along `dim`: `out[k] = x[0] * .. * x[k]`
    /// (`torch.cumprod`, `CumprodBackward0`); the gradient is exact where
    /// elements are 0 (no division by the element).
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_cumprod`].
    #[track_caller]
    pub fn cumprod(&self, dim: impl Dim) -> Tensor {
        ok(self.try_cumprod(dim))
    }

    /// Fallible [`Tensor::cumprod`].
    #[track_caller]
    pub fn try_cumprod(&self, dim: impl Dim) -> Result<Tensor> {
        let d = dim.resolve("cumprod", self.ndim())?;
        let s = self.fibres(Some(d), self.shape()[d], |v, out| scan(v, out, true));
        Ok(Tensor::record(s, self.shape(), &[self], |_| Op::Cumprod {
            x: SavedInput::new(self, 0),
            dim: d,
        }))
    }

    /// The elements sorted along `dim` and the indices they came from
    /// (`torch.sort(t, dim, descending)`, `SortBackward0`): ascending unless
    /// `descending`, NaN counted above every number, equal elements kept in
    /// their order (a stable sort). The indices are whole numbers in a tensor
    /// of this dtype, without grad; the gradient flows back to the elements.
    ///
    /// # Panics
    /// If `dim` is out of range; see [`Tensor::try_sort`].
    #[track_caller]
    pub fn sort(&self, dim: impl Dim, descending: bool) -> (Tensor, Tensor) {
        ok(self.try_sort(dim, descending))
    }

    /// Fallible [`Tensor::sort`].
    #[track_caller]
    pub fn try_sort(&self, dim: impl Dim, descending: bool) -> Result<(Tensor, Tensor)> {
        let d = dim.resolve("sort", self.ndim())?;
        Ok(self.sorted(GatherKind::Sort, d, self.shape()[d], descending))
    }

    /// The `k` largest (`largest`) or smallest elements along `dim` and their
    /// indices (`torch.topk(t, k, dim, largest, sorted)`, `TopkBackward0`),
    /// as [`Tensor::sort`] orders them. They always come sorted: `sorted =
    /// false` leaves the order to the implementation in PyTorch, and this one
    /// sorts. Among equal elements the first ones are taken.
    ///
    /// # Panics
    /// If `dim` is out of range or `k` exceeds the dimension's size; see
    /// [`Tensor::try_topk`].
    #[track_caller]
    pub fn topk(&self, k: usize, dim: impl Dim, largest: bool, sorted: bool) -> (Tensor, Tensor) {
        ok(self.try_topk(k, dim, largest, sorted))
    }

    /// Fallible [`Tensor::topk`].
    #[track_caller]
    pub fn try_topk(
        &self,
        k: usize,
        dim: impl Dim,
        largest: bool,
        _sorted: bool,
    ) -> Result<(Tensor, Tensor)> {
        let d = dim.resolve("topk", self.ndim())?;
        let n = self.shape()[d];
        if k > n {
            return Err(Error::InvalidArgument {
                op: "topk",
                shape: self.shape().to_vec(),
                reason: format!("k = {k} exceeds the size {n} of dimension {d}"),
            });
        }
        Ok(self.sorted(GatherKind::Topk, d, k, largest))
    }

    /// The first `k` elements along `dim` in sorted order, and their indices.
    #[track_caller]
    fn sorted(&self, kind: GatherKind, dim: usize, k: usize, descending: bool) -> (Tensor, Tensor) {
        let (outer, n, inner) = split_at_dim(self.shape(), dim);
        let index: Arc<[usize]> = arg_sort(&self.data(), (outer, n, inner), k, descending).into();
        let mut shape = self.shape().to_vec();
        shape[dim] = k;
        let geom = GatherGeom {
            outer,
            n_in: n,
            n_out: k,
            inner,
        };
        let values = self.gather_geom(kind, geom, &index, &shape);
        let idx = Storage::from_f64_iter(index.iter().map(|&i| i as f64), self.dtype());
        (values, Tensor::from_storage(idx, &shape))
    }

    #[track_caller]
    fn has_zero(&self) -> bool {
        let d = self.data();
        (0..d.len()).any(|i| d.get(i) == 0.0)
    }
}

/// `g` with the reduced dimension `dim` back, so that it broadcasts against the
/// input.
#[track_caller]
fn unreduce(g: &Tensor, dim: usize, keepdim: bool) -> Tensor {
    if keepdim {
        g.clone()
    } else {
        g.unsqueeze(dim)
    }
}

/// `[n, n, 1, ..]` (`rank - dim - 1` ones): `f(i, j)` for the pairs of indices
/// along `dim` of an input of rank `rank`, broadcasting against the input with
/// the pair's axes at `dim` and `dim + 1`.
#[track_caller]
fn pair_mask(
    n: usize,
    dim: usize,
    rank: usize,
    f: impl Fn(usize, usize) -> bool,
    dtype: DType,
) -> Tensor {
    let mut shape = vec![n, n];
    shape.extend(std::iter::repeat_n(1, rank - dim - 1));
    let v = (0..n * n).map(|k| f64::from(u8::from(f(k / n, k % n))));
    Tensor::from_storage(Storage::from_f64_iter(v, dtype), &shape)
}

/// `x` along `dim` repeated along a new axis before it, with the diagonal set
/// to 1: at `[.., i, j, ..]` it holds `x[j]` for `j != i` and 1 for `j == i`,
/// so that a product over the `j` axis (`dim + 1`) leaves element `i` out.
#[track_caller]
fn others_grid(x: &Tensor, dim: usize) -> Tensor {
    let n = x.shape()[dim];
    let mut big = x.shape().to_vec();
    big.insert(dim, n);
    let eye = pair_mask(n, dim, x.ndim(), |i, j| i == j, x.dtype());
    x.unsqueeze(dim).expand(&big).masked_fill(&eye, 1.0)
}

/// Gradient of `prod` (`dim: None`) or `prod_dim`: `g` times the product of
/// the other elements of each fibre. Without a graph, one linear kernel;
/// recorded (for higher derivatives), `g * prod / x` when no element is 0, else
/// the products of the [`others_grid`] (quadratic in the fibre's length).
#[track_caller]
pub(crate) fn prod_backward(g: &Tensor, x: &Tensor, dim: Option<usize>, keepdim: bool) -> Tensor {
    let (xd, gd, d) = match dim {
        Some(d) => (x.clone(), unreduce(g, d, keepdim), d),
        None => (x.reshape(&[x.numel()]), g.reshape(&[1]), 0),
    };
    let grad = if !is_grad_enabled() {
        let n = xd.shape()[d];
        let others = xd.fibres(Some(d), n, product_of_others);
        gd * Tensor::from_storage(others, xd.shape())
    } else if !xd.has_zero() {
        gd * xd.prod_dim(d, true) / &xd
    } else {
        gd * others_grid(&xd, d).prod_dim(d + 1, false)
    };
    grad.reshape(x.shape())
}

/// Gradient of `cumprod`: `dx[i] = sum_{k >= i} g[k] prod_{j <= k, j != i} x[j]`.
/// Without a graph, one linear kernel; recorded, the reversed running sum of
/// `g * cumprod` divided by `x` when no element is 0, else the running products
/// of the [`others_grid`] (quadratic in the fibre's length).
#[track_caller]
pub(crate) fn cumprod_backward(g: &Tensor, x: &Tensor, dim: usize) -> Tensor {
    if !is_grad_enabled() {
        let geom = split_at_dim(x.shape(), dim);
        let dtype = g.dtype().promote(x.dtype());
        let s = Tensor::read2(x, g, |xs, gs| {
            map_fibres(&[xs, gs], geom, geom.1, dtype, |v, out| {
                cumprod_grad(&v[0], &v[1], out)
            })
        });
        return Tensor::from_storage(s, x.shape());
    }
    if !x.has_zero() {
        let flip = [dim];
        return (g * x.cumprod(dim)).flip(&flip).cumsum(dim).flip(&flip) / x;
    }
    let n = x.shape()[dim];
    let upper = pair_mask(n, dim, x.ndim(), |i, k| k >= i, x.dtype());
    (others_grid(x, dim).cumprod(dim + 1) * g.unsqueeze(dim) * upper).sum_dim(dim + 1, false)
}

/// Gradient of `var`/`std` (`dim: None` for all elements): `g 2 (x - mean) /
/// (n - 1)`, and for `std` first `g / (2 std)`, 0 where `std` is 0 (PyTorch's).
/// In tensor ops; `std` and the mean are recomputed from `x`, so that the
/// recorded gradient is differentiable again.
#[track_caller]
pub(crate) fn var_backward(
    g: &Tensor,
    x: &Tensor,
    dim: Option<usize>,
    keepdim: bool,
    std: bool,
) -> Tensor {
    let (g, n) = match dim {
        Some(d) => (unreduce(g, d, keepdim), x.shape()[d]),
        None => (g.clone(), x.numel()),
    };
    let g = if std {
        let s = match dim {
            Some(d) => x.std_dim(d, true),
            None => x.std(),
        };
        let zero = Tensor::full(&[], 0.0, g.dtype());
        Tensor::where_(&s.eq_scalar(0.0), &zero, &(g / (s * 2.0)))
    } else {
        g
    };
    let mean = match dim {
        Some(d) => x.mean_dim(d, true),
        None => x.mean(),
    };
    g * (x - mean) * (2.0 / (n as f64 - 1.0))
}
