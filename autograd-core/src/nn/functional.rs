//! Layers and losses as functions (PyTorch's `torch.nn.functional`).
//!
//! The layers in [`crate::nn`] call these. Everything here is composed of
//! differentiable tensor ops, so it is differentiable to any order, except
//! [`erf`] (and so [`gelu`]), a custom function whose backward is written in
//! tensor ops.

use crate::error::Result;
use crate::{no_grad, Error, Function, FunctionCtx, Tensor};

pub use super::loss::{
    binary_cross_entropy, binary_cross_entropy_with, binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_with, cross_entropy, cross_entropy_with, huber_loss,
    huber_loss_with, l1_loss, l1_loss_with, mse_loss, mse_loss_with, nll_loss, nll_loss_with,
    smooth_l1_loss, smooth_l1_loss_with,
};

/// `max(x, 0)` (`F.relu`).
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// `x` where positive, `negative_slope * x` elsewhere (`F.leaky_relu`; PyTorch's
/// default slope is `0.01`). The gradient at 0 is `negative_slope`, as PyTorch's.
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    Tensor::where_(&x.gt_scalar(0.0), x, &(x * negative_slope))
}

/// `tanh(x)` (`F.tanh`).
pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}

/// `1 / (1 + exp(-x))` (`F.sigmoid`).
pub fn sigmoid(x: &Tensor) -> Tensor {
    x.sigmoid()
}

/// `ln(1 + exp(x))`, stable for large `|x|` (`F.softplus`): `logsumexp` of `0`
/// and `x`, whose gradient is exactly `sigmoid(x)` everywhere, `0` included.
pub fn softplus(x: &Tensor) -> Tensor {
    Tensor::stack(&[x.zeros_like(), x.clone()], -1).logsumexp(-1, false)
}

/// The Gauss error function, element-wise (`torch.erf`), with derivative
/// `2/sqrt(pi) exp(-x^2)`. Values are accurate to about `1e-13`.
pub fn erf(x: &Tensor) -> Tensor {
    Erf.apply(x)
}

/// Gaussian error linear unit `x Phi(x) = x (1 + erf(x / sqrt 2)) / 2`
/// (`F.gelu`, `approximate='none'`).
pub fn gelu(x: &Tensor) -> Tensor {
    x * (erf(&(x * std::f64::consts::FRAC_1_SQRT_2)) + 1.0) * 0.5
}

/// The tanh approximation of GELU (`F.gelu(x, approximate='tanh')`):
/// `x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2`.
pub fn gelu_tanh(x: &Tensor) -> Tensor {
    let c = (2.0 / std::f64::consts::PI).sqrt();
    x * (((x + x.pow(3.0) * 0.044715) * c).tanh() + 1.0) * 0.5
}

/// `softmax` along `dim` (`F.softmax`).
pub fn softmax(x: &Tensor, dim: i64) -> Tensor {
    x.softmax(dim)
}

/// `log_softmax` along `dim` (`F.log_softmax`).
pub fn log_softmax(x: &Tensor, dim: i64) -> Tensor {
    x.log_softmax(dim)
}

/// `x W^T + b` over the last dimension of `x`, with `weight` of shape
/// `(out, in)` and `bias` of shape `(out)` (`F.linear`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    if let Some(y) = crate::tensor::linear(x, weight, bias) {
        return y;
    }
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

/// 2-D convolution with everything `nn.Conv2d` takes (`F.conv2d`): `(n, c, h,
/// w)` input, `(o, c / groups, kh, kw)` weight, optional `(o)` bias, the same
/// stride, zero padding and dilation in both directions.
///
/// Dilation is a convolution with the kernel spread out by zeros (built with two
/// matrix products, so the weight's gradient flows back); groups convolve
/// channel slices separately and concatenate the results.
///
/// # Errors
/// When the shapes do not fit, or `groups` does not divide both channel counts.
pub fn try_conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
) -> Result<Tensor> {
    let ws = weight.shape().to_vec();
    if ws.len() != 4 || x.ndim() != 4 {
        return Err(conv_error(
            "conv2d",
            x,
            &ws,
            "expected input (n, c, h, w) and weight (o, c / groups, kh, kw)".into(),
        ));
    }
    check_groups("conv2d", x, &ws, groups, dilation, ws[1], ws[0])?;
    let w = dilate(weight, dilation, 2)?;
    let (cin, cout) = (ws[1], ws[0] / groups);
    per_group(x, &w, bias, groups, (cin, cout, cout), |xg, wg, bg| {
        xg.try_conv2d(wg, bg, stride, padding)
    })
}

