//! `Conv1d`, `Conv2d`, `ConvTranspose2d`, `MaxPool2d`, `AvgPool2d`,
//! `AdaptiveAvgPool2d`.

use super::linear::stateless_visit;
use super::{functional as F, init, Kind, Module, Visit};
use crate::Tensor;

/// What the three convolutions share: the builders `stride`, `padding` (its
/// doc given, the meaning differing), `dilation` and `no_bias`, and the
/// [`Visit`] of a `weight` and an optional `bias`.
macro_rules! conv_common {
    ($ty:ident, $padding_doc:literal) => {
        impl $ty {
            /// `stride=`.
            pub fn stride(mut self, stride: usize) -> $ty {
                self.stride = stride;
                self
            }

            #[doc = $padding_doc]
            pub fn padding(mut self, padding: usize) -> $ty {
                self.padding = padding;
                self
            }

            /// `dilation=`: spacing between kernel elements.
            pub fn dilation(mut self, dilation: usize) -> $ty {
                self.dilation = dilation;
                self
            }

            /// Removes the bias (`bias=False`).
            pub fn no_bias(mut self) -> $ty {
                self.bias = None;
                self
            }
        }

        impl Visit for $ty {
            fn visit_tensors(
                &self,
                path: &str,
                _kind: Kind,
                f: &mut dyn FnMut(&str, &Tensor, Kind),
            ) {
                super::visit_weight_and_bias(path, &self.weight, self.bias.as_ref(), f);
            }
            fn apply_training(&mut self, mode: bool) {
                self.training = mode;
            }
            fn training_flag(&self) -> Option<bool> {
                Some(self.training)
            }
        }
    };
}

/// A convolution's weight and bias drawn again for `groups` groups: the
/// weight's shape with dimension 1 set to `grouped / groups` (`grouped` being
/// the input channels of a convolution, the output channels of a transposed
/// one), PyTorch's init for that shape.
///
/// # Panics
/// If `groups` does not divide both channel counts.
#[track_caller]
fn regroup(
    name: &str,
    weight: &Tensor,
    bias: bool,
    in_channels: usize,
    out_channels: usize,
    grouped: usize,
    groups: usize,
) -> (Tensor, Option<Tensor>) {
    assert!(
        groups > 0 && in_channels.is_multiple_of(groups) && out_channels.is_multiple_of(groups),
        "{name}: groups {groups} must divide in_channels {in_channels} and out_channels {out_channels}"
    );
    let mut shape = weight.shape().to_vec();
    shape[1] = grouped / groups;
    init::layer_parameters(&shape, bias.then_some(out_channels))
}

/// 2-D convolution over `(n, c, h, w)` images (`nn.Conv2d`): weight
/// `(out_channels, in_channels / groups, k, k)` and bias `(out_channels)`, both
/// initialised as PyTorch does (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, `fan_in =
/// in_channels / groups * k * k`). Stride, padding, dilation and groups are
/// builder methods; each applies to both directions.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// `(out_channels, in_channels / groups, k, k)`.
    pub weight: Tensor,
    /// `(out_channels)`, absent after [`Conv2d::no_bias`].
    pub bias: Option<Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
    training: bool,
}

impl Conv2d {
    /// `nn.Conv2d(in_channels, out_channels, kernel_size)`: stride 1, no padding.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Conv2d {
        let (weight, bias) = init::layer_parameters(
            &[out_channels, in_channels, kernel_size, kernel_size],
            Some(out_channels),
        );
        Conv2d {
            weight,
            bias,
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
            training: true,
        }
    }

    /// `groups=`: channels split into `groups` independent convolutions. The
    /// weight is drawn again with its new shape `(out, in / groups, k, k)`.
    ///
    /// # Panics
    /// If `groups` does not divide both channel counts.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> Conv2d {
        let cin = self.weight.shape()[1];
        let cout = self.weight.shape()[0];
        (self.weight, self.bias) = regroup(
            "Conv2d",
            &self.weight,
            self.bias.is_some(),
            cin,
            cout,
            cin,
            groups,
        );
        self.groups = groups;
        self
    }
}

