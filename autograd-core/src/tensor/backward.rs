//! The derivatives of the recorded ops: [`Op::backward`] in tensor ops (recorded
//! in turn under `create_graph`, which is all grad-of-grad needs), and
//! [`Op::backward_scalar`] for one-element gradients carried as values. Both are
//! exhaustive over [`Op`]. The element-wise ops call the derivative of their
//! static rule (`crate::rules`), so each is written once for both engines.

use super::dtype::{Element, Storage};
use super::grad_mode::is_grad_enabled;
use super::graph::Edge;
use super::handle::{Buffer, BufferRef, Tensor, TensorInner};
use super::kernels::elementwise::zip_slices;
use super::op::{GatherKind, Op, ScalarKind};
use super::saved::SavedOut;
use super::scalar::ScalarGrad;
use super::shape::{numel, same_shape};
use crate::error::Result;
use crate::rules::{self, ScalarFn, ScalarFn2};
use std::sync::Arc;

impl Op {
    /// The gradients of the op's inputs given the gradient `g` of its output;
    /// `needs[i]` tells whether input `i` wants one (others may be `None`).
    pub fn backward(&self, g: Tensor, node: &Arc<TensorInner>, needs: &[bool]) -> Result<Grads> {
        use Op::*;
        let n = &**node;
        // Ops that pass `g` on take it by value: the last use moves it.
        match self {
            Add => {
                let (lhs, rhs) = input_shapes(n);
                return Ok(split(g, needs, |g| fit(g, lhs), |g| fit(g, rhs)));
            }
            Sub => {
                let (lhs, rhs) = input_shapes(n);
                return Ok(split(g, needs, |g| fit(g, lhs), |g| fit(-g, rhs)));
            }
            Scalar {
                kind: ScalarKind::Add | ScalarKind::Sub,
                ..
            }
            | Clone => return Ok(Grads::Inline([Some(g), None], 1)),
            _ => {}
        }
        let g = &g;
        let two = |a: &dyn Fn() -> Tensor, b: &dyn Fn() -> Tensor| {
            Grads::Inline([needs[0].then(a), needs[1].then(b)], 2)
        };
        let one = |t: Tensor| Grads::Inline([Some(t), None], 1);
        Ok(match self {
            Add | Sub => unreachable!("handled above"),
            Mul { lhs, rhs } => {
                let (a, b) = (lhs.get(n)?, rhs.get(n)?);
                let (a, b) = (&*a, &*b);
                two(&|| prod_fit(g, b, a.shape()), &|| prod_fit(g, a, b.shape()))
            }
            Div { lhs, rhs } => {
                let (a, b) = (lhs.get(n)?, rhs.get(n)?);
                let (a, b) = (&*a, &*b);
                two(&|| fit(g / b, a.shape()), &|| {
                    fit(-(g * a) / (b * b), b.shape())
                })
            }
            Neg => one(-g),
            Scalar { kind, s } => one(match kind {
                ScalarKind::Add | ScalarKind::Sub => g.clone(),
                ScalarKind::RSub => -g,
                ScalarKind::Mul => g * *s,
                ScalarKind::Div => g / *s,
            }),
            RDiv { x, s } => {
                let s = *s;
                one(chain(g, &*x.get(n)?, rdiv_d(s), |x| x.pow(-2.0) * -s))
            }
            Pow { x, exponent } => one(pow_backward(g, &*x.get(n)?, *exponent)),
            // Each arm: the rule's derivative (one formula for both engines), then
            // the same derivative in tensor ops, recorded under `create_graph`.
            Exp { out } => one(chain_out(g, out, node, d::<rules::Exp>, Tensor::clone)?),
            Ln { x } => one(chain(g, &*x.get(n)?, d::<rules::Ln>, Tensor::recip)),
            Tanh { out } => one(chain_out(g, out, node, d::<rules::Tanh>, |y| 1.0 - y * y)?),
            Sigmoid { out } => one(chain_out(g, out, node, d::<rules::Sigmoid>, |y| {
                y * (1.0 - y)
            })?),
            Relu { out } => one(chain_out(g, out, node, d::<rules::Relu>, |y| {
                y.gt_scalar(0.0)
            })?),
            Sin { x } => one(chain(g, &*x.get(n)?, d::<rules::Sin>, Tensor::cos)),
            Cos { x } => one(chain(g, &*x.get(n)?, d::<rules::Cos>, |x| -x.sin())),
            Sqrt { out } => one(chain_out(g, out, node, d::<rules::Sqrt>, |y| 0.5 / y)?),
            Abs { x } => one(chain(g, &*x.get(n)?, d::<rules::Abs>, Tensor::sign)),
            Clamp { x, min, max } => {
                let (lo, hi) = (*min, *max);
                one(chain(g, &*x.get(n)?, clamp_d(lo, hi), |x| {
                    x.ge_scalar(lo) * x.le_scalar(hi)
                }))
            }
            Tan { out } => one(chain_out(g, out, node, d::<rules::Tan>, |y| 1.0 + y * y)?),
            Asin { x } => one(chain(g, &*x.get(n)?, d::<rules::Asin>, |x| {
                (1.0 - x * x).pow(-0.5)
            })),
            Acos { x } => one(chain(g, &*x.get(n)?, d::<rules::Acos>, |x| {
                -(1.0 - x * x).pow(-0.5)
            })),
            Atan { x } => one(chain(g, &*x.get(n)?, d::<rules::Atan>, |x| {
                (1.0 + x * x).recip()
            })),
            Atan2 { lhs, rhs } => atan2_backward(g, &*lhs.get(n)?, &*rhs.get(n)?, needs),
            Log1p { x } => one(chain(g, &*x.get(n)?, d::<rules::Ln1p>, |x| {
                (1.0 + x).recip()
            })),
            Expm1 { out } => one(chain_out(g, out, node, d::<rules::ExpM1>, |y| y + 1.0)?),
            // PyTorch's `zeros_like(grad)`: a zero even where `g` is not finite.
            Rounding { .. } => one(g.zeros_like()),
            Clone => unreachable!("handled above"),
            ToDtype { from } => one(g.to_dtype(*from)),
            Sum => one(g.expand(input_shape(n))),
            // PyTorch's formula, `g.expand(shape) / n`, recorded under
            // `create_graph`; otherwise the same values with the division on
            // the gradient before it is expanded (one tensor less).
            Mean if is_grad_enabled() => {
                one(g.expand(input_shape(n)) / numel(input_shape(n)) as f64)
            }
            Mean => one((g / numel(input_shape(n)) as f64).expand(input_shape(n))),
            SumDim { dim, keepdim } => one(keep_dim(g, *dim, *keepdim).expand(input_shape(n))),
            MeanDim { dim, keepdim } => {
                let shape = input_shape(n);
                let k = shape[*dim] as f64;
                one(match is_grad_enabled() {
                    true => keep_dim(g, *dim, *keepdim).expand(shape) / k,
                    false => keep_dim(&(g / k), *dim, *keepdim).expand(shape),
                })
            }
            Prod { x, dim, keepdim } => one(super::ops::reduce::prod_backward(
                g,
                &*x.get(n)?,
                *dim,
                *keepdim,
            )),
            Var {
                x,
                dim,
                keepdim,
                std,
            } => one(super::ops::reduce::var_backward(
                g,
                &*x.get(n)?,
                *dim,
                *keepdim,
                *std,
            )),
            Cumsum { dim } => {
                let flip = [*dim];
                one(g.flip(&flip).cumsum(*dim).flip(&flip))
            }
            Cumprod { x, dim } => one(super::ops::reduce::cumprod_backward(g, &*x.get(n)?, *dim)),
            Flip { dims } => one(g.flip(dims)),
            MaskedFill { mask } => {
                let zero = Tensor::full(&[], 0.0, g.dtype());
                one(Tensor::where_(mask, &zero, g))
            }
            SumTo => one(g.expand(input_shape(n))),
            Expand => one(g.sum_to(input_shape(n))),
            View { .. } => one(g.reshape(input_shape(n))),
            Permute { perm, .. } => one(g.permute(&invert(perm))),
            Repeat { repeats } => one(super::ops::layout::repeat_backward(
                g,
                repeats,
                input_shape(n),
            )),
            Narrow { dim, start, .. } => one(super::ops::layout::narrow_backward(
                g,
                *dim,
                *start,
                input_shape(n),
            )),
            Cat { dim, sizes } => super::ops::layout::cat_backward(g, *dim, sizes, needs).into(),
            Stack { dim, shapes } => (0..shapes.len())
                .map(|i| needs[i].then(|| g.narrow(*dim, i, 1).reshape(&shapes[i])))
                .collect(),
            Gather { kind, geom, index } => {
                // Each input element picked at most once: no sums to order.
                let unique = match kind {
                    GatherKind::Max | GatherKind::Min | GatherKind::Sort | GatherKind::Topk => true,
                    GatherKind::MaxPool2d { disjoint } => *disjoint,
                    GatherKind::Gather | GatherKind::IndexSelect => false,
                };
                one(g.scatter_add_geom(*geom, index, input_shape(n), unique))
            }
            ScatterAdd { geom, index } => {
                one(g.gather_geom(GatherKind::Gather, *geom, index, input_shape(n)))
            }
            AddAt { dst, from, .. } => {
                let (_, src_shape) = input_shapes(n);
                let grads =
                    super::ops::scatter::add_at_backward(g, dst, from.as_ref(), src_shape, needs);
                Grads::Inline(grads, 2)
            }
            PutAt {
                kind,
                written,
                dst,
                from,
            } => {
                let src_shape = kind.has_src().then(|| input_shapes(n).1);
                let grads = super::ops::scatter::put_at_backward(
                    g,
                    written,
                    dst,
                    from.as_ref(),
                    src_shape,
                    needs,
                );
                Grads::Inline(grads, 1 + kind.has_src() as u8)
            }
            Where { mask } => {
                let (lhs, rhs) = input_shapes(n);
                two(&|| (g * mask).sum_to(lhs), &|| {
                    (g * (1.0 - mask)).sum_to(rhs)
                })
            }
            Matmul { lhs, rhs, .. } => {
                super::ops::linalg::matmul_backward(g, &*lhs.get(n)?, &*rhs.get(n)?, needs).into()
            }
            Softmax { out, dim } => {
                let y = out.get(node)?;
                one(&y * (g - (g * &y).sum_dim(*dim, true)))
            }
            LogSoftmax { out, dim } => one(g - out.get(node)?.exp() * g.sum_dim(*dim, true)),
            Logsumexp { x, dim, keepdim } => {
                one(keep_dim(g, *dim, *keepdim) * x.get(n)?.softmax(*dim))
            }
            Im2Col { win } => one(g.col2im(win)),
            Col2Im { win } => one(g.im2col(win)),
            Conv2d { x, w, win, cols } => {
                let cols = cols.as_ref().map(|c| c.get(n)).transpose()?;
                super::ops::conv::conv2d_backward(g, x.get(n)?, w.get(n)?, win, cols, needs).into()
            }
            ConvTranspose2d { x, w, win } => {
                super::ops::conv::conv_transpose2d_backward(g, x.get(n)?, w.get(n)?, win, needs)
                    .into()
            }
            AvgPool2d { win } => one(super::ops::conv::avg_pool2d_backward(
                g,
                win,
                input_shape(n),
            )),
            Custom { f, ctx } => super::custom::run_backward(&**f, ctx, g, node)?.into(),
            Rebased { .. } => unreachable!("the engine forwards a rebased node's gradient"),
        })
    }
}

