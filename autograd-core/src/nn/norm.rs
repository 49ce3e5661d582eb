//! `BatchNorm1d`, `BatchNorm2d`, `LayerNorm`, `GroupNorm`.

use super::{functional as F, init, Kind, Module, Visit};
use crate::Tensor;

/// What the two batch norms share.
#[derive(Clone, Debug)]
struct BatchNorm {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    running_mean: Option<Tensor>,
    running_var: Option<Tensor>,
    num_batches_tracked: Option<Tensor>,
    eps: f64,
    momentum: f64,
    training: bool,
}

impl BatchNorm {
    fn new(num_features: usize) -> BatchNorm {
        BatchNorm {
            weight: Some(init::ones(&[num_features])),
            bias: Some(init::zeros(&[num_features])),
            running_mean: Some(Tensor::zeros(&[num_features])),
            running_var: Some(Tensor::ones(&[num_features])),
            num_batches_tracked: Some(Tensor::zeros(&[])),
            eps: 1e-5,
            momentum: 0.1,
            training: true,
        }
    }

    fn forward(&self, x: &Tensor, ranks: &[usize], name: &str) -> Tensor {
        assert!(
            ranks.contains(&x.ndim()),
            "{name}: expected an input of rank {ranks:?}, got shape {:?}",
            x.shape()
        );
        let c = self
            .weight
            .as_ref()
            .or(self.running_mean.as_ref())
            .map(|t| t.shape()[0]);
        if let Some(c) = c {
            assert!(
                x.shape()[1] == c,
                "{name}: expected {c} channels in dimension 1, got shape {:?}",
                x.shape()
            );
        }
        if self.training {
            if let Some(n) = &self.num_batches_tracked {
                crate::no_grad(|| n.add_(&Tensor::ones(&[])));
            }
        }
        F::batch_norm(
            x,
            self.running_mean.as_ref(),
            self.running_var.as_ref(),
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.training || self.running_mean.is_none(),
            self.momentum,
            self.eps,
        )
    }

    fn visit(&self, path: &str, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        let j = |n: &str| super::join(path, n);
        if let Some(w) = &self.weight {
            f(&j("weight"), w, Kind::Parameter);
        }
        if let Some(b) = &self.bias {
            f(&j("bias"), b, Kind::Parameter);
        }
        if let Some(m) = &self.running_mean {
            f(&j("running_mean"), m, Kind::Buffer);
        }
        if let Some(v) = &self.running_var {
            f(&j("running_var"), v, Kind::Buffer);
        }
        if let Some(n) = &self.num_batches_tracked {
            f(&j("num_batches_tracked"), n, Kind::Buffer);
        }
    }
}

macro_rules! batch_norm {
    ($(#[$doc:meta])* $name:ident, $ranks:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(BatchNorm);

        impl $name {
            #[doc = concat!("`nn.", stringify!($name), "(num_features)`: `eps = 1e-5`, `momentum = 0.1`, affine, tracking running statistics.")]
            pub fn new(num_features: usize) -> $name {
                $name(BatchNorm::new(num_features))
            }

            /// `eps=`, added to the variance.
            pub fn eps(mut self, eps: f64) -> $name {
                self.0.eps = eps;
                self
            }

            /// `momentum=`: `running = (1 - momentum) running + momentum batch`.
            pub fn momentum(mut self, momentum: f64) -> $name {
                self.0.momentum = momentum;
                self
            }

            /// `affine=False`: no weight or bias.
            pub fn no_affine(mut self) -> $name {
                self.0.weight = None;
                self.0.bias = None;
                self
            }

            /// `track_running_stats=False`: always normalise by the batch.
            pub fn no_running_stats(mut self) -> $name {
                self.0.running_mean = None;
                self.0.running_var = None;
                self.0.num_batches_tracked = None;
                self
            }

            /// The running mean (a buffer), if tracked.
            pub fn running_mean(&self) -> Option<&Tensor> {
                self.0.running_mean.as_ref()
            }

            /// The number of training batches seen (a rank-0 buffer, an integer in
            /// PyTorch's checkpoints, `f32` here), if tracked.
            pub fn num_batches_tracked(&self) -> Option<&Tensor> {
                self.0.num_batches_tracked.as_ref()
            }

            /// The running variance (a buffer), if tracked.
            pub fn running_var(&self) -> Option<&Tensor> {
                self.0.running_var.as_ref()
            }

            /// The scale (a parameter), unless `no_affine`.
            pub fn weight(&self) -> Option<&Tensor> {
                self.0.weight.as_ref()
            }

            /// The shift (a parameter), unless `no_affine`.
            pub fn bias(&self) -> Option<&Tensor> {
                self.0.bias.as_ref()
            }
        }

        impl Module for $name {
            /// # Panics
            /// If the input's rank or channel count does not fit.
            fn forward(&self, input: &Tensor) -> Tensor {
                self.0.forward(input, &$ranks, stringify!($name))
            }
        }

        impl Visit for $name {
            fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
                self.0.visit(path, f);
            }
            fn apply_training(&mut self, mode: bool) {
                self.0.training = mode;
            }
            fn training_flag(&self) -> Option<bool> {
                Some(self.0.training)
            }
        }
    };
}

