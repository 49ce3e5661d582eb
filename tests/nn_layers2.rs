//! The layers of issue #16's second batch (`Conv1d`, `ConvTranspose2d`,
//! `GroupNorm`, `AdaptiveAvgPool2d`, `interpolate`, `MultiheadAttention`,
//! `TransformerEncoderLayer`, the attention masks): gradients against finite differences in f64 for
//! every option, and values and gradients against what PyTorch computed
//! (`tests/data/layers/reference.json`, written by `make_reference.py` beside
//! it), with PyTorch's weights loaded, to 1e-10.

use autograd::nn::{self, functional as F};
use autograd::prelude::*;
use autograd::{gradcheck, Tensor};
use reference::tensor;
use serde_json::Value;

#[path = "common/reference.rs"]
mod reference;

fn randn64(shape: &[usize]) -> Tensor {
    Tensor::randn(shape).to_dtype(DType::F64)
}

fn check(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(&f, inputs) {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------- Conv1d

#[test]
fn conv1d_shapes_init_and_names() {
    autograd::manual_seed(0);
    let m = nn::Conv1d::new(4, 6, 3);
    assert_eq!(m.weight.shape(), &[6, 4, 3]);
    assert_eq!(m.bias.as_ref().unwrap().shape(), &[6]);
    let bound = 1.0 / 12f64.sqrt();
    assert!(m.weight.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    let x = Tensor::randn(&[2, 4, 10]).requires_grad_(true);
    let y = m.forward(&x);
    assert_eq!(y.shape(), &[2, 6, 8]);
    assert_eq!(y.grad_fn().unwrap().name(), "ConvolutionBackward0");
    let m = nn::Conv1d::new(4, 6, 3).stride(2).padding(1).dilation(2);
    assert_eq!(m.forward(&x).shape(), &[2, 6, 4]);
    let g = nn::Conv1d::new(4, 6, 3).groups(2).no_bias();
    assert_eq!(g.weight.shape(), &[6, 2, 3]);
    assert!(g.bias.is_none());
    assert_eq!(g.forward(&x).shape(), &[2, 6, 8]);
}

#[test]
fn conv1d_equals_conv2d_with_unit_height() {
    autograd::manual_seed(1);
    let (x, w, b) = (randn64(&[2, 3, 9]), randn64(&[4, 3, 3]), randn64(&[4]));
    for (stride, padding) in [(1, 0), (2, 1), (3, 2)] {
        let y = x.conv1d(&w, Some(&b), stride, padding);
        // Padding only along the length: pad by hand, then a 2-D convolution.
        let z = Tensor::zeros(&[2, 3, padding]).to_dtype(DType::F64);
        let xp = Tensor::cat(&[z.clone(), x.clone(), z], 2).reshape(&[2, 3, 1, 9 + 2 * padding]);
        let want = xp.conv2d(&w.reshape(&[4, 3, 1, 3]), Some(&b), stride, 0);
        let ws = want.shape();
        assert_eq!(y.shape(), &[ws[0], ws[1], ws[3]]);
        let (a, e) = (y.to_vec::<f64>(), want.to_vec::<f64>());
        assert!(a.iter().zip(&e).all(|(a, e)| (a - e).abs() < 1e-12));
    }
}

#[test]
fn conv1d_gradcheck_every_option() {
    autograd::manual_seed(2);
    for (stride, padding, dilation, groups, bias) in [
        (1, 0, 1, 1, true),
        (2, 1, 1, 1, true),
        (1, 2, 2, 1, false),
        (2, 1, 1, 2, true),
        (1, 1, 2, 2, false),
    ] {
        let (x, w, b) = (
            randn64(&[2, 4, 7]),
            randn64(&[6, 4 / groups, 3]),
            randn64(&[6]),
        );
        check(
            |t| {
                let bias = bias.then_some(&t[2]);
                F::try_conv1d(&t[0], &t[1], bias, stride, padding, dilation, groups).unwrap()
            },
            &[x, w, b],
        );
    }
    autograd::gradgradcheck(
        |t| F::conv1d(&t[0], &t[1], Some(&t[2])),
        &[randn64(&[1, 2, 5]), randn64(&[3, 2, 2]), randn64(&[3])],
    )
    .unwrap();
}

#[test]
fn conv1d_shape_errors_name_both_shapes() {
    let x = Tensor::zeros(&[2, 3, 9]);
    let e = F::try_conv1d(&x, &Tensor::zeros(&[4, 2, 3]), None, 1, 0, 1, 1).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("[2, 3, 9]") && msg.contains("[4, 2, 3]"),
        "{msg}"
    );
    let e = F::try_conv1d(&x, &Tensor::zeros(&[4, 3, 12]), None, 1, 0, 1, 1).unwrap_err();
    assert!(e.to_string().contains("larger"), "{e}");
    let r = std::panic::catch_unwind(|| nn::Conv1d::new(2, 4, 3).forward(&x));
    assert!(r.is_err());
}

// ------------------------------------------------------- ConvTranspose2d

#[test]
fn conv_transpose2d_shapes_init_and_names() {
    autograd::manual_seed(3);
    let m = nn::ConvTranspose2d::new(3, 4, 3);
    assert_eq!(m.weight.shape(), &[3, 4, 3, 3]);
    // PyTorch's fan_in of a (in, out, k, k) weight is out * k * k.
    let bound = 1.0 / 36f64.sqrt();
    assert!(m.weight.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
    assert!(m
        .bias
        .as_ref()
        .unwrap()
        .to_vec::<f64>()
        .iter()
        .all(|v| v.abs() <= bound));
    let x = Tensor::randn(&[2, 3, 5, 4]).requires_grad_(true);
    let y = m.forward(&x);
    assert_eq!(y.shape(), &[2, 4, 7, 6]);
    assert_eq!(y.grad_fn().unwrap().name(), "ConvolutionBackward0");
    let m = nn::ConvTranspose2d::new(3, 4, 3)
        .stride(2)
        .padding(1)
        .output_padding(1);
    assert_eq!(m.forward(&x).shape(), &[2, 4, 10, 8]);
    let g = nn::ConvTranspose2d::new(4, 6, 2)
        .groups(2)
        .dilation(2)
        .no_bias();
    assert_eq!(g.weight.shape(), &[4, 3, 2, 2]);
    assert_eq!(
        g.forward(&Tensor::randn(&[1, 4, 3, 3])).shape(),
        &[1, 6, 5, 5]
    );
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
}

/// A transposed convolution is the adjoint of the convolution in its input:
/// `<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>`.
#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    autograd::manual_seed(4);
    for (stride, padding, h) in [(1, 0, 6), (2, 1, 7), (3, 1, 8)] {
        let x = randn64(&[2, 4, h, h - 1]);
        let w = randn64(&[3, 4, 3, 2]);
        let y0 = x.conv2d(&w, None, stride, padding);
        let y = randn64(y0.shape());
        let lhs = (&y0 * &y).sum().item();
        // The rows and columns the strided windows step over come back as
        // output padding (the same for both directions in these cases).
        let op = (h + 2 * padding - 3) % stride;
        assert_eq!(op, (h - 1 + 2 * padding - 2) % stride);
        let out = y.conv_transpose2d(&w, None, stride, padding, op);
        assert_eq!(out.shape(), x.shape());
        let rhs = (&x * &out).sum().item();
        assert!((lhs - rhs).abs() < 1e-9, "stride {stride}: {lhs} vs {rhs}");
    }
}

#[test]
fn conv_transpose2d_gradcheck_every_option() {
    autograd::manual_seed(5);
    for (stride, padding, output_padding, groups, dilation, bias) in [
        (1, 0, 0, 1, 1, true),
        (2, 1, 1, 1, 1, true),
        (3, 0, 2, 1, 1, false),
        (1, 1, 0, 2, 2, true),
        (2, 0, 1, 2, 1, false),
    ] {
        let x = randn64(&[2, 4, 3, 2]);
        let w = randn64(&[4, 6 / groups, 3, 2]);
        let b = randn64(&[6]);
        check(
            |t| {
                let bias = bias.then_some(&t[2]);
                F::try_conv_transpose2d(
                    &t[0],
                    &t[1],
                    bias,
                    stride,
                    padding,
                    output_padding,
                    groups,
                    dilation,
                )
                .unwrap()
            },
            &[x, w, b],
        );
    }
    autograd::gradgradcheck(
        |t| F::conv_transpose2d(&t[0], &t[1], Some(&t[2])),
        &[
            randn64(&[1, 2, 3, 2]),
            randn64(&[2, 2, 2, 2]),
            randn64(&[2]),
        ],
    )
    .unwrap();
}

#[test]
fn conv_transpose2d_errors() {
    let x = Tensor::zeros(&[1, 3, 4, 4]);
    let e = F::try_conv_transpose2d(&x, &Tensor::zeros(&[2, 4, 3, 3]), None, 1, 0, 0, 1, 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[1, 3, 4, 4]") && e.contains("[2, 4, 3, 3]"),
        "{e}"
    );
    let w = Tensor::zeros(&[3, 4, 3, 3]);
    let e = F::try_conv_transpose2d(&x, &w, None, 2, 0, 2, 1, 1).unwrap_err();
    assert!(e.to_string().contains("output_padding"), "{e}");
    assert!(F::try_conv_transpose2d(&x, &w, None, 1, 3, 0, 1, 1).is_err());
}

// ------------------------------------------------------------- GroupNorm

#[test]
fn group_norm_defaults_names_and_gradcheck() {
    autograd::manual_seed(6);
    let m = nn::GroupNorm::new(2, 6);
    assert_eq!(m.weight.as_ref().unwrap().to_vec::<f64>(), vec![1.0; 6]);
    assert_eq!(m.bias.as_ref().unwrap().to_vec::<f64>(), vec![0.0; 6]);
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert!(nn::GroupNorm::new(2, 6).no_affine().parameters().is_empty());
    let y = m.forward(&Tensor::randn(&[3, 6, 4]));
    assert_eq!(y.shape(), &[3, 6, 4]);
    // Each group of a sample has mean 0 and (biased) variance 1 - eps.
    let g = y.reshape(&[3, 2, 12]);
    assert!(g
        .mean_dim(-1, false)
        .to_vec::<f64>()
        .iter()
        .all(|v| v.abs() < 1e-5));
    for (groups, shape) in [
        (2, vec![2, 4, 3]),
        (1, vec![2, 3, 2, 2]),
        (3, vec![1, 3, 4]),
    ] {
        let c = shape[1];
        let (x, w, b) = (randn64(&shape), randn64(&[c]), randn64(&[c]));
        check(
            |t| F::group_norm(&t[0], groups, Some(&t[1]), Some(&t[2]), 1e-5),
            &[x.clone(), w, b],
        );
        check(|t| F::group_norm(&t[0], groups, None, None, 1e-3), &[x]);
    }
    let e = F::try_group_norm(&Tensor::zeros(&[2, 5, 3]), 2, None, None, 1e-5).unwrap_err();
    assert!(e.to_string().contains("divisible"), "{e}");
    let e = F::try_group_norm(
        &Tensor::zeros(&[2, 4]),
        2,
        Some(&Tensor::ones(&[3])),
        None,
        1e-5,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("[2, 4]") && e.contains("[3]"), "{e}");
}

// ----------------------------------------------------- AdaptiveAvgPool2d

#[test]
fn adaptive_avg_pool2d_windows_and_gradcheck() {
    // 5 rows to 3: PyTorch's windows are 0..2, 1..4, 3..5.
    let x = Tensor::from_vec((0..5).map(f64::from).collect(), &[1, 1, 5, 1]);
    let y = nn::AdaptiveAvgPool2d::new((3, 1)).forward(&x);
    assert_eq!(y.to_vec::<f64>(), [0.5, 2.0, 3.5]);
    assert!(nn::AdaptiveAvgPool2d::new((3, 1)).parameters().is_empty());
    let x = Tensor::randn(&[2, 3, 8, 6]);
    let even = F::adaptive_avg_pool2d(&x, (4, 3));
    let want = F::avg_pool2d(&x, 2);
    let (a, b) = (even.to_vec::<f64>(), want.to_vec::<f64>());
    assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-6));
    assert_eq!(
        F::adaptive_avg_pool2d(&Tensor::randn(&[3, 5, 7]), (2, 2)).shape(),
        &[3, 2, 2]
    );
    for (shape, out) in [
        (vec![1, 2, 5, 7], (3, 4)),
        (vec![2, 3, 4], (6, 5)),
        (vec![1, 1, 3, 3], (1, 1)),
    ] {
        check(|t| F::adaptive_avg_pool2d(&t[0], out), &[randn64(&shape)]);
    }
    assert!(F::try_adaptive_avg_pool2d(&Tensor::zeros(&[4, 4]), (2, 2)).is_err());
}