/// [`ScalarGrad`]s and tensors.
impl ScalarGrad {
    /// The value of a one-element tensor (`None` for any other).
    #[inline]
    pub fn of(t: &Tensor) -> Option<ScalarGrad> {
        t.inner.buffer.one()
    }

    /// A tensor of shape `shape` (one element) holding the value.
    pub fn to_tensor(self, shape: &[usize]) -> Tensor {
        Tensor::from_storage(Storage::full(1, self.v, self.dtype), shape)
    }
}

/// [`fit`] for one element: `sum_to` a shape other than the gradient's sums
/// from `+0.0`, which turns a `-0.0` into `+0.0`.
#[inline]
fn fit_scalar(g: ScalarGrad, from: &[usize], to: &[usize]) -> ScalarGrad {
    if same_shape(from, to) {
        g
    } else {
        ScalarGrad { v: g.v + 0.0, ..g }
    }
}

/// Data that may hold a single element.
trait One {
    fn one(&self) -> Option<ScalarGrad>;
}

impl One for Tensor {
    #[inline]
    fn one(&self) -> Option<ScalarGrad> {
        self.inner.buffer.one()
    }
}

impl One for Buffer {
    #[inline]
    fn one(&self) -> Option<ScalarGrad> {
        Buffer::one(self)
    }
}