impl Module for Conv2d {
    /// # Panics
    /// If the input is not `(n, in_channels, h, w)` or smaller than the kernel.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::try_conv2d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// 1-D convolution over `(n, c, l)` sequences (`nn.Conv1d`): weight
/// `(out_channels, in_channels / groups, k)` and bias `(out_channels)`, both
/// initialised as PyTorch does (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, `fan_in =
/// in_channels / groups * k`). Stride, padding, dilation and groups are builder
/// methods, as for [`Conv2d`].
#[derive(Clone, Debug)]
pub struct Conv1d {
    /// `(out_channels, in_channels / groups, k)`.
    pub weight: Tensor,
    /// `(out_channels)`, absent after [`Conv1d::no_bias`].
    pub bias: Option<Tensor>,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
    training: bool,
}

impl Conv1d {
    /// `nn.Conv1d(in_channels, out_channels, kernel_size)`: stride 1, no padding.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Conv1d {
        let (weight, bias) = init::layer_parameters(
            &[out_channels, in_channels, kernel_size],
            Some(out_channels),
        );
        Conv1d {
            weight,
            bias,
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
            training: true,
        }
    }

    /// `groups=`: channels split into `groups` independent convolutions. The
    /// weight is drawn again with its new shape `(out, in / groups, k)`.
    ///
    /// # Panics
    /// If `groups` does not divide both channel counts.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> Conv1d {
        let cin = self.weight.shape()[1];
        let cout = self.weight.shape()[0];
        (self.weight, self.bias) = regroup(
            "Conv1d",
            &self.weight,
            self.bias.is_some(),
            cin,
            cout,
            cin,
            groups,
        );
        self.groups = groups;
        self
    }
}

impl Module for Conv1d {
    /// # Panics
    /// If the input is not `(n, in_channels, l)` or shorter than the kernel.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::try_conv1d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// 2-D transposed convolution over `(n, c, h, w)` images
/// (`nn.ConvTranspose2d`), the gradient of [`Conv2d`] with respect to its input:
/// weight `(in_channels, out_channels / groups, k, k)` (PyTorch's layout, input
/// channels first) and bias `(out_channels)`, initialised as PyTorch does
/// (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))` with PyTorch's `fan_in` of that
/// weight, `out_channels / groups * k * k`). The output is `(h - 1) stride - 2
/// padding + dilation (k - 1) + output_padding + 1` high, and as wide.
#[derive(Clone, Debug)]
pub struct ConvTranspose2d {
    /// `(in_channels, out_channels / groups, k, k)`.
    pub weight: Tensor,
    /// `(out_channels)`, absent after [`ConvTranspose2d::no_bias`].
    pub bias: Option<Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
    groups: usize,
    training: bool,
}

impl ConvTranspose2d {
    /// `nn.ConvTranspose2d(in_channels, out_channels, kernel_size)`: stride 1,
    /// no padding.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> ConvTranspose2d {
        let (weight, bias) = init::layer_parameters(
            &[in_channels, out_channels, kernel_size, kernel_size],
            Some(out_channels),
        );
        ConvTranspose2d {
            weight,
            bias,
            stride: 1,
            padding: 0,
            output_padding: 0,
            dilation: 1,
            groups: 1,
            training: true,
        }
    }

    /// `output_padding=`: rows and columns added to one side (bottom, right) of
    /// the output, to pick among the output sizes a strided [`Conv2d`] maps to
    /// the same input size; must be smaller than `stride`.
    pub fn output_padding(mut self, output_padding: usize) -> ConvTranspose2d {
        self.output_padding = output_padding;
        self
    }

    /// `groups=`: channels split into `groups` independent transposed
    /// convolutions. The weight is drawn again with its new shape `(in, out /
    /// groups, k, k)`.
    ///
    /// # Panics
    /// If `groups` does not divide both channel counts.
    #[track_caller]
    pub fn groups(mut self, groups: usize) -> ConvTranspose2d {
        let cin = self.weight.shape()[0];
        let cout = self
            .bias
            .as_ref()
            .map_or(self.weight.shape()[1] * self.groups, |b| b.shape()[0]);
        (self.weight, self.bias) = regroup(
            "ConvTranspose2d",
            &self.weight,
            self.bias.is_some(),
            cin,
            cout,
            cout,
            groups,
        );
        self.groups = groups;
        self
    }
}

