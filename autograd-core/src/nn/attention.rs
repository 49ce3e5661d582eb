//! `MultiheadAttention` (and the masks it reads).

use super::{functional as F, init, Kind, Linear, Module, Visit};
use crate::Tensor;

/// How [`MultiheadAttention::forward_mask`] reads an attention mask.
#[derive(Clone, Copy, Debug)]
pub enum AttnMask<'a> {
    /// Non-zero entries are positions a query may *not* attend to (PyTorch's
    /// boolean `attn_mask`, `True` = masked out): their scores become `-inf`.
    Bool(&'a Tensor),
    /// Added to the scores before the softmax (PyTorch's float `attn_mask`).
    Additive(&'a Tensor),
}

impl<'a> AttnMask<'a> {
    /// How [`MultiheadAttention::forward_qkv`] reads a mask tensor, there being
    /// no bool dtype: a mask whose entries are all `0` or `1` is boolean
    /// (non-zero = masked out, as everywhere in this crate); any other is
    /// additive (e.g. `0` and `-inf`). An additive mask of only zeros and ones
    /// must be passed as [`AttnMask::Additive`] explicitly.
    pub fn infer(mask: &'a Tensor) -> AttnMask<'a> {
        if mask.to_vec::<f64>().iter().all(|&v| v == 0.0 || v == 1.0) {
            AttnMask::Bool(mask)
        } else {
            AttnMask::Additive(mask)
        }
    }

    /// The mask tensor, however it is read.
    pub fn tensor(&self) -> &'a Tensor {
        match *self {
            AttnMask::Bool(m) | AttnMask::Additive(m) => m,
        }
    }
}

/// Multi-head scaled dot-product attention (`nn.MultiheadAttention(embed_dim,
/// num_heads)`), with PyTorch's parameters, in its order: `in_proj_weight`
/// `(3 embed_dim, embed_dim)` (Xavier uniform), `in_proj_bias` `(3 embed_dim)`
/// (zeros), `out_proj.weight` (a [`Linear`]'s init) and `out_proj.bias` (zeros).
/// Inputs are `(L, N, E)` (or `(N, L, E)` with `batch_first(true)`, or
/// unbatched `(L, E)`), as in PyTorch; queries are scaled by `1 / sqrt(E /
/// num_heads)`, and dropout on the attention weights applies in training mode.
#[derive(Clone, Debug)]
pub struct MultiheadAttention {
    /// The stacked query, key and value projections, `(3 E, E)`.
    pub in_proj_weight: Tensor,
    /// Their biases, `(3 E)`; absent with `bias(false)`.
    pub in_proj_bias: Option<Tensor>,
    /// The output projection, `E` to `E`.
    pub out_proj: Linear,
    num_heads: usize,
    dropout: f64,
    batch_first: bool,
    training: bool,
}

impl MultiheadAttention {
    /// `nn.MultiheadAttention(embed_dim, num_heads)`: dropout 0, biases,
    /// sequence-first inputs.
    ///
    /// # Panics
    /// If `num_heads` does not divide `embed_dim`.
    #[track_caller]
    pub fn new(embed_dim: usize, num_heads: usize) -> MultiheadAttention {
        assert!(
            num_heads > 0 && embed_dim.is_multiple_of(num_heads),
            "MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}"
        );
        // PyTorch's order of draws: out_proj is built, then _reset_parameters.
        let mut out_proj = Linear::new(embed_dim, embed_dim);
        let in_proj_weight = init::xavier_uniform(&[3 * embed_dim, embed_dim], 1.0);
        out_proj.bias = Some(init::zeros(&[embed_dim]));
        MultiheadAttention {
            in_proj_weight,
            in_proj_bias: Some(init::zeros(&[3 * embed_dim])),
            out_proj,
            num_heads,
            dropout: 0.0,
            batch_first: false,
            training: true,
        }
    }

    /// `batch_first=`: inputs and output `(N, L, E)` instead of `(L, N, E)`.
    pub fn batch_first(mut self, batch_first: bool) -> MultiheadAttention {
        self.batch_first = batch_first;
        self
    }

    /// `dropout=`: probability of dropping an attention weight in training.
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn dropout(mut self, p: f64) -> MultiheadAttention {
        assert!(
            (0.0..=1.0).contains(&p),
            "MultiheadAttention: dropout {p} is not in [0, 1]"
        );
        self.dropout = p;
        self
    }

    /// `bias=`: with `false`, no `in_proj_bias` and no `out_proj.bias`.
    pub fn bias(mut self, bias: bool) -> MultiheadAttention {
        let e = self.in_proj_weight.shape()[1];
        if bias {
            self.in_proj_bias = Some(init::zeros(&[3 * e]));
            self.out_proj.bias = Some(init::zeros(&[e]));
        } else {
            self.in_proj_bias = None;
            self.out_proj.bias = None;
        }
        self
    }

    /// Attention of `query` over `key`/`value` (`mha(q, k, v, attn_mask=mask)`
    /// with `need_weights=True`, `average_attn_weights=True`): the output, shaped
    /// like `query`, and the attention weights averaged over heads, `(N, L, S)`
    /// (`(L, S)` unbatched). `attn_mask` is `(L, S)` or `(N num_heads, L, S)`,
    /// read by [`AttnMask::infer`]: a 0/1 tensor masks out its non-zero
    /// positions, any other is added to the scores.
    ///
    /// # Panics
    /// If the shapes do not fit (the message names them).
    #[track_caller]
    pub fn forward_qkv(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        attn_mask: Option<&Tensor>,
    ) -> (Tensor, Tensor) {
        self.forward_mask(query, key, value, attn_mask.map(AttnMask::infer))
    }

    /// [`MultiheadAttention::forward_qkv`] with the mask's reading given.
    ///
    /// # Panics
    /// If the shapes do not fit (the message names them).
    #[track_caller]
    pub fn forward_mask(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        attn_mask: Option<AttnMask<'_>>,
    ) -> (Tensor, Tensor) {
        self.forward_masks(query, key, value, attn_mask, None)
    }

    /// [`MultiheadAttention::forward_mask`] with a `key_padding_mask` as well
    /// (`mha(q, k, v, key_padding_mask=.., attn_mask=..)`): `(N, S)` (`(S)`
    /// unbatched), read like an attention mask: [`AttnMask::Bool`] ignores the
    /// keys at its non-zero entries (PyTorch's `True`) for every query and head,
    /// [`AttnMask::Additive`] adds its entries to their scores. With both masks
    /// the scores get both, as in PyTorch, which merges them into one additive
    /// mask. A query whose every key is masked out gets `NaN` weights (the
    /// softmax of only `-inf`), as PyTorch's `need_weights=True` path gives.
    ///
    /// # Panics
    /// If the shapes do not fit (the message names them).
    #[track_caller]
    pub fn forward_masks(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        attn_mask: Option<AttnMask<'_>>,
        key_padding_mask: Option<AttnMask<'_>>,
    ) -> (Tensor, Tensor) {
        let e = self.in_proj_weight.shape()[1];
        let (qs, ks, vs) = (query.shape(), key.shape(), value.shape());
        let batched = qs.len() == 3;
        assert!(
            (qs.len() == 2 || batched)
                && ks.len() == qs.len()
                && vs == ks
                && qs[qs.len() - 1] == e
                && ks[ks.len() - 1] == e
                && (!batched || qs[if self.batch_first { 0 } else { 1 }] == ks[if self.batch_first { 0 } else { 1 }]),
            "MultiheadAttention: expected query (L, N, {e}) and key, value (S, N, {e}) (batch first: (N, L, {e}), (N, S, {e}); unbatched: (L, {e}), (S, {e})), got query {qs:?}, key {ks:?}, value {vs:?}"
        );
        // To (L, N, E).
        let seq_first = |t: &Tensor| {
            if !batched {
                t.unsqueeze(1)
            } else if self.batch_first {
                t.transpose(0, 1)
            } else {
                t.clone()
            }
        };
        let (q, k, v) = (seq_first(query), seq_first(key), seq_first(value));
        let (l, n, s) = (q.shape()[0], q.shape()[1], k.shape()[0]);
        let h = self.num_heads;
        let hd = e / h;
        let proj = |x: &Tensor, i: usize, len: usize| {
            let w = self.in_proj_weight.narrow(0, i * e, e);
            let b = self.in_proj_bias.as_ref().map(|b| b.narrow(0, i * e, e));
            // (len, N, E) -> (N h, len, hd)
            F::linear(x, &w, b.as_ref())
                .reshape(&[len, n * h, hd])
                .transpose(0, 1)
        };
        let q = proj(&q, 0, l) * (1.0 / hd as f64).sqrt();
        let (k, v) = (proj(&k, 1, s), proj(&v, 2, s));
        let mut scores = q.bmm(&k.transpose(1, 2));
        if let Some(mask) = attn_mask {
            let m = mask.tensor();
            let ms = m.shape();
            assert!(
                ms == [l, s] || ms == [n * h, l, s],
                "MultiheadAttention: expected an attn_mask of shape [{l}, {s}] or [{}, {l}, {s}], got {ms:?}",
                n * h
            );
            let full = m.expand(&[n * h, l, s]);
            scores = match mask {
                AttnMask::Bool(_) => scores.masked_fill(&full, f64::NEG_INFINITY),
                AttnMask::Additive(_) => scores + full,
            };
        }
        if let Some(mask) = key_padding_mask {
            let m = mask.tensor();
            let ms = m.shape();
            let want: &[usize] = if batched { &[n, s] } else { &[s] };
            assert!(
                ms == want,
                "MultiheadAttention: expected a key_padding_mask of shape {want:?}, got {ms:?}"
            );
            // (N, S) -> (N, 1, 1, S) -> (N, h, L, S) -> (N h, L, S): the rows of
            // the scores are batch-major, `n h + head`.
            let full = m
                .reshape(&[n, 1, 1, s])
                .expand(&[n, h, l, s])
                .reshape(&[n * h, l, s]);
            scores = match mask {
                AttnMask::Bool(_) => scores.masked_fill(&full, f64::NEG_INFINITY),
                AttnMask::Additive(_) => scores + full,
            };
        }
        let weights = F::dropout(&scores.softmax(-1), self.dropout, self.training);
        let out = weights.bmm(&v).transpose(0, 1).reshape(&[l * n, e]);
        let out = self.out_proj.forward(&out).reshape(&[l, n, e]);
        let avg = weights.reshape(&[n, h, l, s]).mean_dim(1, false);
        if !batched {
            (out.squeeze(1), avg.squeeze(0))
        } else if self.batch_first {
            (out.transpose(0, 1), avg)
        } else {
            (out, avg)
        }
    }
}

impl Module for MultiheadAttention {
    /// Self-attention: `forward_qkv(x, x, x, None).0`.
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_qkv(input, input, input, None).0
    }
}

impl Visit for MultiheadAttention {
    fn visit_tensors(&self, path: &str, kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        f(
            &super::join(path, "in_proj_weight"),
            &self.in_proj_weight,
            Kind::Parameter,
        );
        if let Some(b) = &self.in_proj_bias {
            f(&super::join(path, "in_proj_bias"), b, Kind::Parameter);
        }
        self.out_proj
            .visit_tensors(&super::join(path, "out_proj"), kind, f);
    }
    fn apply_training(&mut self, mode: bool) {
        self.training = mode;
        self.out_proj.apply_training(mode);
    }
    fn training_flag(&self) -> Option<bool> {
        Some(self.training)
    }
}