// ----------------------------------------------------------- interpolate

#[test]
fn interpolate_modes_values_errors_and_gradcheck() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
    let n = F::interpolate(&x, &[4, 4], "nearest");
    assert_eq!(&n.to_vec::<f64>()[..8], [1., 1., 2., 2., 1., 1., 2., 2.]);
    // Bilinear doubling (align_corners=False): PyTorch's 1, 1.25, 1.75, 2 first row.
    let b = F::interpolate(&x, &[4, 4], "bilinear");
    assert_eq!(&b.to_vec::<f64>()[..4], [1.0, 1.25, 1.75, 2.0]);
    let l = F::interpolate(
        &Tensor::from_vec(vec![0.0, 4.0], &[1, 1, 2]),
        &[4],
        "linear",
    );
    assert_eq!(l.to_vec::<f64>(), [0.0, 1.0, 3.0, 4.0]);
    let e = F::try_interpolate(&x, &[4, 4], "bicubic")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bicubic") && e.contains("nearest"), "{e}");
    assert!(F::try_interpolate(&x, &[4], "bilinear").is_err());
    assert!(F::try_interpolate(&x, &[4, 4], "linear").is_err());
    let r = std::panic::catch_unwind(|| F::interpolate(&x, &[4, 4], "area"));
    assert!(r.is_err());
    for (shape, size, mode) in [
        (vec![1, 2, 3, 4], vec![5, 3], "bilinear"),
        (vec![2, 1, 5, 3], vec![2, 7], "bilinear"),
        (vec![1, 2, 3, 4], vec![5, 7], "nearest"),
        (vec![2, 2, 5], vec![3], "nearest"),
        (vec![2, 2, 3], vec![8], "linear"),
    ] {
        check(|t| F::interpolate(&t[0], &size, mode), &[randn64(&shape)]);
    }
}

