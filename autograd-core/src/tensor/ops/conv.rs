//! Convolution (1-D, 2-D, transposed 2-D) and pooling over `(n, c, h, w)`
//! images, all on im2col.

use crate::error::Result;
use crate::tensor::grad_mode::is_grad_enabled;
use crate::tensor::handle::{ok, Tensor};
use crate::tensor::kernels::conv::{
    add_channels, col2im, im2col, max_pool_indices_into, sum_channels, Window,
};
use crate::tensor::kernels::layout::GatherGeom;
use crate::tensor::kernels::linalg::{matmul_sum, Operand};
use crate::tensor::kernels::{elementwise, linalg, reduce};
use crate::tensor::op::{GatherKind, Op};
use crate::tensor::ops::linalg::product;
use crate::tensor::saved::Saved;
use crate::{no_grad, Error};
use std::sync::Arc;

/// A shape error of a convolution: the input's shape against `rhs`'s.
fn conv_mismatch(op: &'static str, x: &Tensor, rhs: &[usize], reason: &str) -> Error {
    Error::ShapeMismatch {
        op,
        lhs: x.shape().to_vec(),
        rhs: rhs.to_vec(),
        reason: reason.into(),
    }
}

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
        if ws.len() != 4 || self.ndim() != 4 || ws[1] != self.shape()[1] {
            return Err(conv_mismatch(
                "conv2d",
                self,
                ws,
                "expected input (n, c, h, w) and weight (o, c, kh, kw)",
            ));
        }
        let win = window("conv2d", self.shape(), (ws[2], ws[3]), stride, padding)?;
        self.conv_window("conv2d", weight, bias, win)
    }

    /// 1-D convolution (cross-correlation) of an `(n, c, l)` input with an `(o, c,
    /// k)` weight and an optional `(o)` bias, with stride and zero padding
    /// (`torch.nn.functional.conv1d` without dilation or groups,
    /// `ConvolutionBackward0`): the 2-D kernel over images of height 1.
    ///
    /// # Panics
    /// If the shapes do not fit; see [`Tensor::try_conv1d`].
    #[track_caller]
    pub fn conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
    ) -> Tensor {
        ok(self.try_conv1d(weight, bias, stride, padding))
    }

    /// Fallible [`Tensor::conv1d`].
    pub fn try_conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
    ) -> Result<Tensor> {
        let (xs, ws) = (self.shape(), weight.shape());
        if ws.len() != 3 || xs.len() != 3 || ws[1] != xs[1] {
            return Err(conv_mismatch(
                "conv1d",
                self,
                ws,
                "expected input (n, c, l) and weight (o, c, k)",
            ));
        }
        let bad = |reason: String| Error::InvalidArgument {
            op: "conv1d",
            shape: xs.to_vec(),
            reason,
        };
        if stride == 0 || ws[2] == 0 {
            return Err(bad("kernel size and stride must be positive".into()));
        }
        if xs[2] + 2 * padding < ws[2] {
            return Err(bad(format!(
                "the kernel ({}) is larger than the padded input ({})",
                ws[2],
                xs[2] + 2 * padding
            )));
        }
        let win = Window {
            n: xs[0],
            c: xs[1],
            h: 1,
            w: xs[2],
            kh: 1,
            kw: ws[2],
            stride: (1, stride),
            padding: (0, padding),
        };
        self.conv_window("conv1d", weight, bias, win)
    }

    /// The convolution of `self` with `weight` over the window `win`, recorded as
    /// one `ConvolutionBackward0` node. `self` and `weight` may be 3-D (a 1-D
    /// convolution, `win.h == 1`): their data is laid out as the 4-D tensors with
    /// a unit height, and the output drops that height too.
    fn conv_window(
        &self,
        op: &'static str,
        weight: &Tensor,
        bias: Option<&Tensor>,
        win: Window,
    ) -> Result<Tensor> {
        let o = weight.shape()[0];
        if let Some(b) = bias.filter(|b| b.shape() != [o]) {
            return Err(conv_mismatch(
                op,
                self,
                b.shape(),
                "expected a bias of shape (o)",
            ));
        }
        let [n, rows, l] = win.cols_shape();
        let cols = im2col(&self.data(), &win);
        let mut s = linalg::matmul(&weight.data(), &[o, rows], &cols, &[n, rows, l], &[n]);
        // Recycled when dropped, unless the node keeps it.
        let cols = Tensor::from_storage(cols, &[n, rows, l]);
        if let Some(b) = bias {
            let bd = b.data();
            if bd.dtype() == s.dtype() {
                // The same sums as the broadcast add (an f32 sum is exact in f64
                // before rounding), without its odometer.
                add_channels(&mut s, &bd, l);
            } else {
                s = elementwise::zip(&s, &[n, o, l], &bd, &[o, 1], &[n, o, l], |x, y| x + y);
            }
        }
        let (ho, wo) = win.out_hw();
        let shape: &[usize] = if self.ndim() == 3 {
            &[n, o, wo]
        } else {
            &[n, o, ho, wo]
        };
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(Tensor::record(s, shape, &inputs, |_| Op::Conv2d {
            x: Saved::new(self),
            w: Saved::new(weight),
            win: Box::new(win),
            cols: weight.requires_grad().then(|| Box::new(Saved::new(&cols))),
        }))
    }

    /// 2-D transposed convolution (the adjoint of [`Tensor::conv2d`] in its input,
    /// sometimes called deconvolution) of an `(n, c_in, h, w)` input with a
    /// `(c_in, c_out, kh, kw)` weight and an optional `(c_out)` bias
    /// (`torch.nn.functional.conv_transpose2d` without groups or dilation,
    /// `ConvolutionBackward0`). The output is `(n, c_out, ho, wo)` with `ho = (h -
    /// 1) stride - 2 padding + kh + output_padding`, and likewise `wo`.
    ///
    /// # Panics
    /// If the shapes do not fit; see [`Tensor::try_conv_transpose2d`].
    #[track_caller]
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Tensor {
        ok(self.try_conv_transpose2d(weight, bias, stride, padding, output_padding))
    }

    /// Fallible [`Tensor::conv_transpose2d`].
    pub fn try_conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Result<Tensor> {
        let (xs, ws) = (self.shape(), weight.shape());
        if ws.len() != 4 || xs.len() != 4 || ws[0] != xs[1] {
            return Err(conv_mismatch(
                "conv_transpose2d",
                self,
                ws,
                "expected input (n, c_in, h, w) and weight (c_in, c_out, kh, kw)",
            ));
        }
        let c_out = ws[1];
        if let Some(b) = bias.filter(|b| b.shape() != [c_out]) {
            return Err(conv_mismatch(
                "conv_transpose2d",
                self,
                b.shape(),
                "expected a bias of shape (c_out)",
            ));
        }
        let bad = |reason: String| Error::InvalidArgument {
            op: "conv_transpose2d",
            shape: xs.to_vec(),
            reason,
        };
        if stride == 0 || ws[2] == 0 || ws[3] == 0 {
            return Err(bad("kernel size and stride must be positive".into()));
        }
        if output_padding >= stride {
            return Err(bad(format!(
                "output_padding {output_padding} must be smaller than stride {stride}"
            )));
        }
        let full = |i: usize, k: usize| (i.max(1) - 1) * stride + k + output_padding;
        let (fh, fw) = (full(xs[2], ws[2]), full(xs[3], ws[3]));
        if xs[2] == 0 || xs[3] == 0 || fh <= 2 * padding || fw <= 2 * padding {
            return Err(bad(format!(
                "padding {padding} leaves no output for kernel {:?}",
                &ws[2..]
            )));
        }
        // The output is the input of the convolution whose columns `W^T x` are.
        let win = Window {
            n: xs[0],
            c: c_out,
            h: fh - 2 * padding,
            w: fw - 2 * padding,
            kh: ws[2],
            kw: ws[3],
            stride: (stride, stride),
            padding: (padding, padding),
        };
        debug_assert_eq!(win.out_hw(), (xs[2], xs[3]));
        let y = no_grad(|| {
            let cols = product(
                &weight.reshape(&[ws[0], c_out * ws[2] * ws[3]]),
                true,
                &self.reshape(&[xs[0], xs[1], xs[2] * xs[3]]),
                false,
            );
            let y = cols.col2im(&win);
            match bias {
                Some(b) => y + b.reshape(&[c_out, 1, 1]),
                None => y,
            }
        });
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(Tensor::record_buffer(
            y.inner.buffer.clone(),
            &win.input_shape(),
            &inputs,
            |_| Op::ConvTranspose2d {
                x: Saved::new(self),
                w: Saved::new(weight),
                win: Box::new(win),
            },
        ))
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
        // Written in place in the node's shared slice (no `Vec` copied into it).
        let mut index: Arc<[usize]> = std::iter::repeat_n(0, nc * l).collect();
        let slots = Arc::get_mut(&mut index).expect("a new Arc has one reference");
        max_pool_indices_into(&self.data(), &win, slots);
        let geom = GatherGeom {
            outer: nc,
            n_in: hw,
            n_out: l,
            inner: 1,
        };
        let (ho, wo) = win.out_hw();
        let out = [self.shape()[0], self.shape()[1], ho, wo];
        let disjoint = win.stride.0 >= win.kh && win.stride.1 >= win.kw;
        Ok(self.gather_geom(GatherKind::MaxPool2d { disjoint }, geom, &index, &out))
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
/// `dx = col2im(W^T dY)`, `dW = sum_n dY cols^T`, `db = sum dY`. A 1-D
/// convolution (3-D `x` and `w`) is the same with a unit height.
#[track_caller]
pub(crate) fn conv2d_backward(
    g: &Tensor,
    x: &Tensor,
    w: &Tensor,
    win: &Window,
    cols: Option<&Tensor>,
    needs: &[bool],
) -> Vec<Option<Tensor>> {
    let [n, rows, l] = win.cols_shape();
    let o = w.shape()[0];
    let g3 = g.reshape(&[n, o, l]);
    let x4 = x.reshape(&win.input_shape());
    // Transposed operands are read through GEMM strides, not copied.
    let gx = needs[0].then(|| {
        product(&w.reshape(&[o, rows]), true, &g3, false)
            .col2im(win)
            .reshape(x.shape())
    });
    let gw = needs[1].then(|| {
        let same = g.dtype() == x.dtype() && x.dtype() == w.dtype();
        if same && !is_grad_enabled() {
            // No graph to record: one GEMM per sample accumulating into the
            // weight's gradient, not an `(n, o, rows)` stack of products summed.
            let cols = match cols {
                Some(c) => c.clone(),
                None => Tensor::from_storage(im2col(&x.data(), win), &[n, rows, l]),
            };
            let s = matmul_sum(
                Operand {
                    data: &g.data(),
                    shape: &[n, o, l],
                    transposed: false,
                },
                Operand {
                    data: &cols.data(),
                    shape: &[n, rows, l],
                    transposed: true,
                },
            );
            return Tensor::from_storage(s, w.shape());
        }
        product(&g3, false, &x4.im2col(win), true)
            .sum_dim(0, false)
            .reshape(w.shape())
    });
    let mut grads = vec![gx, gw];
    if let Some(&need_b) = needs.get(2) {
        grads.push(need_b.then(|| {
            if is_grad_enabled() {
                g3.sum_dim(2, false).sum_dim(0, false)
            } else {
                Tensor::from_storage(sum_channels(&g.data(), o, l), &[o])
            }
        }));
    }
    grads
}

/// Gradients of a transposed convolution, whose output `y = col2im(W^T x)` lives
/// on the window `win` (`y` is that convolution's input): `dx = W im2col(dY)`
/// (the convolution of `dY`), `dW = sum_n x im2col(dY)^T`, `db = sum dY`.
pub(crate) fn conv_transpose2d_backward(
    g: &Tensor,
    x: &Tensor,
    w: &Tensor,
    win: &Window,
    needs: &[bool],
) -> Vec<Option<Tensor>> {
    let [n, rows, l] = win.cols_shape();
    let c_in = w.shape()[0];
    let cols = g.reshape(&win.input_shape()).im2col(win);
    let gx = needs[0]
        .then(|| product(&w.reshape(&[c_in, rows]), false, &cols, false).reshape(x.shape()));
    let gw = needs[1].then(|| {
        product(&x.reshape(&[n, c_in, l]), false, &cols, true)
            .sum_dim(0, false)
            .reshape(w.shape())
    });
    let mut grads = vec![gx, gw];
    if let Some(&need_b) = needs.get(2) {
        grads.push(need_b.then(|| {
            g.reshape(&[n, win.c, win.h * win.w])
                .sum_dim(2, false)
                .sum_dim(0, false)
        }));
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
