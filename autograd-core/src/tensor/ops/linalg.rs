//! Matrix products.

use crate::error::Result;
use crate::tensor::grad_mode::is_grad_enabled;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::linalg::{self, Operand};
use crate::tensor::op::{MatmulKind, Op};
use crate::tensor::saved::SavedInput;
use crate::tensor::shape::{broadcast_shapes, Shape};
use crate::{Error, Function, FunctionCtx};
use std::borrow::Cow;

/// Shapes of a product after NumPy's promotion of 1-D operands: `[k]` on the left
/// is `[1, k]`, on the right `[k, 1]`.
struct MatShapes {
    a: Shape,
    b: Shape,
    batch: Shape,
    /// Output with both matrix dimensions.
    full: Shape,
    /// Output with the promoted dimensions removed again.
    out: Shape,
}

/// The shapes of a matrix product (inline, so that a product allocates no
/// shape): the operands as matrices, the batch, and the output.
#[track_caller]
fn mat_shapes(a: &[usize], b: &[usize]) -> Result<MatShapes> {
    let mismatch = |reason: String| Error::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
        reason,
    };
    if a.is_empty() || b.is_empty() {
        return Err(mismatch("both operands need at least one dimension".into()));
    }
    let a2 = if a.len() == 1 {
        Shape::new(&[1, a[0]])
    } else {
        Shape::new(a)
    };
    let b2 = if b.len() == 1 {
        Shape::new(&[b[0], 1])
    } else {
        Shape::new(b)
    };
    let (ra, rb) = (a2.len(), b2.len());
    if a2[ra - 1] != b2[rb - 2] {
        return Err(mismatch(format!(
            "the inner dimensions {} and {} differ",
            a2[ra - 1],
            b2[rb - 2]
        )));
    }
    let batch = broadcast_shapes("matmul", &a2[..ra - 2], &b2[..rb - 2])?;
    let full = Shape::concat(&batch, &[a2[ra - 2], b2[rb - 1]]);
    let (mut tail, mut t) = ([0; 2], 0);
    for (keep, d) in [(a.len() > 1, a2[ra - 2]), (b.len() > 1, b2[rb - 1])] {
        if keep {
            tail[t] = d;
            t += 1;
        }
    }
    let out = Shape::concat(&batch, &tail[..t]);
    Ok(MatShapes {
        a: a2,
        b: b2,
        batch,
        full,
        out,
    })
}

impl Tensor {
    /// Matrix product with NumPy's rules (`torch.matmul`): 1-D operands are
    /// promoted to matrices and the batch dimensions broadcast. Recorded as
    /// `DotBackward0`, `MvBackward0`, `MmBackward0` or `BmmBackward0` by ranks.
    ///
    /// # Panics
    /// If the inner dimensions differ or the batch dimensions do not broadcast;
    /// see [`Tensor::try_matmul`].
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        ok(self.try_matmul(other))
    }

    /// Fallible [`Tensor::matmul`].
    #[track_caller]
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let sh = mat_shapes(self.shape(), other.shape())?;
        let s = Tensor::read2(self, other, |a, b| {
            linalg::matmul(a, &sh.a, b, &sh.b, &sh.batch)
        });
        let kind = match (self.ndim(), other.ndim()) {
            (1, 1) => MatmulKind::Dot,
            (2, 1) => MatmulKind::Mv,
            (2, 2) => MatmulKind::Mm,
            _ => MatmulKind::Bmm,
        };
        Ok(Tensor::record(s, &sh.out, &[self, other], |_| Op::Matmul {
            kind,
            lhs: SavedInput::new(self, 0),
            rhs: SavedInput::new(other, 1),
        }))
    }
}

impl Tensor {
    /// Batched matrix product of `[b, n, m]` and `[b, m, p]`, giving `[b, n, p]`
    /// (`torch.bmm`, `BmmBackward0`): [`Tensor::matmul`] restricted to rank 3
    /// and equal batches, without broadcasting, on the same GEMM kernel.
    ///
    /// # Panics
    /// If an operand is not of rank 3 or the batch or inner dimensions differ;
    /// see [`Tensor::try_bmm`].
    #[track_caller]
    pub fn bmm(&self, other: &Tensor) -> Tensor {
        ok(self.try_bmm(other))
    }

    /// Fallible [`Tensor::bmm`].
    #[track_caller]
    pub fn try_bmm(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.shape(), other.shape());
        let reason = if a.len() != 3 || b.len() != 3 {
            Some("both operands must have rank 3, [batch, n, m] and [batch, m, p]".to_string())
        } else if a[0] != b[0] {
            Some(format!("the batch sizes {} and {} differ", a[0], b[0]))
        } else if a[2] != b[1] {
            Some(format!("the inner dimensions {} and {} differ", a[2], b[1]))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::ShapeMismatch {
                op: "bmm",
                lhs: a.to_vec(),
                rhs: b.to_vec(),
                reason,
            });
        }
        self.try_matmul(other)
    }
}