// ---------------------------------------------------- MultiheadAttention

#[test]
fn multihead_attention_parameters_shapes_masks_and_gradcheck() {
    autograd::manual_seed(7);
    let m = nn::MultiheadAttention::new(8, 2);
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "in_proj_weight",
            "in_proj_bias",
            "out_proj.weight",
            "out_proj.bias"
        ]
    );
    assert_eq!(m.in_proj_weight.shape(), &[24, 8]);
    let bound = (6.0f64 / 32.0).sqrt();
    assert!(m
        .in_proj_weight
        .to_vec::<f64>()
        .iter()
        .all(|v| v.abs() <= bound));
    assert!(m
        .in_proj_bias
        .as_ref()
        .unwrap()
        .to_vec::<f64>()
        .iter()
        .all(|&v| v == 0.0));
    assert!(m
        .out_proj
        .bias
        .as_ref()
        .unwrap()
        .to_vec::<f64>()
        .iter()
        .all(|&v| v == 0.0));
    let nb = nn::MultiheadAttention::new(8, 2).bias(false);
    let names: Vec<String> = nb.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["in_proj_weight", "out_proj.weight"]);
    let (q, kv) = (Tensor::randn(&[3, 2, 8]), Tensor::randn(&[5, 2, 8]));
    let (y, w) = m.forward_qkv(&q, &kv, &kv, None);
    assert_eq!((y.shape(), w.shape()), (&[3, 2, 8][..], &[2, 3, 5][..]));
    let rows = w.sum_dim(-1, false).to_vec::<f64>();
    assert!(rows.iter().all(|r| (r - 1.0).abs() < 1e-5));
    let bf = nn::MultiheadAttention::new(8, 2).batch_first(true);
    let (y, w) = bf.forward_qkv(
        &Tensor::randn(&[2, 3, 8]),
        &Tensor::randn(&[2, 5, 8]),
        &Tensor::randn(&[2, 5, 8]),
        None,
    );
    assert_eq!((y.shape(), w.shape()), (&[2, 3, 8][..], &[2, 3, 5][..]));
    // A 0/1 mask masks out its ones: those weights are exactly 0.
    let mut mv = vec![0.0; 15];
    mv[1] = 1.0;
    mv[7] = 1.0;
    let mask = Tensor::from_vec(mv, &[3, 5]);
    let (_, w) = m.forward_qkv(&q, &kv, &kv, Some(&mask));
    let wv = w.to_vec::<f64>();
    assert!(wv[1] == 0.0 && wv[7] == 0.0 && wv[16] == 0.0 && wv[0] > 0.0);
    let r = std::panic::catch_unwind(|| m.forward_qkv(&q, &Tensor::randn(&[5, 2, 6]), &kv, None));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("[3, 2, 8]") && msg.contains("[5, 2, 6]"),
        "{msg}"
    );

    let ew = randn64(&[12, 4]);
    let eb = randn64(&[12]);
    let ow = randn64(&[4, 4]);
    let ob = randn64(&[4]);
    let (q, k, v) = (
        randn64(&[3, 2, 4]),
        randn64(&[2, 2, 4]),
        randn64(&[2, 2, 4]),
    );
    let add = randn64(&[3, 2]);
    let qb = randn64(&[2, 3, 4]);
    for (q, mask, batch_first) in [(q, None, false), (qb, Some(add.clone()), true)] {
        check(
            |t| {
                let mut m = nn::MultiheadAttention::new(4, 2).batch_first(batch_first);
                m.in_proj_weight = t[3].clone();
                m.in_proj_bias = Some(t[4].clone());
                m.out_proj.weight = t[5].clone();
                m.out_proj.bias = Some(t[6].clone());
                let (y, w) = m.forward_qkv(&t[0], &t[1], &t[2], mask.as_ref());
                y.sum() + (&w * &w).sum()
            },
            &[
                q.clone(),
                k.clone(),
                v.clone(),
                ew.clone(),
                eb.clone(),
                ow.clone(),
                ob.clone(),
            ],
        );
    }
}

