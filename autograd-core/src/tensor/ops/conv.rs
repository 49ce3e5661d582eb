//! Convolution and pooling over `(n, c, h, w)` images, all on im2col.

use crate::error::Result;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::conv::{col2im, im2col, max_pool_indices, Window};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::kernels::{elementwise, linalg, reduce};
use crate::tensor::op::{GatherKind, Op};
use crate::tensor::ops::linalg::product;
use crate::tensor::saved::Saved;
use crate::Error;
use std::sync::Arc;

#[track_caller]
fn window(
    op: &'static str,
    x: &[usize],
    k: (usize, usize),
    stride: usize,
    padding: usize,
) -> Result<Window> {
    let bad = |reason: String| Error::InvalidArgument {
        op,
        shape: x.to_vec(),
        reason,
    };
    if x.len() != 4 {
        return Err(bad("expected an input of shape (n, c, h, w)".into()));
    }
    if stride == 0 || k.0 == 0 || k.1 == 0 {
        return Err(bad("kernel size and stride must be positive".into()));
    }
    if x[2] + 2 * padding < k.0 || x[3] + 2 * padding < k.1 {
        return Err(bad(format!(
            "the kernel {k:?} is larger than the padded input"
        )));
    }
    Ok(Window {
        n: x[0],
        c: x[1],
        h: x[2],
        w: x[3],
        kh: k.0,
        kw: k.1,
        stride: (stride, stride),
        padding: (padding, padding),
    })
}

/// The window over `(n * c, 1, h, w)` a pooling op uses.
#[track_caller]
fn pool_window(op: &'static str, x: &[usize], kernel: usize, stride: usize) -> Result<Window> {
    let w = window(op, x, (kernel, kernel), stride, 0)?;
    Ok(Window {
        n: w.n * w.c,
        c: 1,
        ..w
    })
}

impl Tensor {
    /// `(n, c, h, w)` to `(n, c * kh * kw, l)` columns (`torch.nn.functional.unfold`,
    /// `Im2ColBackward0`).
    #[track_caller]
    pub(crate) fn im2col(&self, win: &Window) -> Tensor {
        let s = im2col(&self.data(), win);
        Tensor::record(s, &win.cols_shape(), &[self], |_| Op::Im2Col {
            win: Box::new(*win),
        })
    }

    /// The adjoint of [`Tensor::im2col`] (`torch.nn.functional.fold`).
    #[track_caller]
    pub(crate) fn col2im(&self, win: &Window) -> Tensor {
        let s = col2im(&self.data(), win);
        Tensor::record(s, &win.input_shape(), &[self], |_| Op::Col2Im {
            win: Box::new(*win),
        })
    }