/// `dA = dC B^T` and `dB = A^T dC`, summed over broadcast batch dimensions.
#[track_caller]
pub(crate) fn matmul_backward(
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    needs: &[bool],
) -> Vec<Option<Tensor>> {
    if a.ndim() == 2 && b.ndim() == 2 && !is_grad_enabled() {
        // Matrices (the usual case) outside a graph: the products have the
        // operands' shapes, with no reshapes and no batch to sum over.
        return vec![
            needs[0].then(|| product(g, false, b, true)),
            needs[1].then(|| product(a, true, g, false)),
        ];
    }
    let sh = ok(mat_shapes(a.shape(), b.shape()));
    let g2 = g.reshape(&sh.full);
    let (a2, b2) = (a.reshape(&sh.a), b.reshape(&sh.b));
    let ga = needs[0].then(|| {
        product(&g2, false, &b2, true)
            .sum_to(&sh.a)
            .reshape(a.shape())
    });
    let gb = needs[1].then(|| {
        product(&a2, true, &g2, false)
            .sum_to(&sh.b)
            .reshape(b.shape())
    });
    vec![ga, gb]
}

/// `x @ y` with either operand transposed in its last two dimensions: recorded
/// as `transpose` and `matmul` under `create_graph`, else one GEMM reading the
/// transposes through strides.
#[track_caller]
pub(crate) fn product(x: &Tensor, tx: bool, y: &Tensor, ty: bool) -> Tensor {
    if is_grad_enabled() {
        let t = |v: &Tensor, flag: bool| if flag { v.transpose(-1, -2) } else { v.clone() };
        return t(x, tx).matmul(&t(y, ty));
    }
    let (rx, ry) = (x.ndim(), y.ndim());
    let batch = ok(broadcast_shapes(
        "matmul",
        &x.shape()[..rx - 2],
        &y.shape()[..ry - 2],
    ));
    let rows = x.shape()[if tx { rx - 1 } else { rx - 2 }];
    let cols = y.shape()[if ty { ry - 2 } else { ry - 1 }];
    let s = Tensor::read2(x, y, |dx, dy| {
        let op = |data, shape, transposed| Operand {
            data,
            shape,
            transposed,
        };
        linalg::matmul_t(op(dx, x.shape(), tx), op(dy, y.shape(), ty), &batch)
    });
    Tensor::from_storage(s, &Shape::concat(&batch, &[rows, cols]))
}

/// `F.linear` of a 2-D input as one node: `x W^T (+ b)` with the weight read
/// transposed through strides (no transposed copy), recorded as PyTorch's
/// `AddmmBackward0` (`MmBackward0` without a bias). `None` when the operands are
/// not a 2-D `x`, a 2-D `W` and a 1-D `b` of one dtype that fit: the caller then
/// composes `t`, `matmul` and `add`, whose results this one reproduces bit for
/// bit.
#[track_caller]
pub(crate) fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Option<Tensor> {
    let fits = x.ndim() == 2
        && w.ndim() == 2
        && x.shape()[1] == w.shape()[1]
        && b.is_none_or(|b| {
            b.ndim() == 1 && b.shape()[0] == w.shape()[0] && b.dtype() == x.dtype()
        })
        && w.dtype() == x.dtype();
    if !fits {
        return None;
    }
    let linear = Linear { bias: b.is_some() };
    Some(match b {
        Some(b) => linear.apply(&[x.clone(), w.clone(), b.clone()][..]),
        None => linear.apply(&[x.clone(), w.clone()][..]),
    })
}

/// [`linear`]'s node.
struct Linear {
    bias: bool,
}

impl Function for Linear {
    #[track_caller]
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(if self.bias {
            "AddmmBackward0"
        } else {
            "MmBackward0"
        })
    }

    #[track_caller]
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[Tensor]) -> Result<Tensor> {
        let (x, w) = (&inputs[0], &inputs[1]);
        ctx.save_for_backward(&[x.clone(), w.clone()][..]);
        let (m, n) = (x.shape()[0], w.shape()[0]);
        let mut s = Tensor::read2(x, w, |dx, dw| {
            let op = |data, shape, transposed| Operand {
                data,
                shape,
                transposed,
            };
            linalg::matmul_t(op(dx, x.shape(), false), op(dw, w.shape(), true), &[])
        });
        if let Some(b) = inputs.get(2) {
            linalg::add_rows(&mut s, &b.data());
        }
        Ok(Tensor::from_storage(s, &[m, n]))
    }

    #[track_caller]
    fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let saved = ctx.saved_tensors();
        let (x, w) = (&saved[0], &saved[1]);
        let gx = ctx.needs_input_grad(0).then(|| product(g, false, w, false));
        let gw = ctx.needs_input_grad(1).then(|| product(g, true, x, false));
        let mut grads = vec![gx, gw];
        if self.bias {
            grads.push(ctx.needs_input_grad(2).then(|| g.sum_to(&[w.shape()[0]])));
        }
        Ok(grads)
    }
}