#[test]
fn multihead_attention_key_padding_mask_ignores_keys() {
    autograd::manual_seed(8);
    let m = nn::MultiheadAttention::new(4, 2);
    let (q, kv) = (Tensor::randn(&[3, 2, 4]), Tensor::randn(&[5, 2, 4]));
    // Sample 0 ignores its last two keys, sample 1 its first.
    let mut pad = vec![0.0; 10];
    pad[3] = 1.0;
    pad[4] = 1.0;
    pad[5] = 1.0;
    let pad = Tensor::from_vec(pad, &[2, 5]);
    let kpm = Some(nn::AttnMask::infer(&pad));
    let (y, w) = m.forward_masks(&q, &kv, &kv, None, kpm);
    let wv = w.to_vec::<f64>(); // (N, L, S)
    for l in 0..3 {
        assert!(wv[l * 5 + 3] == 0.0 && wv[l * 5 + 4] == 0.0 && wv[l * 5] > 0.0);
        assert!(wv[15 + l * 5] == 0.0 && wv[15 + l * 5 + 1] > 0.0);
    }
    // The same as dropping those keys: sample 0 over its first three keys.
    let (y0, _) = m.forward_qkv(
        &q.narrow(1, 0, 1),
        &kv.narrow(0, 0, 3).narrow(1, 0, 1),
        &kv.narrow(0, 0, 3).narrow(1, 0, 1),
        None,
    );
    let (a, b) = (y.narrow(1, 0, 1).to_vec::<f64>(), y0.to_vec::<f64>());
    assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-5));
    let r = std::panic::catch_unwind(|| {
        m.forward_masks(
            &q,
            &kv,
            &kv,
            None,
            Some(nn::AttnMask::Bool(&Tensor::zeros(&[5, 2]))),
        )
    });
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("key_padding_mask") && msg.contains("[5, 2]"),
        "{msg}"
    );
}