/// 1-D convolution with everything `nn.Conv1d` takes (`F.conv1d`): `(n, c, l)`
/// input, `(o, c / groups, k)` weight, optional `(o)` bias, stride, zero padding,
/// dilation and groups. Without dilation or groups it is one
/// `ConvolutionBackward0` node (the 2-D kernel with a unit height); dilation and
/// groups are composed as in [`try_conv2d`].
///
/// # Errors
/// When the shapes do not fit, or `groups` does not divide both channel counts.
pub fn try_conv1d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
) -> Result<Tensor> {
    let ws = weight.shape().to_vec();
    if ws.len() != 3 || x.ndim() != 3 {
        return Err(conv_error(
            "conv1d",
            x,
            &ws,
            "expected input (n, c, l) and weight (o, c / groups, k)".into(),
        ));
    }
    check_groups("conv1d", x, &ws, groups, dilation, ws[1], ws[0])?;
    let w = dilate(weight, dilation, 1)?;
    let (cin, cout) = (ws[1], ws[0] / groups);
    per_group(x, &w, bias, groups, (cin, cout, cout), |xg, wg, bg| {
        xg.try_conv1d(wg, bg, stride, padding)
    })
}

/// [`try_conv1d`] with stride 1, no padding, no dilation, one group
/// (`F.conv1d(x, w, b)`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn conv1d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    ok(try_conv1d(x, weight, bias, 1, 0, 1, 1))
}

/// 2-D transposed convolution with everything `nn.ConvTranspose2d` takes
/// (`F.conv_transpose2d`): `(n, c_in, h, w)` input, `(c_in, c_out / groups, kh,
/// kw)` weight, optional `(c_out)` bias; the output is `(n, c_out, ho, wo)` with
/// `ho = (h - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1`
/// (PyTorch's formula), and likewise `wo`. Without dilation or groups it is one
/// `ConvolutionBackward0` node; dilation spreads the kernel and groups split the
/// channels as in [`try_conv2d`].
///
/// # Errors
/// When the shapes do not fit, `groups` does not divide both channel counts,
/// or the padding leaves no output; when `output_padding` is not smaller than
/// `stride` (PyTorch also allows it below `dilation` instead; not supported
/// here).
#[allow(clippy::too_many_arguments)]
pub fn try_conv_transpose2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
    groups: usize,
    dilation: usize,
) -> Result<Tensor> {
    let ws = weight.shape().to_vec();
    if ws.len() != 4 || x.ndim() != 4 {
        return Err(conv_error(
            "conv_transpose2d",
            x,
            &ws,
            "expected input (n, c_in, h, w) and weight (c_in, c_out / groups, kh, kw)".into(),
        ));
    }
    check_groups(
        "conv_transpose2d",
        x,
        &ws,
        groups,
        dilation,
        ws[0] / groups.max(1),
        ws[0],
    )?;
    let w = dilate(weight, dilation, 2)?;
    let (cin, cout) = (ws[0] / groups, ws[1]);
    per_group(x, &w, bias, groups, (cin, cin, cout), |xg, wg, bg| {
        xg.try_conv_transpose2d(wg, bg, stride, padding, output_padding)
    })
}

/// [`try_conv_transpose2d`] with stride 1, no padding, one group
/// (`F.conv_transpose2d(x, w, b)`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn conv_transpose2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    ok(try_conv_transpose2d(x, weight, bias, 1, 0, 0, 1, 1))
}

/// A shape error of a convolution, the input's shape against the weight's.
fn conv_error(op: &'static str, x: &Tensor, w: &[usize], reason: String) -> Error {
    Error::ShapeMismatch {
        op,
        lhs: x.shape().to_vec(),
        rhs: w.to_vec(),
        reason,
    }
}