batch_norm!(
    /// Batch normalisation of `(n, c)` or `(n, c, l)` inputs over all but the
    /// channel dimension (`nn.BatchNorm1d`). In training mode it normalises by the
    /// batch statistics and updates the running ones; in evaluation mode it uses
    /// the running ones.
    BatchNorm1d,
    [2, 3]
);
batch_norm!(
    /// Batch normalisation of `(n, c, h, w)` images per channel
    /// (`nn.BatchNorm2d`); see [`BatchNorm1d`].
    BatchNorm2d,
    [4]
);

/// Normalisation over the trailing `normalized_shape` dimensions of each sample
/// (`nn.LayerNorm`), with a weight of ones and a bias of zeros of that shape.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    normalized_shape: Vec<usize>,
    /// Scale, `normalized_shape`.
    pub weight: Option<Tensor>,
    /// Shift, `normalized_shape`.
    pub bias: Option<Tensor>,
    eps: f64,
    training: bool,
}

impl LayerNorm {
    /// `nn.LayerNorm(normalized_shape)`: `eps = 1e-5`, element-wise affine.
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            weight: Some(init::ones(normalized_shape)),
            bias: Some(init::zeros(normalized_shape)),
            eps: 1e-5,
            training: true,
        }
    }

    /// `eps=`.
    pub fn eps(mut self, eps: f64) -> LayerNorm {
        self.eps = eps;
        self
    }

    /// `elementwise_affine=False`.
    pub fn no_affine(mut self) -> LayerNorm {
        self.weight = None;
        self.bias = None;
        self
    }
}

impl Module for LayerNorm {
    /// # Panics
    /// If the input does not end with `normalized_shape`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::layer_norm(
            input,
            &self.normalized_shape,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
}

impl Visit for LayerNorm {
    fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        if let Some(w) = &self.weight {
            f(&super::join(path, "weight"), w, Kind::Parameter);
        }
        if let Some(b) = &self.bias {
            f(&super::join(path, "bias"), b, Kind::Parameter);
        }
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}

/// Normalisation over groups of channels (`nn.GroupNorm`): the channels of an
/// `(n, c, ..)` input split into `num_groups` groups, each sample's group
/// normalised by its own statistics (see [`F::group_norm`]), then a per-channel
/// weight (ones) and bias (zeros), as PyTorch initialises them. Training and
/// evaluation modes compute the same.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    num_groups: usize,
    /// Scale, `(num_channels)`.
    pub weight: Option<Tensor>,
    /// Shift, `(num_channels)`.
    pub bias: Option<Tensor>,
    eps: f64,
    training: bool,
}

impl GroupNorm {
    /// `nn.GroupNorm(num_groups, num_channels)`: `eps = 1e-5`, affine.
    ///
    /// # Panics
    /// If `num_groups` does not divide `num_channels`.
    #[track_caller]
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        assert!(
            num_groups > 0 && num_channels.is_multiple_of(num_groups),
            "GroupNorm: num_channels {num_channels} must be divisible by num_groups {num_groups}"
        );
        GroupNorm {
            num_groups,
            weight: Some(init::ones(&[num_channels])),
            bias: Some(init::zeros(&[num_channels])),
            eps: 1e-5,
            training: true,
        }
    }

    /// `eps=`, added to the variance.
    pub fn eps(mut self, eps: f64) -> GroupNorm {
        self.eps = eps;
        self
    }

    /// `affine=False`: no weight or bias.
    pub fn no_affine(mut self) -> GroupNorm {
        self.weight = None;
        self.bias = None;
        self
    }
}

impl Module for GroupNorm {
    /// # Panics
    /// If the input is not `(n, num_channels, ..)`.
    fn forward(&self, input: &Tensor) -> Tensor {
        F::try_group_norm(
            input,
            self.num_groups,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
        .unwrap_or_else(|e| panic!("GroupNorm: {e}"))
    }
}

impl Visit for GroupNorm {
    fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        if let Some(w) = &self.weight {
            f(&super::join(path, "weight"), w, Kind::Parameter);
        }
        if let Some(b) = &self.bias {
            f(&super::join(path, "bias"), b, Kind::Parameter);
        }
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}