// ----------------------------------------------- TransformerEncoderLayer

#[test]
fn transformer_encoder_layer_defaults_names_and_shapes() {
    autograd::manual_seed(9);
    let m = nn::TransformerEncoderLayer::new(8, 2);
    assert_eq!(m.linear1.weight.shape(), &[2048, 8]);
    assert_eq!(m.linear2.weight.shape(), &[8, 2048]);
    assert!(m.is_training());
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "self_attn.in_proj_weight",
            "self_attn.in_proj_bias",
            "self_attn.out_proj.weight",
            "self_attn.out_proj.bias",
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "norm1.weight",
            "norm1.bias",
            "norm2.weight",
            "norm2.bias"
        ]
    );
    let nb = nn::TransformerEncoderLayer::new(8, 2)
        .dim_feedforward(16)
        .bias(false);
    let names: Vec<String> = nb.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "self_attn.in_proj_weight",
            "self_attn.out_proj.weight",
            "linear1.weight",
            "linear2.weight",
            "norm1.weight",
            "norm2.weight"
        ]
    );
    assert_eq!(nb.linear1.weight.shape(), &[16, 8]);
    let x = Tensor::randn(&[5, 3, 8]);
    let mut m = nn::TransformerEncoderLayer::new(8, 2).dim_feedforward(16);
    assert_eq!(m.forward(&x).shape(), &[5, 3, 8]);
    // Dropout (0.1 by default) in training, none in eval: two eval calls agree.
    m.eval();
    assert!(!m.self_attn.is_training());
    let (a, b) = (m.forward(&x).to_vec::<f64>(), m.forward(&x).to_vec::<f64>());
    assert_eq!(a, b);
    let bf = nn::TransformerEncoderLayer::new(8, 2)
        .dim_feedforward(16)
        .batch_first(true)
        .norm_first(true)
        .activation(nn::Activation::Gelu)
        .layer_norm_eps(1e-6)
        .dropout(0.0);
    assert_eq!(bf.forward(&Tensor::randn(&[3, 5, 8])).shape(), &[3, 5, 8]);
    assert_eq!(bf.forward(&Tensor::randn(&[5, 8])).shape(), &[5, 8]);
    let r = std::panic::catch_unwind(|| nn::TransformerEncoderLayer::new(8, 3));
    assert!(r.is_err());
}