/// Checks that the input has `groups * per_group_in` channels and that `groups`
/// divides `divided` (the weight's dimension split between groups).
fn check_groups(
    op: &'static str,
    x: &Tensor,
    ws: &[usize],
    groups: usize,
    dilation: usize,
    per_group_in: usize,
    divided: usize,
) -> Result<()> {
    if groups == 0
        || dilation == 0
        || !divided.is_multiple_of(groups)
        || x.shape()[1] != per_group_in * groups
    {
        return Err(conv_error(
            op,
            x,
            ws,
            format!(
                "with groups = {groups}, the input's channels must be groups * the weight's input channels and the weight's grouped dimension a multiple of groups (dilation {dilation} must be positive)"
            ),
        ));
    }
    Ok(())
}

/// The kernel `weight` spread out by `dilation - 1` zeros between its elements
/// along its last `dims` dimensions, by matrix products with 0/1 matrices so
/// that the weight's gradient flows back.
fn dilate(weight: &Tensor, dilation: usize, dims: usize) -> Result<Tensor> {
    if dilation <= 1 {
        return Ok(weight.clone());
    }
    let spread = |k: usize| {
        let big = dilation * (k - 1) + 1;
        let mut e = vec![0.0; big * k];
        for i in 0..k {
            e[i * dilation * k + i] = 1.0;
        }
        Tensor::from_vec(e, &[big, k]).to_dtype(weight.dtype())
    };
    let ws = weight.shape();
    let r = ws.len();
    let w = weight.try_matmul(&spread(ws[r - 1]).t())?;
    if dims == 1 {
        return Ok(w);
    }
    spread(ws[r - 2]).try_matmul(&w)
}

/// Runs `conv` on each of `groups` slices, `x` cut along dimension 1, the
/// weight along 0 and the bias along 0 into pieces of the sizes `(x, weight,
/// bias)` given, and concatenates the results along dimension 1.
fn per_group(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    groups: usize,
    (xn, wn, bn): (usize, usize, usize),
    conv: impl Fn(&Tensor, &Tensor, Option<&Tensor>) -> Result<Tensor>,
) -> Result<Tensor> {
    if groups == 1 {
        return conv(x, w, bias);
    }
    let parts = (0..groups)
        .map(|g| {
            let xg = x.try_narrow(1, g * xn, xn)?;
            let wg = w.try_narrow(0, g * wn, wn)?;
            let bg = bias.map(|b| b.try_narrow(0, g * bn, bn)).transpose()?;
            conv(&xg, &wg, bg.as_ref())
        })
        .collect::<Result<Vec<_>>>()?;
    Tensor::try_cat(&parts, 1)
}

/// [`try_conv2d`] with stride 1, no padding, no dilation, one group
/// (`F.conv2d(x, w, b)`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    ok(try_conv2d(x, weight, bias, 1, 0, 1, 1))
}

/// Maximum over `kernel_size x kernel_size` windows with stride `kernel_size`
/// (`F.max_pool2d(x, kernel_size)`).
///
/// # Panics
/// If the input is not `(n, c, h, w)` or is smaller than the kernel.
#[track_caller]
pub fn max_pool2d(x: &Tensor, kernel_size: usize) -> Tensor {
    x.max_pool2d(kernel_size, kernel_size)
}

/// Mean over `kernel_size x kernel_size` windows with stride `kernel_size`
/// (`F.avg_pool2d(x, kernel_size)`).
///
/// # Panics
/// If the input is not `(n, c, h, w)` or is smaller than the kernel.
#[track_caller]
pub fn avg_pool2d(x: &Tensor, kernel_size: usize) -> Tensor {
    x.avg_pool2d(kernel_size, kernel_size)
}

/// Pads the last two dimensions of `x` with `padding` elements of `value` on
/// every side (`F.pad(x, (p, p, p, p), value=value)`), by concatenation, so the
/// gradient flows back to `x`.
///
/// # Panics
/// If `x` has fewer than two dimensions.
#[track_caller]
pub fn pad2d(x: &Tensor, padding: usize, value: f64) -> Tensor {
    assert!(
        x.ndim() >= 2,
        "pad2d: expected at least two dimensions, got shape {:?}",
        x.shape()
    );
    if padding == 0 {
        return x.clone();
    }
    let r = x.ndim();
    let mut side = x.shape().to_vec();
    side[r - 1] = padding;
    let fill = |shape: &[usize]| Tensor::full(shape, value, x.dtype());
    let wide = Tensor::cat(&[fill(&side), x.clone(), fill(&side)], -1);
    let mut band = wide.shape().to_vec();
    band[r - 2] = padding;
    Tensor::cat(&[fill(&band), wide, fill(&band)], -2)
}