impl Module for ConvTranspose2d {
    /// # Panics
    /// If the input is not `(n, in_channels, h, w)`, or the padding leaves no
    /// output, or `output_padding >= stride`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::try_conv_transpose2d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }
}

conv_common!(Conv2d, "`padding=`: zeros added on every side.");
conv_common!(Conv1d, "`padding=`: zeros added at both ends.");
conv_common!(
    ConvTranspose2d,
    "`padding=`: `dilation (k - 1) - padding` zeros of implicit padding on every side of the input, i.e. `padding` rows and columns cut from every side of the full output."
);

/// Maximum over `k x k` windows (`nn.MaxPool2d(k)`), stride `k` and no padding
/// unless set.
#[derive(Clone, Debug)]
pub struct MaxPool2d {
    kernel_size: usize,
    stride: usize,
    padding: usize,
    training: bool,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(kernel_size)`: stride `kernel_size`, no padding.
    pub fn new(kernel_size: usize) -> MaxPool2d {
        MaxPool2d {
            kernel_size,
            stride: kernel_size,
            padding: 0,
            training: true,
        }
    }

    /// `stride=`.
    pub fn stride(mut self, stride: usize) -> MaxPool2d {
        self.stride = stride;
        self
    }

    /// `padding=`: at most `kernel_size / 2` on every side.
    pub fn padding(mut self, padding: usize) -> MaxPool2d {
        self.padding = padding;
        self
    }
}

impl Module for MaxPool2d {
    /// # Panics
    /// If the input is not `(n, c, h, w)` or smaller than the kernel.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::max_pool2d_with(input, self.kernel_size, self.stride, self.padding)
    }
}

/// Mean over `k x k` windows (`nn.AvgPool2d(k)`), stride `k` and no padding
/// unless set; padding zeros count in the mean (`count_include_pad=True`).
#[derive(Clone, Debug)]
pub struct AvgPool2d {
    kernel_size: usize,
    stride: usize,
    padding: usize,
    training: bool,
}

impl AvgPool2d {
    /// `nn.AvgPool2d(kernel_size)`: stride `kernel_size`, no padding.
    pub fn new(kernel_size: usize) -> AvgPool2d {
        AvgPool2d {
            kernel_size,
            stride: kernel_size,
            padding: 0,
            training: true,
        }
    }

    /// `stride=`.
    pub fn stride(mut self, stride: usize) -> AvgPool2d {
        self.stride = stride;
        self
    }

    /// `padding=`: at most `kernel_size / 2` on every side.
    pub fn padding(mut self, padding: usize) -> AvgPool2d {
        self.padding = padding;
        self
    }
}

impl Module for AvgPool2d {
    /// # Panics
    /// If the input is not `(n, c, h, w)` or smaller than the kernel.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::avg_pool2d_with(input, self.kernel_size, self.stride, self.padding)
    }
}

/// Average pooling to a fixed output size whatever the input's
/// (`nn.AdaptiveAvgPool2d((out_h, out_w))`), with PyTorch's windows: output row
/// `i` averages input rows `floor(i h / out_h) .. ceil((i + 1) h / out_h)`, and
/// columns likewise (see [`F::adaptive_avg_pool2d`]).
#[derive(Clone, Debug)]
pub struct AdaptiveAvgPool2d {
    output_size: (usize, usize),
    training: bool,
}

impl AdaptiveAvgPool2d {
    /// `nn.AdaptiveAvgPool2d((out_h, out_w))`.
    pub fn new(output_size: (usize, usize)) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d {
            output_size,
            training: true,
        }
    }
}

impl Module for AdaptiveAvgPool2d {
    /// # Panics
    /// If the input is not `(n, c, h, w)` or `(c, h, w)`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::adaptive_avg_pool2d(input, self.output_size)
    }
}

stateless_visit!(MaxPool2d, AvgPool2d, AdaptiveAvgPool2d);
