//! `TransformerEncoderLayer`: self-attention and a feed-forward block, each
//! with a residual connection and a layer norm, composed from
//! [`MultiheadAttention`], [`Linear`], [`LayerNorm`] and dropout as PyTorch's
//! `nn.TransformerEncoderLayer` documents it.

use super::{
    functional as F, AttnMask, Kind, LayerNorm, Linear, Module, MultiheadAttention, Visit,
};
use crate::Tensor;

/// The activation of a [`TransformerEncoderLayer`]'s feed-forward block
/// (PyTorch's `activation=` argument, `"relu"` or `"gelu"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `F.relu`, PyTorch's default.
    Relu,
    /// `F.gelu` (exact, `approximate='none'`).
    Gelu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => F::relu(x),
            Activation::Gelu => F::gelu(x),
        }
    }
}

/// One layer of a Transformer encoder (`nn.TransformerEncoderLayer(d_model,
/// nhead)`), with PyTorch's defaults: `dim_feedforward = 2048`, `dropout =
/// 0.1`, `activation = relu`, `layer_norm_eps = 1e-5`, `batch_first = false`,
/// `norm_first = false`, `bias = true`; the others as builder methods of the
/// same names.
///
/// With `norm_first(false)` (post-norm, the default) the layer computes
/// `x = norm1(x + sa(x)); x = norm2(x + ff(x))`, with `norm_first(true)`
/// `x = x + sa(norm1(x)); x = x + ff(norm2(x))`, where `sa` is
/// self-attention followed by dropout and `ff(x) = dropout(linear2(
/// dropout(activation(linear1(x)))))`. Dropout applies in training mode only.
///
/// Parameters, in PyTorch's order and with its `state_dict` names:
/// `self_attn.in_proj_weight`, `self_attn.in_proj_bias`,
/// `self_attn.out_proj.weight`, `self_attn.out_proj.bias`, `linear1.weight`,
/// `linear1.bias`, `linear2.weight`, `linear2.bias`, `norm1.weight`,
/// `norm1.bias`, `norm2.weight`, `norm2.bias` (the biases absent with
/// `bias(false)`). They are drawn in PyTorch's order too (`self_attn`,
/// `linear1`, `linear2`).
///
/// ```
/// use autograd_core::nn::{self, Module};
/// use autograd_core::Tensor;
///
/// autograd_core::manual_seed(0);
/// let layer = nn::TransformerEncoderLayer::new(8, 2).dim_feedforward(16);
/// let y = layer.forward(&Tensor::randn(&[5, 3, 8])); // (S, N, E)
/// assert_eq!(y.shape(), &[5, 3, 8]);
/// assert_eq!(layer.named_parameters()[4].0, "linear1.weight");
/// ```
#[derive(Clone, Debug)]
pub struct TransformerEncoderLayer {
    /// The self-attention block.
    pub self_attn: MultiheadAttention,
    /// `d_model` to `dim_feedforward`.
    pub linear1: Linear,
    /// `dim_feedforward` back to `d_model`.
    pub linear2: Linear,
    /// The norm of the attention block.
    pub norm1: LayerNorm,
    /// The norm of the feed-forward block.
    pub norm2: LayerNorm,
    d_model: usize,
    dim_feedforward: usize,
    dropout: f64,
    activation: Activation,
    norm_first: bool,
    bias: bool,
    training: bool,
}

impl TransformerEncoderLayer {
    /// `nn.TransformerEncoderLayer(d_model, nhead)` with PyTorch's defaults
    /// (see the type's documentation).
    ///
    /// # Panics
    /// If `nhead` does not divide `d_model`.
    #[track_caller]
    pub fn new(d_model: usize, nhead: usize) -> TransformerEncoderLayer {
        let self_attn = MultiheadAttention::new(d_model, nhead).dropout(0.1);
        let dim_feedforward = 2048;
        TransformerEncoderLayer {
            self_attn,
            linear1: Linear::new(d_model, dim_feedforward),
            linear2: Linear::new(dim_feedforward, d_model),
            norm1: LayerNorm::new(&[d_model]),
            norm2: LayerNorm::new(&[d_model]),
            d_model,
            dim_feedforward,
            dropout: 0.1,
            activation: Activation::Relu,
            norm_first: false,
            bias: true,
            training: true,
        }
    }

    /// Draws the feed-forward block's parameters again (PyTorch's `Linear`
    /// init), for the current `dim_feedforward` and `bias`.
    fn redraw_feedforward(&mut self) {
        let (d, f) = (self.d_model, self.dim_feedforward);
        self.linear1 = Linear::new(d, f);
        self.linear2 = Linear::new(f, d);
        if !self.bias {
            self.linear1.bias = None;
            self.linear2.bias = None;
        }
    }

    /// `dim_feedforward=`: the width of the feed-forward block (2048). Draws
    /// `linear1` and `linear2` again.
    pub fn dim_feedforward(mut self, dim_feedforward: usize) -> TransformerEncoderLayer {
        self.dim_feedforward = dim_feedforward;
        self.redraw_feedforward();
        self
    }