/// Maximum over `kernel_size` windows moved by `stride`, the input padded by
/// `padding` on every side with `-inf` (`F.max_pool2d(x, k, stride, padding)`).
///
/// # Panics
/// If the input is not `(n, c, h, w)`, the padded input is smaller than the
/// kernel, or `padding > kernel_size / 2` (PyTorch's limit).
#[track_caller]
pub fn max_pool2d_with(x: &Tensor, kernel_size: usize, stride: usize, padding: usize) -> Tensor {
    assert!(
        padding <= kernel_size / 2,
        "max_pool2d: padding {padding} should be at most half the kernel size {kernel_size}"
    );
    pad2d(x, padding, f64::NEG_INFINITY).max_pool2d(kernel_size, stride)
}

/// Mean over `kernel_size` windows moved by `stride`, the input padded by
/// `padding` zeros that count in the mean (`F.avg_pool2d(x, k, stride,
/// padding)`, `count_include_pad=True`).
///
/// # Panics
/// If the input is not `(n, c, h, w)`, the padded input is smaller than the
/// kernel, or `padding > kernel_size / 2` (PyTorch's limit).
#[track_caller]
pub fn avg_pool2d_with(x: &Tensor, kernel_size: usize, stride: usize, padding: usize) -> Tensor {
    assert!(
        padding <= kernel_size / 2,
        "avg_pool2d: padding {padding} should be at most half the kernel size {kernel_size}"
    );
    pad2d(x, padding, 0.0).avg_pool2d(kernel_size, stride)
}

/// Dimensions `start_dim..=end_dim` merged into one (`torch.flatten(x,
/// start_dim, end_dim)`; negative dimensions count from the end).
///
/// # Panics
/// If the dimensions are out of range.
#[track_caller]
pub fn flatten(x: &Tensor, start_dim: i64, end_dim: i64) -> Tensor {
    let r = x.ndim() as i64;
    let res = |d: i64| if d < 0 { d + r } else { d };
    let (s, e) = (res(start_dim), res(end_dim));
    if x.ndim() == 0 {
        return x.reshape(&[1]);
    }
    assert!(
        0 <= s && s <= e && e < r,
        "flatten: dimensions {start_dim}..={end_dim} are out of range for a tensor of shape {:?}",
        x.shape()
    );
    let (s, e) = (s as usize, e as usize);
    let sh = x.shape();
    let mut out = sh[..s].to_vec();
    out.push(sh[s..=e].iter().product());
    out.extend_from_slice(&sh[e + 1..]);
    x.reshape(&out)
}

/// Zeroes each element with probability `p` and scales the others by
/// `1 / (1 - p)` when `training` (`F.dropout`); the identity otherwise. The mask
/// comes from the generator seeded by [`crate::manual_seed`].
///
/// # Panics
/// If `p` is not in `[0, 1]`.
#[track_caller]
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout: probability {p} is not in [0, 1]"
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x * 0.0;
    }
    let mask = Tensor::rand(x.shape()).ge_scalar(p).to_dtype(x.dtype()) * (1.0 / (1.0 - p));
    x * mask
}

/// The shape `(1, c, 1, ..)` that broadcasts a per-channel vector over `x`.
fn channel_shape(x: &Tensor) -> Vec<usize> {
    let mut s = vec![1; x.ndim()];
    s[1] = x.shape()[1];
    s
}

/// Mean and biased variance of `x` over every dimension but 1, keeping them.
fn batch_moments(x: &Tensor) -> (Tensor, Tensor) {
    let mean_all = |t: &Tensor| {
        (0..t.ndim())
            .filter(|&d| d != 1)
            .fold(t.clone(), |acc, d| acc.mean_dim(d, true))
    };
    let mean = mean_all(x);
    let var = mean_all(&(x - &mean).square());
    (mean, var)
}