/// The value of a saved one-element tensor, or `None` (no scalar path).
macro_rules! value {
    ($t:expr) => {
        match One::one($t) {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

/// The gradients of a node's inputs as values (see [`ScalarGrad`]).
pub(crate) type ScalarGrads = [Option<ScalarGrad>; 2];

impl Op {
    /// [`Op::backward`] for a one-element gradient `g` while no graph is
    /// recorded: the same values, without tensors. `Ok(None)` for ops without
    /// this path (the caller then runs [`Op::backward`]).
    pub fn backward_scalar(
        &self,
        g: ScalarGrad,
        node: &Arc<TensorInner>,
        needs: &[bool],
    ) -> Result<Option<ScalarGrads>> {
        use Op::*;
        let n = &**node;
        let out: &[usize] = &n.shape;
        let one = |s: ScalarGrad| Ok(Some([Some(s), None]));
        let neg = |s: ScalarGrad| ScalarGrad { v: -s.v, ..s };
        // `g * d(v)` computed in f64, as `chain` and `chain_out` do.
        let chain = |v: ScalarGrad, d: &dyn Fn(f64) -> f64| one(g.zip(v, |g, v| g * d(v)));
        match self {
            Add => {
                let (lhs, rhs) = input_shapes(n);
                Ok(Some([
                    needs[0].then(|| fit_scalar(g, out, lhs)),
                    needs[1].then(|| fit_scalar(g, out, rhs)),
                ]))
            }
            Sub => {
                let (lhs, rhs) = input_shapes(n);
                Ok(Some([
                    needs[0].then(|| fit_scalar(g, out, lhs)),
                    needs[1].then(|| fit_scalar(neg(g), out, rhs)),
                ]))
            }
            Mul { lhs, rhs } => {
                let ((a, a_shape), (b, b_shape)) = (lhs.checked(n)?, rhs.checked(n)?);
                let (av, bv) = (value!(a), value!(b));
                Ok(Some([
                    needs[0].then(|| fit_scalar(g.zip(bv, |g, b| g * b), out, a_shape)),
                    needs[1].then(|| fit_scalar(g.zip(av, |g, a| g * a), out, b_shape)),
                ]))
            }
            Div { lhs, rhs } => {
                let ((a, a_shape), (b, b_shape)) = (lhs.checked(n)?, rhs.checked(n)?);
                let (av, bv) = (value!(a), value!(b));
                Ok(Some([
                    needs[0].then(|| fit_scalar(g.zip(bv, |g, b| g / b), out, a_shape)),
                    needs[1].then(|| {
                        // -(g * a) / (b * b), each product rounded as the tensor ops do.
                        let num = neg(g.zip(av, |g, a| g * a));
                        let den = bv.zip(bv, |b, c| b * c);
                        fit_scalar(num.zip(den, |x, y| x / y), out, b_shape)
                    }),
                ]))
            }
            Neg => one(neg(g)),
            Scalar { kind, s } => {
                let s = *s;
                one(match kind {
                    ScalarKind::Add | ScalarKind::Sub => g,
                    ScalarKind::RSub => neg(g),
                    ScalarKind::Mul => g.map(|g| g * s),
                    ScalarKind::Div => g.map(|g| g / s),
                })
            }
            RDiv { x, s } => {
                let s = *s;
                chain(value!(x.checked(n)?.0), &rdiv_d(s))
            }
            Pow { x, exponent } => {
                let p = *exponent;
                let x = value!(x.checked(n)?.0);
                if p == 0.0 {
                    return one(ScalarGrad { v: 0.0, ..g });
                }
                chain(x, &pow_d(p))
            }
            Exp { out } => chain(value!(out.checked(node)?), &d::<rules::Exp>),
            Ln { x } => chain(value!(x.checked(n)?.0), &d::<rules::Ln>),
            Tanh { out } => chain(value!(out.checked(node)?), &d::<rules::Tanh>),
            Sigmoid { out } => chain(value!(out.checked(node)?), &d::<rules::Sigmoid>),
            Relu { out } => chain(value!(out.checked(node)?), &d::<rules::Relu>),
            Sin { x } => chain(value!(x.checked(n)?.0), &d::<rules::Sin>),
            Cos { x } => chain(value!(x.checked(n)?.0), &d::<rules::Cos>),
            Sqrt { out } => chain(value!(out.checked(node)?), &d::<rules::Sqrt>),
            Abs { x } => chain(value!(x.checked(n)?.0), &d::<rules::Abs>),
            Clamp { x, min, max } => chain(value!(x.checked(n)?.0), &clamp_d(*min, *max)),
            Tan { out } => chain(value!(out.checked(node)?), &d::<rules::Tan>),
            Asin { x } => chain(value!(x.checked(n)?.0), &d::<rules::Asin>),
            Acos { x } => chain(value!(x.checked(n)?.0), &d::<rules::Acos>),
            Atan { x } => chain(value!(x.checked(n)?.0), &d::<rules::Atan>),
            Log1p { x } => chain(value!(x.checked(n)?.0), &d::<rules::Ln1p>),
            Expm1 { out } => chain(value!(out.checked(node)?), &d::<rules::ExpM1>),
            Rounding { .. } => one(ScalarGrad { v: 0.0, ..g }),
            Clone => one(g),
            ToDtype { from } => one(g.cast(*from)),
            // The input has one element too: `expand` copies the value.
            Sum | SumTo if numel(input_shape(n)) == 1 => one(g),
            Mean if numel(input_shape(n)) == 1 => one(g.map(|g| g / 1.0)),
            View { .. } => one(g),
            Expand => one(fit_scalar(g, out, input_shape(n))),
            _ => Ok(None),
        }
    }

    /// The gradient of `sum` and `mean` over all elements from a one-element
    /// gradient outside a graph: the value (over the count, for `mean`) at every
    /// position, one tensor where the tensor formulas build three (the gradient,
    /// its quotient, its expansion) with the same values. `None` for other ops.
    pub(crate) fn fill_backward(&self, g: ScalarGrad, node: &TensorInner) -> Option<Tensor> {
        let shape = input_shape(node);
        let v = match self {
            Op::Sum => g,
            Op::Mean => g.map(|g| g / numel(shape) as f64),
            _ => return None,
        };
        let s = super::kernels::elementwise::expand(&v.storage(), &[], shape);
        Some(Tensor::from_storage(s, shape))
    }
}

/// The gradients of a node's inputs, one per edge; inline for the usual one or
/// two inputs so that running a node allocates no list.
pub(crate) enum Grads {
    Inline([Option<Tensor>; 2], u8),
    Heap(Vec<Option<Tensor>>),
}

impl Grads {
    /// The gradients, one per input.
    pub fn as_slice(&self) -> &[Option<Tensor>] {
        match self {
            Grads::Inline(g, n) => &g[..*n as usize],
            Grads::Heap(v) => v,
        }
    }
}

impl From<Vec<Option<Tensor>>> for Grads {
    fn from(v: Vec<Option<Tensor>>) -> Grads {
        Grads::Heap(v)
    }
}

impl FromIterator<Option<Tensor>> for Grads {
    fn from_iter<I: IntoIterator<Item = Option<Tensor>>>(it: I) -> Grads {
        Grads::Heap(it.into_iter().collect())
    }
}

impl IntoIterator for Grads {
    type Item = Option<Tensor>;
    type IntoIter = GradsIter;
    fn into_iter(self) -> GradsIter {
        match self {
            Grads::Inline(g, n) => GradsIter::Inline(g.into_iter().take(n as usize)),
            Grads::Heap(v) => GradsIter::Heap(v.into_iter()),
        }
    }
}

pub(crate) enum GradsIter {
    Inline(std::iter::Take<std::array::IntoIter<Option<Tensor>, 2>>),
    Heap(std::vec::IntoIter<Option<Tensor>>),
}

impl Iterator for GradsIter {
    type Item = Option<Tensor>;
    fn next(&mut self) -> Option<Option<Tensor>> {
        match self {
            GradsIter::Inline(it) => it.next(),
            GradsIter::Heap(it) => it.next(),
        }
    }
}

/// The gradients of a two-input op whose input gradients are `f0(g)` and
/// `f1(g)`, cloning `g` only when both inputs want one.
fn split(
    g: Tensor,
    needs: &[bool],
    f0: impl FnOnce(Tensor) -> Tensor,
    f1: impl FnOnce(Tensor) -> Tensor,
) -> Grads {
    let pair = match (needs[0], needs[1]) {
        (true, true) => [Some(f0(g.clone())), Some(f1(g))],
        (true, false) => [Some(f0(g)), None],
        (false, true) => [None, Some(f1(g))],
        (false, false) => [None, None],
    };
    Grads::Inline(pair, 2)
}

/// The shapes of a two-input node's inputs, from its edges; `[]` for an input
/// without an edge, which needs no gradient (`needs` is false for it).
#[inline]
fn input_shapes(node: &TensorInner) -> (&[usize], &[usize]) {
    let edges = &node.node().edges;
    let shape = |i: usize| edges.get(i).and_then(Edge::shape).unwrap_or(&[]);
    (shape(0), shape(1))
}

/// The shape of a one-input node's input, from its edge.
#[inline]
fn input_shape(node: &TensorInner) -> &[usize] {
    input_shapes(node).0
}

/// `t` summed down to `shape`, the shape of an input it was broadcast from.
fn fit(t: Tensor, shape: &[usize]) -> Tensor {
    if same_shape(t.shape(), shape) {
        t
    } else {
        t.sum_to(shape)
    }
}

/// Of `atan2(a, b)`: `g (b, -a) / (a^2 + b^2)`, 0 at the origin as the rule
/// gives; the rule's partials in one loop when no graph is recorded.
fn atan2_backward(g: &Tensor, a: &Tensor, b: &Tensor, needs: &[bool]) -> Grads {
    let (pa, pb) = if is_grad_enabled() {
        let r2 = a * a + b * b;
        let one = Tensor::full(&[], 1.0, r2.dtype());
        let safe = Tensor::where_(&r2.eq_scalar(0.0), &one, &r2);
        (b / &safe, -a / &safe)
    } else {
        let partial = |k: usize| {
            let s = a.par_zip_data(b, g.shape(), move |x, y| {
                let (da, db) = <rules::Atan2 as ScalarFn2>::partials(x, y, 0.0);
                if k == 0 {
                    da
                } else {
                    db
                }
            });
            Tensor::from_storage(s, g.shape())
        };
        (partial(0), partial(1))
    };
    Grads::Inline(
        [
            needs[0].then(|| fit(prod(g, &pa), a.shape())),
            needs[1].then(|| fit(prod(g, &pb), b.shape())),
        ],
        2,
    )
}

fn pow_backward(g: &Tensor, x: &Tensor, p: f64) -> Tensor {
    if p == 0.0 {
        return g.zeros_like();
    }
    let graph = |x: &Tensor| x.pow(p - 1.0) * p;
    if p == 2.0 {
        // `pow_d(2)` without its test of the exponent for each element.
        return chain(g, x, |x| 2.0 * x, graph);
    }
    chain(g, x, pow_d(p), graph)
}

/// `g * f'(v)` for an element-wise op whose derivative is `d(v)` of a saved
/// value `v`. Without `create_graph` this is one fused loop; with it, the
/// tensor formula `graph(v)` is recorded so that the gradient is differentiable
/// again. Both formulas of an op sit side by side in its `backward` arm.
fn chain(
    g: &Tensor,
    v: &Tensor,
    d: impl Fn(f64) -> f64 + Sync,
    graph: impl FnOnce(&Tensor) -> Tensor,
) -> Tensor {
    if is_grad_enabled() {
        return g * graph(v);
    }
    fused(g, &v.inner.buffer, v.shape(), |g, v| g * d(v))
}

/// [`chain`] for an op that saved its output: without `create_graph` the
/// saved data is read in place, with no tensor built around it.
fn chain_out(
    g: &Tensor,
    out: &SavedOut,
    node: &Arc<TensorInner>,
    d: impl Fn(f64) -> f64 + Sync,
    graph: impl FnOnce(&Tensor) -> Tensor,
) -> Result<Tensor> {
    if is_grad_enabled() {
        return Ok(g * graph(&out.get(node)?));
    }
    out.checked(node)?;
    Ok(fused(g, &out.buffer, &node.shape, |g, v| g * d(v)))
}

/// `g * t`, as one loop when no graph is recorded.
fn prod(g: &Tensor, t: &Tensor) -> Tensor {
    if is_grad_enabled() {
        g * t
    } else {
        fused(g, &t.inner.buffer, t.shape(), |g, t| g * t)
    }
}

/// `fit(prod(g, t), shape)`: the gradient of a product's operand of `shape`.
/// When that operand has one element (a scalar weight broadcast against a
/// vector, as W1's `w * t_u`) and no graph is recorded, the products are summed
/// as they are computed, in the order and roundings of `prod` then `sum_to`,
/// without the tensor of products between them.
fn prod_fit(g: &Tensor, t: &Tensor, shape: &[usize]) -> Tensor {
    let small = numel(shape) == 1
        && same_shape(g.shape(), t.shape())
        && g.numel() <= crate::parallel::REDUCE_CHUNK
        && !same_shape(g.shape(), shape);
    if small && !is_grad_enabled() {
        let dot = Tensor::read2(g, t, |a, b| match (a, b) {
            (Storage::F32(a), Storage::F32(b)) => {
                Some(a.iter().zip(b.iter()).fold(0.0, |acc, (&x, &y)| {
                    acc + f32::from_f64(x.to_f64() * y.to_f64()).to_f64()
                }))
            }
            (Storage::F64(a), Storage::F64(b)) => Some(
                a.iter()
                    .zip(b.iter())
                    .fold(0.0, |acc, (&x, &y)| acc + x * y),
            ),
            _ => None,
        });
        if let Some(v) = dot {
            return Tensor::from_storage(Storage::full(1, v, g.dtype()), shape);
        }
    }
    fit(prod(g, t), shape)
}

/// `f(g, v)` element-wise, outside any graph, for a `v` of `g`'s shape (the
/// usual case: a loop over both slices, on the kernel pool when they are large)
/// or one that broadcasts to it.
fn fused(
    g: &Tensor,
    v: &BufferRef,
    v_shape: &[usize],
    f: impl Fn(f64, f64) -> f64 + Sync,
) -> Tensor {
    if same_shape(g.shape(), v_shape) {
        let same = Arc::ptr_eq(&g.inner.buffer, v);
        let gd = g.data();
        let vd = if same { None } else { Some(v.read()) };
        let s = match (&*gd, vd.as_deref().unwrap_or(&gd)) {
            (Storage::F32(a), Storage::F32(b)) => Some(Storage::F32(zip_slices(a, b, |&a, &b| {
                f32::from_f64(f(a.to_f64(), b.to_f64()))
            }))),
            (Storage::F64(a), Storage::F64(b)) => {
                Some(Storage::F64(zip_slices(a, b, |&a, &b| f(a, b))))
            }
            _ => None,
        };
        if let Some(s) = s {
            return Tensor::from_storage(s, g.shape());
        }
    }
    let v = Tensor::from_parts(v.clone(), v_shape, v.dtype(), None);
    Tensor::from_storage(g.zip_data(&v, g.shape(), f), g.shape())
}

/// The derivative of `F`'s element-wise op from the value the op saved, which is
/// the one its rule reads (`ScalarFn::READS`): for both backward paths, the fused
/// loop of [`chain`] / [`chain_out`] and the one-element [`Op::backward_scalar`].
#[inline(always)]
fn d<F: ScalarFn>(saved: f64) -> f64 {
    F::derivative_from(saved)
}

// The derivatives of the ops with a constant operand, which no static rule has:
// `s / x`, `x^p` for a constant `p`, and `clamp`.

/// Of `s / x`.
fn rdiv_d(s: f64) -> impl Fn(f64) -> f64 + Sync {
    move |x| -s / (x * x)
}

/// Of `x^p`, `p != 0`.
fn pow_d(p: f64) -> impl Fn(f64) -> f64 + Sync {
    move |x| p * crate::tensor::ops::unary::powf(x, p - 1.0)
}

/// Of `clamp(x, lo, hi)`: 1 inside the bounds, bounds included.
fn clamp_d(lo: f64, hi: f64) -> impl Fn(f64) -> f64 + Sync {
    move |x| f64::from(u8::from(lo <= x && x <= hi))
}

/// Re-inserts a reduced dimension so the gradient broadcasts against the input.
fn keep_dim(g: &Tensor, dim: usize, keepdim: bool) -> Tensor {
    if keepdim {
        g.clone()
    } else {
        g.unsqueeze(dim)
    }
}

fn invert(perm: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}