    /// 2-D convolution (cross-correlation, as in PyTorch) of an `(n, c, h, w)`
    /// input with an `(o, c, kh, kw)` weight and an optional `(o)` bias, with the
    /// same stride and zero padding in both directions
    /// (`torch.nn.functional.conv2d`, `ConvolutionBackward0`).
    ///
    /// # Panics
    /// If the shapes do not fit; see [`Tensor::try_conv2d`].
    #[track_caller]
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
    ) -> Tensor {
        ok(self.try_conv2d(weight, bias, stride, padding))
    }

    /// Fallible [`Tensor::conv2d`].
    #[track_caller]
    pub fn try_conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
    ) -> Result<Tensor> {
        let ws = weight.shape();
        let mismatch = |rhs: &[usize], reason: &str| Error::ShapeMismatch {
            op: "conv2d",
            lhs: self.shape().to_vec(),
            rhs: rhs.to_vec(),
            reason: reason.into(),
        };
        if ws.len() != 4 || self.ndim() != 4 || ws[1] != self.shape()[1] {
            return Err(mismatch(
                ws,
                "expected input (n, c, h, w) and weight (o, c, kh, kw)",
            ));
        }
        if let Some(b) = bias.filter(|b| b.shape() != [ws[0]]) {
            return Err(mismatch(b.shape(), "expected a bias of shape (o)"));
        }
        let win = window("conv2d", self.shape(), (ws[2], ws[3]), stride, padding)?;
        let [n, rows, l] = win.cols_shape();
        let cols = im2col(&self.data(), &win);
        let mut s = linalg::matmul(&weight.data(), &[ws[0], rows], &cols, &[n, rows, l], &[n]);
        if let Some(b) = bias {
            s = elementwise::zip(
                &s,
                &[n, ws[0], l],
                &b.data(),
                &[ws[0], 1],
                &[n, ws[0], l],
                |x, y| x + y,
            );
        }
        let (ho, wo) = win.out_hw();
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(Tensor::record(s, &[n, ws[0], ho, wo], &inputs, |_| {
            Op::Conv2d {
                x: Saved::new(self),
                w: Saved::new(weight),
                win: Box::new(win),
            }
        }))
    }

    /// Maximum over `kernel x kernel` windows moved by `stride`, no padding
    /// (`torch.nn.functional.max_pool2d`, `MaxPool2DWithIndicesBackward0`).
    ///
    /// # Panics
    /// If the input is not `(n, c, h, w)` or smaller than the kernel; see
    /// [`Tensor::try_max_pool2d`].
    #[track_caller]
    pub fn max_pool2d(&self, kernel: usize, stride: usize) -> Tensor {
        ok(self.try_max_pool2d(kernel, stride))
    }

    /// Fallible [`Tensor::max_pool2d`].
    #[track_caller]
    pub fn try_max_pool2d(&self, kernel: usize, stride: usize) -> Result<Tensor> {
        let win = pool_window("max_pool2d", self.shape(), kernel, stride)?;
        let [nc, _, l] = win.cols_shape();
        let hw = win.h * win.w;
        let index: Arc<[usize]> = max_pool_indices(&self.data(), &win).into();
        let geom = GatherGeom {
            outer: nc,
            n_in: hw,
            n_out: l,
            inner: 1,
        };
        let (ho, wo) = win.out_hw();
        let out = [self.shape()[0], self.shape()[1], ho, wo];
        Ok(self.gather_geom(GatherKind::MaxPool2d, geom, &index, &out))
    }

    /// Mean over `kernel x kernel` windows moved by `stride`, no padding
    /// (`torch.nn.functional.avg_pool2d`, `AvgPool2DBackward0`).
    ///
    /// # Panics
    /// If the input is not `(n, c, h, w)` or smaller than the kernel; see
    /// [`Tensor::try_avg_pool2d`].
    #[track_caller]
    pub fn avg_pool2d(&self, kernel: usize, stride: usize) -> Tensor {
        ok(self.try_avg_pool2d(kernel, stride))
    }

    /// Fallible [`Tensor::avg_pool2d`].
    #[track_caller]
    pub fn try_avg_pool2d(&self, kernel: usize, stride: usize) -> Result<Tensor> {
        let win = pool_window("avg_pool2d", self.shape(), kernel, stride)?;
        let [nc, kk, l] = win.cols_shape();
        let sums = reduce::sum_axis(&im2col(&self.data(), &win), nc, kk, l);
        let (ho, wo) = win.out_hw();
        let out = [self.shape()[0], self.shape()[1], ho, wo];
        Ok(Tensor::record(
            sums.map(|v| v / kk as f64),
            &out,
            &[self],
            |_| Op::AvgPool2d { win: Box::new(win) },
        ))
    }
}

/// Gradients of a convolution in tensor ops (so they are differentiable again):
/// `dx = col2im(W^T dY)`, `dW = sum_n dY cols^T`, `db = sum dY`.
#[track_caller]
pub(crate) fn conv2d_backward(
    g: &Tensor,
    x: &Tensor,
    w: &Tensor,
    win: &Window,
    needs: &[bool],
) -> Vec<Option<Tensor>> {
    let [n, rows, l] = win.cols_shape();
    let o = w.shape()[0];
    let g3 = g.reshape(&[n, o, l]);
    // Transposed operands are read through GEMM strides, not copied.
    let gx = needs[0].then(|| product(&w.reshape(&[o, rows]), true, &g3, false).col2im(win));
    let gw = needs[1].then(|| {
        product(&g3, false, &x.im2col(win), true)
            .sum_dim(0, false)
            .reshape(w.shape())
    });
    let mut grads = vec![gx, gw];
    if let Some(&need_b) = needs.get(2) {
        grads.push(need_b.then(|| g3.sum_dim(2, false).sum_dim(0, false)));
    }
    grads
}

/// Gradient of `avg_pool2d`: each output's gradient spread evenly over its window.
#[track_caller]
pub(crate) fn avg_pool2d_backward(g: &Tensor, win: &Window, shape: &[usize]) -> Tensor {
    let [nc, kk, l] = win.cols_shape();
    (g.reshape(&[nc, 1, l]).expand(&[nc, kk, l]) / kk as f64)
        .col2im(win)
        .reshape(shape)
}