/// Batch normalisation over dimension 1 of an `(n, c, ..)` input
/// (`F.batch_norm`): with `training`, normalises by the batch's mean and biased
/// variance and moves the running statistics (when given) towards them by
/// `momentum`, using the unbiased variance as PyTorch does; otherwise normalises
/// by the running statistics. `weight` and `bias` scale and shift per channel.
///
/// # Panics
/// If the input has fewer than two dimensions, or a statistic is not of shape
/// `(c)`.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn batch_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor {
    assert!(
        x.ndim() >= 2,
        "batch_norm: expected an input of shape (n, c, ..), got {:?}",
        x.shape()
    );
    let cs = channel_shape(x);
    let (mean, var) = match (training, running_mean, running_var) {
        (false, Some(rm), Some(rv)) => (rm.reshape(&cs), rv.reshape(&cs)),
        _ => {
            let (mean, var) = batch_moments(x);
            if training {
                let n = (x.numel() / x.shape()[1]) as f64;
                no_grad(|| {
                    if let Some(rm) = running_mean {
                        let new =
                            rm * (1.0 - momentum) + mean.detach().reshape(rm.shape()) * momentum;
                        rm.copy_(&new);
                    }
                    if let Some(rv) = running_var {
                        let unbiased = var.detach().reshape(rv.shape()) * (n / (n - 1.0).max(1.0));
                        rv.copy_(&(rv * (1.0 - momentum) + unbiased * momentum));
                    }
                });
            }
            (mean, var)
        }
    };
    let mut y = (x - mean) / (var + eps).sqrt();
    if let Some(w) = weight {
        y *= w.reshape(&cs);
    }
    if let Some(b) = bias {
        y += b.reshape(&cs);
    }
    y
}

/// Normalisation over the last `normalized_shape.len()` dimensions (`F.layer_norm`):
/// `(x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance.
///
/// # Panics
/// If the trailing dimensions of `x` are not `normalized_shape`.
#[track_caller]
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let k = normalized_shape.len();
    assert!(
        x.ndim() >= k && x.shape()[x.ndim() - k..] == *normalized_shape,
        "layer_norm: input of shape {:?} does not end with the normalized shape {normalized_shape:?}",
        x.shape()
    );
    let lead = x.shape()[..x.ndim() - k].to_vec();
    let mut flat = lead.clone();
    flat.push(normalized_shape.iter().product());
    let xf = x.reshape(&flat);
    let mean = xf.mean_dim(-1, true);
    let var = (&xf - &mean).square().mean_dim(-1, true);
    let mut y = ((xf - mean) / (var + eps).sqrt()).reshape(x.shape());
    if let Some(w) = weight {
        y *= w;
    }
    if let Some(b) = bias {
        y += b;
    }
    y
}

/// Group normalisation (`F.group_norm`): the `c` channels of an `(n, c, ..)`
/// input split into `num_groups` groups of consecutive channels, each sample's
/// group normalised by its mean and biased variance, `(x - mean) / sqrt(var +
/// eps)`, then scaled and shifted per channel by `weight` and `bias` (`(c)`).
/// Composed of tensor ops (PyTorch records one `NativeGroupNormBackward0`).
///
/// # Errors
/// If the input has fewer than two dimensions, `num_groups` does not divide
/// the channels, or `weight`/`bias` is not `(c)`.
pub fn try_group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    let xs = x.shape().to_vec();
    let bad = |reason: String| Error::InvalidArgument {
        op: "group_norm",
        shape: xs.clone(),
        reason,
    };
    if xs.len() < 2 {
        return Err(bad("expected an input of shape (n, c, ..)".into()));
    }
    let c = xs[1];
    if num_groups == 0 || !c.is_multiple_of(num_groups) {
        return Err(bad(format!(
            "expected the number of channels ({c}) to be divisible by num_groups ({num_groups})"
        )));
    }
    for t in weight.iter().chain(bias.iter()) {
        if t.shape() != [c] {
            return Err(Error::ShapeMismatch {
                op: "group_norm",
                lhs: xs.clone(),
                rhs: t.shape().to_vec(),
                reason: format!("expected a weight and bias of shape ({c})"),
            });
        }
    }
    let xg = x.try_reshape(&[xs[0], num_groups, x.numel() / (xs[0] * num_groups).max(1)])?;
    let mean = xg.mean_dim(-1, true);
    let var = (&xg - &mean).square().mean_dim(-1, true);
    let mut y = ((xg - mean) / (var + eps).sqrt()).reshape(&xs);
    let cs = channel_shape(x);
    if let Some(w) = weight {
        y *= w.reshape(&cs);
    }
    if let Some(b) = bias {
        y += b.reshape(&cs);
    }
    Ok(y)
}

