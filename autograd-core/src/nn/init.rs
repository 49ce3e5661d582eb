//! Parameter initialisation (PyTorch's `torch.nn.init`), drawn from the generator
//! seeded by [`crate::manual_seed`]. Every function returns a new `f32` leaf that
//! requires grad, ready to be a parameter.

use crate::Tensor;

/// Samples of `U(low, high)` (`nn.init.uniform_`).
pub fn uniform(shape: &[usize], low: f64, high: f64) -> Tensor {
    (Tensor::rand(shape) * (high - low) + low).requires_grad_(true)
}

/// Samples of `N(mean, std^2)` (`nn.init.normal_`).
pub fn normal(shape: &[usize], mean: f64, std: f64) -> Tensor {
    (Tensor::randn(shape) * std + mean).requires_grad_(true)
}

/// Zeros (`nn.init.zeros_`).
pub fn zeros(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape).requires_grad_(true)
}

/// Ones (`nn.init.ones_`).
pub fn ones(shape: &[usize]) -> Tensor {
    Tensor::ones(shape).requires_grad_(true)
}

/// `fan_in` and `fan_out` of a weight shape, PyTorch's
/// `_calculate_fan_in_and_fan_out`: `(in, out)` of a matrix `(out, in)`, times the
/// receptive field size for convolution weights `(out, in, kh, kw)`.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    let receptive: usize = shape.iter().skip(2).product();
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, inp, ..] => (inp * receptive, out * receptive),
    }
}

/// He's uniform initialisation for a leaky ReLU of negative slope `a`
/// (`nn.init.kaiming_uniform_(w, a)`, fan-in mode): `U(-b, b)` with
/// `b = sqrt(6 / ((1 + a^2) fan_in))`. Linear and convolution layers use
/// `a = sqrt(5)`, which gives `b = 1 / sqrt(fan_in)`.
pub fn kaiming_uniform(shape: &[usize], a: f64) -> Tensor {
    let (fan_in, _) = fans(shape);
    let bound = (6.0 / ((1.0 + a * a) * fan_in.max(1) as f64)).sqrt();
    uniform(shape, -bound, bound)
}

/// Glorot's uniform initialisation (`nn.init.xavier_uniform_`): `U(-b, b)` with
/// `b = gain sqrt(6 / (fan_in + fan_out))`.
pub fn xavier_uniform(shape: &[usize], gain: f64) -> Tensor {
    let (fan_in, fan_out) = fans(shape);
    let bound = gain * (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
    uniform(shape, -bound, bound)
}

/// The weight and bias of PyTorch's `Linear` and `Conv2d` (`reset_parameters`):
/// the weight from [`kaiming_uniform`] with `a = sqrt(5)`, the bias from
/// `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
pub(crate) fn layer_parameters(weight: &[usize], bias: Option<usize>) -> (Tensor, Option<Tensor>) {
    let w = kaiming_uniform(weight, 5f64.sqrt());
    let (fan_in, _) = fans(weight);
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    (w, bias.map(|n| uniform(&[n], -bound, bound)))
}