#[test]
fn transformer_encoder_layer_gradcheck() {
    autograd::manual_seed(10);
    // Causal (0 / -inf) src_mask and a key padding mask hiding the last key of
    // sample 1.
    let mut causal = vec![0.0; 9];
    for (i, c) in causal.iter_mut().enumerate() {
        if i % 3 > i / 3 {
            *c = f64::NEG_INFINITY;
        }
    }
    let causal = Tensor::from_vec(causal, &[3, 3]);
    let pad = Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0], &[2, 3]);
    for (norm_first, activation, masks) in [
        (false, nn::Activation::Relu, false),
        (true, nn::Activation::Gelu, true),
        (false, nn::Activation::Gelu, true),
    ] {
        // Every parameter an f64 input, in named_parameters() order.
        let shapes: [&[usize]; 12] = [
            &[12, 4],
            &[12],
            &[4, 4],
            &[4],
            &[6, 4],
            &[6],
            &[4, 6],
            &[4],
            &[4],
            &[4],
            &[4],
            &[4],
        ];
        let mut inputs = vec![randn64(&[3, 2, 4])];
        inputs.extend(shapes.iter().map(|s| randn64(s)));
        check(
            |t| {
                let mut m = nn::TransformerEncoderLayer::new(4, 2)
                    .dim_feedforward(6)
                    .norm_first(norm_first)
                    .activation(activation);
                m.self_attn.in_proj_weight = t[1].clone();
                m.self_attn.in_proj_bias = Some(t[2].clone());
                m.self_attn.out_proj.weight = t[3].clone();
                m.self_attn.out_proj.bias = Some(t[4].clone());
                m.linear1.weight = t[5].clone();
                m.linear1.bias = Some(t[6].clone());
                m.linear2.weight = t[7].clone();
                m.linear2.bias = Some(t[8].clone());
                m.norm1.weight = Some(t[9].clone());
                m.norm1.bias = Some(t[10].clone());
                m.norm2.weight = Some(t[11].clone());
                m.norm2.bias = Some(t[12].clone());
                m.eval();
                let (sm, kpm) = if masks {
                    (Some(&causal), Some(&pad))
                } else {
                    (None, None)
                };
                let y = m.forward_with(&t[0], sm, kpm);
                (&y * &y).sum() + y.sum()
            },
            &inputs,
        );
    }
}

// ------------------------------------------------------ PyTorch's numbers

fn leaf(v: &Value) -> Tensor {
    tensor(v).requires_grad_(true)
}

fn usize_arg(c: &Value, key: &str, default: usize) -> usize {
    c["options"][key].as_u64().map_or(default, |v| v as usize)
}

fn args(c: &Value) -> Vec<usize> {
    reference::shape(&c["options"]["args"])
}