/// [`try_group_norm`] (`F.group_norm(x, num_groups, weight, bias, eps)`).
///
/// # Panics
/// If the shapes do not fit.
#[track_caller]
pub fn group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    ok(try_group_norm(x, num_groups, weight, bias, eps))
}

/// The `(out, len)` matrix of adaptive average pooling along one dimension:
/// row `i` averages the entries `floor(i len / out) .. ceil((i + 1) len / out)`
/// (PyTorch's `start_index` and `end_index`, `AdaptiveAveragePooling2d.cpp`).
fn adaptive_matrix(len: usize, out: usize) -> Vec<f64> {
    let mut m = vec![0.0; out * len];
    for i in 0..out {
        let start = i * len / out;
        let end = ((i + 1) * len).div_ceil(out);
        for j in start..end {
            m[i * len + j] = 1.0 / (end - start) as f64;
        }
    }
    m
}

/// Average pooling of an `(n, c, h, w)` or `(c, h, w)` input to the output
/// size `(out_h, out_w)` whatever the input's (`F.adaptive_avg_pool2d`): output
/// `(i, j)` is the mean over rows `floor(i h / out_h) .. ceil((i + 1) h /
/// out_h)` and the columns found likewise. The window is a product of one per
/// direction, so the pooling is `A_h x A_w^T` with two averaging matrices: two
/// matrix products, whose backward is theirs (PyTorch records one
/// `AdaptiveAvgPool2DBackward0`).
///
/// # Errors
/// If the input is not 3-D or 4-D, or an output or input size is 0.
pub fn try_adaptive_avg_pool2d(x: &Tensor, output_size: (usize, usize)) -> Result<Tensor> {
    let xs = x.shape();
    let (oh, ow) = output_size;
    if !(3..=4).contains(&xs.len()) || oh == 0 || ow == 0 || xs.contains(&0) {
        return Err(Error::InvalidArgument {
            op: "adaptive_avg_pool2d",
            shape: xs.to_vec(),
            reason: format!(
                "expected a non-empty (n, c, h, w) or (c, h, w) input and a positive output size, got {output_size:?}"
            ),
        });
    }
    let (h, w) = (xs[xs.len() - 2], xs[xs.len() - 1]);
    let m = |len, out| Tensor::from_vec(adaptive_matrix(len, out), &[out, len]).to_dtype(x.dtype());
    m(h, oh).try_matmul(&x.try_matmul(&m(w, ow).t())?)
}

/// [`try_adaptive_avg_pool2d`].
///
/// # Panics
/// If the input is not 3-D or 4-D, or a size is 0.
#[track_caller]
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: (usize, usize)) -> Tensor {
    ok(try_adaptive_avg_pool2d(x, output_size))
}

/// The `(out, len)` matrix of linear interpolation along one dimension with
/// `align_corners=False` (PyTorch's `area_pixel_compute_source_index`): output
/// `i` reads the source position `max((i + 0.5) len / out - 0.5, 0)` from its
/// two neighbours, the upper one clamped to the last entry.
fn linear_matrix(len: usize, out: usize) -> Vec<f64> {
    let scale = len as f64 / out as f64;
    let mut m = vec![0.0; out * len];
    for i in 0..out {
        let src = (scale * (i as f64 + 0.5) - 0.5).max(0.0);
        let i0 = (src as usize).min(len - 1);
        let i1 = if i0 < len - 1 { i0 + 1 } else { i0 };
        let l1 = src - i0 as f64;
        m[i * len + i0] += 1.0 - l1;
        m[i * len + i1] += l1;
    }
    m
}

/// The source index of each output of nearest-neighbour resizing (PyTorch's
/// `mode='nearest'`, `nearest_neighbor_compute_source_index`):
/// `min(floor(i * len / out), len - 1)`, the scale computed in `f32` as
/// PyTorch does.
fn nearest_indices(len: usize, out: usize) -> Vec<usize> {
    let scale = len as f32 / out as f32;
    (0..out)
        .map(|i| ((i as f32 * scale).floor() as usize).min(len - 1))
        .collect()
}