    /// `dropout=`: the probability of every dropout of the layer, the
    /// attention weights' included (0.1).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn dropout(mut self, p: f64) -> TransformerEncoderLayer {
        assert!(
            (0.0..=1.0).contains(&p),
            "TransformerEncoderLayer: dropout {p} is not in [0, 1]"
        );
        self.dropout = p;
        self.self_attn = self.self_attn.clone().dropout(p);
        self
    }

    /// `activation=`: the feed-forward block's non-linearity (relu).
    pub fn activation(mut self, activation: Activation) -> TransformerEncoderLayer {
        self.activation = activation;
        self
    }

    /// `layer_norm_eps=`: the `eps` of both layer norms (`1e-5`).
    pub fn layer_norm_eps(mut self, eps: f64) -> TransformerEncoderLayer {
        self.norm1 = self.norm1.clone().eps(eps);
        self.norm2 = self.norm2.clone().eps(eps);
        self
    }

    /// `batch_first=`: inputs and output `(N, S, E)` instead of `(S, N, E)`.
    pub fn batch_first(mut self, batch_first: bool) -> TransformerEncoderLayer {
        self.self_attn = self.self_attn.clone().batch_first(batch_first);
        self
    }

    /// `norm_first=`: layer norms before each block (pre-norm) instead of
    /// after each residual sum.
    pub fn norm_first(mut self, norm_first: bool) -> TransformerEncoderLayer {
        self.norm_first = norm_first;
        self
    }

    /// `bias=`: with `false`, no bias in the linear layers, the attention's
    /// projections or the layer norms (their weights stay). Draws `linear1`
    /// and `linear2` again; the other biases start at zero, as in PyTorch.
    pub fn bias(mut self, bias: bool) -> TransformerEncoderLayer {
        self.bias = bias;
        self.self_attn = self.self_attn.clone().bias(bias);
        self.redraw_feedforward();
        for norm in [&mut self.norm1, &mut self.norm2] {
            norm.bias = bias.then(|| super::init::zeros(&[self.d_model]));
        }
        self
    }

    /// `layer(src, src_mask=.., src_key_padding_mask=..)`. `src` is `(S, N, E)`
    /// (`(N, S, E)` with `batch_first(true)`, or unbatched `(S, E)`);
    /// `src_mask` is `(S, S)` or `(N nhead, S, S)` and `src_key_padding_mask`
    /// `(N, S)` (`(S)` unbatched), each read by [`AttnMask::infer`]: a 0/1
    /// tensor masks out its non-zero positions (PyTorch's `True`), any other
    /// (e.g. `nn.Transformer.generate_square_subsequent_mask`'s `0` and `-inf`)
    /// is added to the attention scores.
    ///
    /// A query whose every key is masked out gives `NaN`s here, where
    /// PyTorch's fused attention path gives zeros for that position.
    ///
    /// # Panics
    /// If the shapes do not fit (the message names them).
    #[track_caller]
    pub fn forward_with(
        &self,
        src: &Tensor,
        src_mask: Option<&Tensor>,
        src_key_padding_mask: Option<&Tensor>,
    ) -> Tensor {
        self.forward_masks(
            src,
            src_mask.map(AttnMask::infer),
            src_key_padding_mask.map(AttnMask::infer),
        )
    }

    /// [`TransformerEncoderLayer::forward_with`] with the masks' reading given.
    ///
    /// # Panics
    /// If the shapes do not fit (the message names them).
    #[track_caller]
    pub fn forward_masks(
        &self,
        src: &Tensor,
        src_mask: Option<AttnMask<'_>>,
        src_key_padding_mask: Option<AttnMask<'_>>,
    ) -> Tensor {
        let sa = |x: &Tensor| {
            let (y, _) = self
                .self_attn
                .forward_masks(x, x, x, src_mask, src_key_padding_mask);
            F::dropout(&y, self.dropout, self.training)
        };
        let ff = |x: &Tensor| {
            let h = self.activation.apply(&self.linear1.forward(x));
            let h = F::dropout(&h, self.dropout, self.training);
            F::dropout(&self.linear2.forward(&h), self.dropout, self.training)
        };
        let x = src.clone();
        if self.norm_first {
            let x = &x + sa(&self.norm1.forward(&x));
            &x + ff(&self.norm2.forward(&x))
        } else {
            let x = self.norm1.forward(&(&x + sa(&x)));
            self.norm2.forward(&(&x + ff(&x)))
        }
    }
}

impl Module for TransformerEncoderLayer {
    /// `forward_with(input, None, None)`.
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_with(input, None, None)
    }
}

impl Visit for TransformerEncoderLayer {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        let join = super::join;
        self.self_attn
            .visit_tensors(&join(path, "self_attn"), kind, f);
        self.linear1.visit_tensors(&join(path, "linear1"), kind, f);
        self.linear2.visit_tensors(&join(path, "linear2"), kind, f);
        self.norm1.visit_tensors(&join(path, "norm1"), kind, f);
        self.norm2.visit_tensors(&join(path, "norm2"), kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
        self.self_attn.apply_training(mode);
        self.linear1.apply_training(mode);
        self.linear2.apply_training(mode);
        self.norm1.apply_training(mode);
        self.norm2.apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}