fn has_bias(c: &Value) -> bool {
    c["options"]["bias"].as_bool().unwrap_or(true)
}

/// The case's parameter `name`, an f64 leaf.
fn param(c: &Value, name: &str) -> Tensor {
    let p = c["parameters"].as_array().unwrap();
    let (_, v) = p
        .iter()
        .map(|e| (e[0].as_str().unwrap(), &e[1]))
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{}: no parameter {name}", c["name"]));
    leaf(v)
}

fn close(what: &str, got: &Tensor, want: &Value) {
    let want = tensor(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got
        .to_vec::<f64>()
        .iter()
        .zip(want.to_vec::<f64>())
        .enumerate()
    {
        assert!(
            (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
            "{what}: element {i}: {a} vs PyTorch's {b}"
        );
    }
}

/// What a case built: its outputs, the tensors whose gradients PyTorch
/// recorded (by the names it used), and the module's parameter names.
struct Run {
    outputs: Vec<Tensor>,
    grads: Vec<(String, Tensor)>,
    names: Vec<String>,
}

fn module_run<M: Module>(m: &mut M, x: Tensor) -> Run {
    m.eval();
    let y = m.forward(&x);
    let mut grads = vec![("x".to_string(), x)];
    grads.extend(m.named_parameters());
    let names = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    Run {
        outputs: vec![y],
        grads,
        names,
    }
}

fn run(c: &Value) -> Option<Run> {
    let x = || leaf(&c["inputs"]["x"]);
    let a = || args(c);
    Some(match c["layer"].as_str().unwrap() {
        "Conv1d" => {
            let a = a();
            let mut m = nn::Conv1d::new(a[0], a[1], a[2])
                .stride(usize_arg(c, "stride", 1))
                .padding(usize_arg(c, "padding", 0))
                .dilation(usize_arg(c, "dilation", 1))
                .groups(usize_arg(c, "groups", 1));
            m.weight = param(c, "weight");
            m.bias = has_bias(c).then(|| param(c, "bias"));
            module_run(&mut m, x())
        }
        "ConvTranspose2d" => {
            let a = a();
            let mut m = nn::ConvTranspose2d::new(a[0], a[1], a[2])
                .stride(usize_arg(c, "stride", 1))
                .padding(usize_arg(c, "padding", 0))
                .output_padding(usize_arg(c, "output_padding", 0))
                .dilation(usize_arg(c, "dilation", 1))
                .groups(usize_arg(c, "groups", 1));
            m.weight = param(c, "weight");
            m.bias = has_bias(c).then(|| param(c, "bias"));
            module_run(&mut m, x())
        }
        "GroupNorm" => {
            let a = a();
            let mut m = nn::GroupNorm::new(a[0], a[1]);
            if let Some(eps) = c["options"]["eps"].as_f64() {
                m = m.eps(eps);
            }
            let affine = c["options"]["affine"].as_bool().unwrap_or(true);
            m.weight = affine.then(|| param(c, "weight"));
            m.bias = affine.then(|| param(c, "bias"));
            module_run(&mut m, x())
        }
        "AdaptiveAvgPool2d" => {
            let a = a();
            module_run(&mut nn::AdaptiveAvgPool2d::new((a[0], a[1])), x())
        }
        "interpolate" => {
            let size = reference::shape(&c["options"]["size"]);
            let mode = c["options"]["mode"].as_str().unwrap();
            let x = x();
            let y = F::interpolate(&x, &size, mode);
            Run {
                outputs: vec![y],
                grads: vec![("x".into(), x)],
                names: vec![],
            }
        }
        "MultiheadAttention" => {
            let a = a();
            let mut m = nn::MultiheadAttention::new(a[0], a[1])
                .batch_first(c["options"]["batch_first"].as_bool().unwrap_or(false))
                .bias(has_bias(c));
            m.in_proj_weight = param(c, "in_proj_weight");
            m.in_proj_bias = has_bias(c).then(|| param(c, "in_proj_bias"));
            m.out_proj.weight = param(c, "out_proj.weight");
            m.out_proj.bias = has_bias(c).then(|| param(c, "out_proj.bias"));
            m.eval();
            let inp = |n: &str| leaf(&c["inputs"][n]);
            let (q, k, v) = (inp("q"), inp("k"), inp("v"));
            let mask = (!c["mask"].is_null()).then(|| tensor(&c["mask"]));
            let kpm = c
                .get("key_padding_mask")
                .filter(|v| !v.is_null())
                .map(tensor);
            let (y, w) = m.forward_masks(
                &q,
                &k,
                &v,
                mask.as_ref().map(nn::AttnMask::infer),
                kpm.as_ref().map(nn::AttnMask::infer),
            );
            let mut grads = vec![("q".into(), q), ("k".into(), k), ("v".into(), v)];
            grads.extend(m.named_parameters());
            let names = m.named_parameters().into_iter().map(|(n, _)| n).collect();
            Run {
                outputs: vec![y, w],
                grads,
                names,
            }
        }
        "TransformerEncoderLayer" => {
            let a = a();
            let o = &c["options"];
            let mut m = nn::TransformerEncoderLayer::new(a[0], a[1])
                .dim_feedforward(usize_arg(c, "dim_feedforward", 2048))
                .batch_first(o["batch_first"].as_bool().unwrap_or(false))
                .norm_first(o["norm_first"].as_bool().unwrap_or(false))
                .bias(has_bias(c));
            if let Some(eps) = o["layer_norm_eps"].as_f64() {
                m = m.layer_norm_eps(eps);
            }
            if o["activation"].as_str() == Some("gelu") {
                m = m.activation(nn::Activation::Gelu);
            }
            let p = |n: &str| param(c, n);
            let pb = |n: &str| has_bias(c).then(|| param(c, n));
            m.self_attn.in_proj_weight = p("self_attn.in_proj_weight");
            m.self_attn.in_proj_bias = pb("self_attn.in_proj_bias");
            m.self_attn.out_proj.weight = p("self_attn.out_proj.weight");
            m.self_attn.out_proj.bias = pb("self_attn.out_proj.bias");
            m.linear1.weight = p("linear1.weight");
            m.linear1.bias = pb("linear1.bias");
            m.linear2.weight = p("linear2.weight");
            m.linear2.bias = pb("linear2.bias");
            m.norm1.weight = Some(p("norm1.weight"));
            m.norm1.bias = pb("norm1.bias");
            m.norm2.weight = Some(p("norm2.weight"));
            m.norm2.bias = pb("norm2.bias");
            m.eval();
            let x = x();
            let mask = (!c["mask"].is_null()).then(|| tensor(&c["mask"]));
            let kpm = c
                .get("key_padding_mask")
                .filter(|v| !v.is_null())
                .map(tensor);
            let y = m.forward_with(&x, mask.as_ref(), kpm.as_ref());
            let mut grads = vec![("x".to_string(), x)];
            grads.extend(m.named_parameters());
            let names = m.named_parameters().into_iter().map(|(n, _)| n).collect();
            Run {
                outputs: vec![y],
                grads,
                names,
            }
        }
        _ => return None,
    })
}

#[test]
fn layers_match_pytorch() {
    let text = include_str!("data/layers/reference.json");
    let reference: Value = serde_json::from_str(text).expect("reference.json is JSON");
    let cases = reference["cases"].as_array().expect("cases");
    let mut done = Vec::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let Some(r) = run(c) else { continue };
        let want_names: Vec<&str> = c["parameters"]
            .as_array()
            .map(|p| p.iter().map(|e| e[0].as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(r.names, want_names, "{name}: parameter names and order");
        let cots: Vec<Tensor> = c["cotangents"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor)
            .collect();
        assert_eq!(r.outputs.len(), cots.len(), "{name}: outputs");
        let mut loss = Tensor::scalar(0.0);
        for (i, (y, cot)) in r.outputs.iter().zip(&cots).enumerate() {
            close(&format!("{name}: output {i}"), y, &c["outputs"][i]);
            loss = &loss + &(y * cot).sum();
        }
        loss.backward().unwrap();
        let want_grads = c["grads"].as_object().unwrap();
        assert_eq!(want_grads.len(), r.grads.len(), "{name}: gradients");
        for (n, t) in &r.grads {
            let g = t
                .grad()
                .unwrap_or_else(|| panic!("{name}: no gradient for {n}"));
            close(&format!("{name}: gradient of {n}"), &g, &want_grads[n]);
        }
        done.push(name.to_string());
    }
    assert_eq!(done.len(), cases.len(), "cases run: {done:?}");
}