/// Resizes the spatial dimensions of `x` to `size` (`F.interpolate(x, size=size,
/// mode=mode)`, `align_corners=False`): `"nearest"` for `(n, c, l)` (`size` of
/// one) or `(n, c, h, w)` (`size` of two) inputs, `"linear"` for `(n, c, l)` and
/// `"bilinear"` for `(n, c, h, w)`. Nearest picks entries with `index_select`;
/// the linear modes are separable, one product per dimension with an
/// interpolation matrix, so both are differentiable to any order.
///
/// # Errors
/// An unknown mode, a mode that does not fit the input's rank, a `size` whose
/// length is not the number of spatial dimensions, or a size of 0.
pub fn try_interpolate(x: &Tensor, size: &[usize], mode: &str) -> Result<Tensor> {
    let xs = x.shape();
    let bad = |reason: String| Error::InvalidArgument {
        op: "interpolate",
        shape: xs.to_vec(),
        reason,
    };
    let spatial = xs.len().saturating_sub(2);
    let rank_ok = match mode {
        "nearest" => spatial == 1 || spatial == 2,
        "linear" => spatial == 1,
        "bilinear" => spatial == 2,
        _ => {
            return Err(bad(format!(
                "unknown mode `{mode}`: expected \"nearest\", \"linear\" or \"bilinear\""
            )))
        }
    };
    if !rank_ok {
        return Err(bad(format!(
            "mode `{mode}` does not take a {}-D input",
            xs.len()
        )));
    }
    if size.len() != spatial || size.contains(&0) || xs.contains(&0) {
        return Err(bad(format!(
            "expected a size of {spatial} positive dimensions for this input, got {size:?}"
        )));
    }
    let mut y = x.clone();
    for (k, &out) in size.iter().enumerate() {
        let d = 2 + k;
        let len = xs[d];
        if out == len {
            continue;
        }
        y = if mode == "nearest" {
            y.try_index_select(d as i64, &nearest_indices(len, out))?
        } else {
            // Along the last dimension y M^T, along the one before M y.
            let m = Tensor::from_vec(linear_matrix(len, out), &[out, len]).to_dtype(x.dtype());
            if d == xs.len() - 1 {
                y.try_matmul(&m.t())?
            } else {
                m.try_matmul(&y)?
            }
        };
    }
    Ok(y)
}

/// [`try_interpolate`].
///
/// # Panics
/// On an unknown mode, or a size or input rank the mode does not take.
#[track_caller]
pub fn interpolate(x: &Tensor, size: &[usize], mode: &str) -> Tensor {
    ok(try_interpolate(x, size, mode))
}

/// Rows of `weight` picked by `indices` (whole numbers in a tensor of any
/// shape); the result has shape `indices.shape() + [weight.shape()[1]]`
/// (`F.embedding`).
///
/// # Panics
/// If an index is negative, not whole, or out of range.
#[track_caller]
pub fn embedding(indices: &Tensor, weight: &Tensor) -> Tensor {
    let idx = class_indices("embedding", indices);
    let mut shape = indices.shape().to_vec();
    shape.push(weight.shape()[1]);
    weight.index_select(0, &idx).reshape(&shape)
}

/// The whole numbers of `t` as indices.
#[track_caller]
pub(crate) fn class_indices(op: &str, t: &Tensor) -> Vec<usize> {
    t.to_vec::<f64>()
        .into_iter()
        .map(|v| {
            assert!(
                v >= 0.0 && v.fract() == 0.0,
                "{op}: expected class indices (whole numbers >= 0), found {v}"
            );
            v as usize
        })
        .collect()
}

#[track_caller]
fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `erf` as a custom node: the value from [`erf_f64`], the derivative in tensor
/// ops.
struct Erf;

impl Function for Erf {
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[Tensor]) -> Result<Tensor> {
        let x = &inputs[0];
        ctx.save_for_backward(x);
        let v: Vec<f64> = x.to_vec::<f64>().into_iter().map(erf_f64).collect();
        Ok(Tensor::from_vec(v, x.shape()).to_dtype(x.dtype()))
    }

    fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let x = &ctx.saved_tensors()[0];
        let d = (-x.square()).exp() * std::f64::consts::FRAC_2_SQRT_PI;
        Ok(vec![Some(g * d)])
    }
}

/// The error function in `f64`: its Maclaurin series below 3 in magnitude, the
/// continued fraction of `erfc` (Abramowitz and Stegun 7.1.14) above.
pub fn erf_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let v = if a < 3.0 {
        // erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
        let (mut term, mut sum, x2) = (a, a, a * a);
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -x2 / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
        let mut f = a;
        for k in (1..60).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * f)
    };
    v.copysign(x)
}
