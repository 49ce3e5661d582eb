//! Layers: shapes, PyTorch's initialisation, values against reference loops and
//! closed forms, gradients against finite differences.

use autograd::nn::{self, functional as F};
use autograd::prelude::*;
use autograd::{gradcheck, Tensor};

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} vs {y}"
        );
    }
}

fn randn64(shape: &[usize]) -> Tensor {
    Tensor::randn(shape).to_dtype(DType::F64)
}

#[test]
fn linear_default_init_and_shapes() {
    autograd::manual_seed(0);
    let fc = nn::Linear::new(100, 30);
    assert_eq!(fc.weight.shape(), &[30, 100]);
    let b = fc.bias.as_ref().unwrap();
    assert_eq!(b.shape(), &[30]);
    let bound = 1.0 / 10.0;
    let w = fc.weight.to_vec::<f64>();
    assert!(w.iter().all(|v| v.abs() <= bound));
    // U(-b, b) has variance b^2 / 3: the sample is close.
    let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    assert!(
        (var - bound * bound / 3.0).abs() < 0.1 * bound * bound / 3.0,
        "{var}"
    );
    assert!(b.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
    let x = Tensor::randn(&[4, 7, 100]);
    assert_eq!(fc.forward(&x).shape(), &[4, 7, 30]);
    let x1 = Tensor::randn(&[100]);
    let y = fc.forward(&x1).to_vec::<f64>();
    let wv = fc.weight.to_vec::<f64>();
    let (xv, bv) = (x1.to_vec::<f64>(), b.to_vec::<f64>());
    let want: Vec<f64> = (0..30)
        .map(|o| (0..100).map(|i| wv[o * 100 + i] * xv[i]).sum::<f64>() + bv[o])
        .collect();
    close(&y, &want, 1e-5);
}

/// `F.linear` of a 2-D input is one node reading the weight through strides; it
/// gives the bits of the composed `x @ W^T + b`, in values and gradients, and is
/// differentiable twice.
#[test]
fn linear_of_a_matrix_is_one_node_with_the_composed_bits() {
    autograd::manual_seed(3);
    for dtype in [DType::F32, DType::F64] {
        for bias in [true, false] {
            let leaf = |s: &[usize]| Tensor::randn(s).to_dtype(dtype).requires_grad_(true);
            let (x, w, b) = (leaf(&[37, 53]), leaf(&[11, 53]), leaf(&[11]));
            let b = bias.then_some(&b);
            let y = F::linear(&x, &w, b);
            let name = if bias {
                "AddmmBackward0"
            } else {
                "MmBackward0"
            };
            assert_eq!(y.grad_fn().unwrap().name(), name);
            let composed = {
                let p = x.matmul(&w.t());
                b.map_or(p.clone(), |b| &p + b)
            };
            assert_eq!(y.to_vec::<f64>(), composed.to_vec::<f64>());
            let g = Tensor::randn(y.shape()).to_dtype(dtype);
            let mut inputs = vec![x.clone(), w.clone()];
            inputs.extend(b.cloned());
            let fused = autograd::grad(&[y], &inputs, Some(std::slice::from_ref(&g)), false, false)
                .unwrap();
            let want = autograd::grad(&[composed], &inputs, Some(&[g]), false, false).unwrap();
            for (a, e) in fused.iter().zip(&want) {
                assert_eq!(a.to_vec::<f64>(), e.to_vec::<f64>());
            }
        }
    }
    let (x, w, b) = (
        randn64(&[4, 5]).requires_grad_(true),
        randn64(&[3, 5]).requires_grad_(true),
        randn64(&[3]).requires_grad_(true),
    );
    let f = |t: &[Tensor]| F::linear(&t[0], &t[1], Some(&t[2])).tanh().sum();
    gradcheck(f, &[x.clone(), w.clone(), b.clone()]).unwrap();
    autograd::gradgradcheck(f, &[x.clone(), w.clone(), b]).unwrap();
    // Only the inputs that require grad get one.
    let x = x.detach();
    F::linear(&x, &w, None).sum().backward().unwrap();
    assert!(x.grad().is_none() && w.grad().is_some());
}

/// Direct convolution with stride, padding, dilation and groups.
#[allow(clippy::too_many_arguments)]
fn conv_ref(
    x: &[f64],
    xs: [usize; 4],
    w: &[f64],
    ws: [usize; 4],
    b: &[f64],
    stride: usize,
    pad: usize,
    dil: usize,
    groups: usize,
) -> (Vec<f64>, [usize; 4]) {
    let [n, c, h, wd] = xs;
    let [o, cg, kh, kw] = ws;
    let ho = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1;
    let wo = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
    let og = o / groups;
    let mut out = vec![0.0; n * o * ho * wo];
    for ni in 0..n {
        for oi in 0..o {
            let g = oi / og;
            for yi in 0..ho {
                for xi in 0..wo {
                    let mut s = b.get(oi).copied().unwrap_or(0.0);
                    for ci in 0..cg {
                        for a in 0..kh {
                            for bb in 0..kw {
                                let iy = (yi * stride + a * dil) as isize - pad as isize;
                                let ix = (xi * stride + bb * dil) as isize - pad as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let cin = g * cg + ci;
                                s += x[((ni * c + cin) * h + iy as usize) * wd + ix as usize]
                                    * w[((oi * cg + ci) * kh + a) * kw + bb];
                            }
                        }
                    }
                    out[((ni * o + oi) * ho + yi) * wo + xi] = s;
                }
            }
        }
    }
    (out, [n, o, ho, wo])
}

#[test]
fn conv2d_with_stride_padding_dilation_groups_matches_direct_loops() {
    autograd::manual_seed(3);
    for (stride, pad, dil, groups) in [
        (1, 0, 1, 1),
        (2, 1, 1, 1),
        (1, 2, 2, 1),
        (1, 1, 1, 2),
        (2, 0, 2, 2),
    ] {
        let conv = nn::Conv2d::new(4, 6, 3)
            .stride(stride)
            .padding(pad)
            .dilation(dil)
            .groups(groups);
        assert_eq!(conv.weight.shape(), &[6, 4 / groups, 3, 3]);
        let bound = 1.0 / ((4 / groups * 9) as f64).sqrt();
        assert!(conv.weight.to_vec::<f64>().iter().all(|v| v.abs() <= bound));
        let x = Tensor::randn(&[2, 4, 7, 8]);
        let y = conv.forward(&x);
        let ws = conv.weight.shape();
        let (want, shape) = conv_ref(
            &x.to_vec::<f64>(),
            [2, 4, 7, 8],
            &conv.weight.to_vec::<f64>(),
            [ws[0], ws[1], ws[2], ws[3]],
            &conv.bias.as_ref().unwrap().to_vec::<f64>(),
            stride,
            pad,
            dil,
            groups,
        );
        assert_eq!(y.shape(), &shape, "{stride} {pad} {dil} {groups}");
        close(&y.to_vec::<f64>(), &want, 1e-5);
    }
}

#[test]
fn conv2d_dilation_and_groups_gradcheck() {
    autograd::manual_seed(4);
    let x = randn64(&[1, 4, 5, 5]);
    let w = randn64(&[4, 2, 2, 2]);
    let b = randn64(&[4]);
    gradcheck(
        |t| F::try_conv2d(&t[0], &t[1], Some(&t[2]), 1, 1, 2, 2).unwrap(),
        &[x, w, b],
    )
    .unwrap();
}

#[test]
fn pooling_flatten_and_activations() {
    let x = Tensor::from_vec((0..32).map(|v| v as f32).collect(), &[1, 2, 4, 4]);
    let m = nn::MaxPool2d::new(2).forward(&x);
    assert_eq!(m.to_vec::<f32>(), [5., 7., 13., 15., 21., 23., 29., 31.]);
    assert_eq!(F::max_pool2d(&x, 2).to_vec::<f32>(), m.to_vec::<f32>());
    let a = nn::AvgPool2d::new(2).forward(&x);
    assert_eq!(
        a.to_vec::<f32>(),
        [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5]
    );
    assert_eq!(
        nn::MaxPool2d::new(3).stride(1).forward(&x).shape(),
        &[1, 2, 2, 2]
    );
    assert_eq!(nn::Flatten::new().forward(&x).shape(), &[1, 32]);
    // Padding: -inf for the maximum, counted zeros for the mean (PyTorch's).
    let p = nn::MaxPool2d::new(3).stride(2).padding(1).forward(&x);
    assert_eq!(p.shape(), &[1, 2, 2, 2]);
    assert_eq!(p.to_vec::<f32>(), [5., 7., 13., 15., 21., 23., 29., 31.]);
    let neg = -&x;
    let p = nn::MaxPool2d::new(2).padding(1).forward(&neg);
    assert_eq!(&p.to_vec::<f32>()[..3], [-0., -1., -3.]);
    let a = nn::AvgPool2d::new(2).padding(1).forward(&x);
    assert_eq!(a.shape(), &[1, 2, 3, 3]);
    assert_eq!(&a.to_vec::<f32>()[..3], [0.0, 0.75, 0.75]);
    let padded = F::pad2d(&x, 2, 9.0);
    assert_eq!(padded.shape(), &[1, 2, 8, 8]);
    assert_eq!(padded.sum().item(), x.sum().item() + 9.0 * 2.0 * 48.0);
    gradcheck(
        |t| F::avg_pool2d_with(&t[0], 3, 2, 1),
        &randn64(&[1, 2, 5, 5]),
    )
    .unwrap();
    gradcheck(
        |t| F::max_pool2d_with(&t[0], 3, 2, 1),
        &randn64(&[1, 2, 5, 5]),
    )
    .unwrap();
    assert_eq!(nn::Flatten::dims(0, 1).forward(&x).shape(), &[2, 4, 4]);

    let v = [-3.0f64, -0.5, 0.0, 0.5, 3.0];
    let t = Tensor::from_vec(v.to_vec(), &[5]);
    let check = |m: &dyn Module, f: &dyn Fn(f64) -> f64| {
        let want: Vec<f64> = v.iter().map(|&x| f(x)).collect();
        close(&m.forward(&t).to_vec::<f64>(), &want, 1e-12);
    };
    check(&nn::ReLU::new(), &|x| x.max(0.0));
    check(&nn::LeakyReLU::new(), &|x| {
        if x > 0.0 {
            x
        } else {
            0.01 * x
        }
    });
    check(&nn::LeakyReLU::with_slope(0.2), &|x| {
        if x > 0.0 {
            x
        } else {
            0.2 * x
        }
    });
    check(&nn::Tanh::new(), &f64::tanh);
    check(&nn::Sigmoid::new(), &|x| 1.0 / (1.0 + (-x).exp()));
    // GELU(x) = x Phi(x); Phi at these points from tables of the normal CDF.
    let phi = [
        0.0013498980316301,
        0.3085375387259869,
        0.5,
        0.6914624612740131,
        0.9986501019683699,
    ];
    let gelu: Vec<f64> = v.iter().zip(phi).map(|(x, p)| x * p).collect();
    close(&nn::GELU::new().forward(&t).to_vec::<f64>(), &gelu, 1e-12);
    let c = (2.0 / std::f64::consts::PI).sqrt();
    check(&nn::GELU::new().approximate_tanh(), &|x| {
        0.5 * x * (1.0 + (c * (x + 0.044715 * x.powi(3))).tanh())
    });
    let s = nn::Softmax::new(0).forward(&t).to_vec::<f64>();
    let z: f64 = v.iter().map(|x| x.exp()).sum();
    close(
        &s,
        &v.iter().map(|x| x.exp() / z).collect::<Vec<_>>(),
        1e-12,
    );
}

#[test]
fn erf_values_and_gradients() {
    // Reference values of erf (Abramowitz and Stegun, table 7.1, and beyond).
    for (x, want) in [
        (0.0, 0.0),
        (0.5, 0.5204998778130465),
        (1.0, 0.8427007929497149),
        (2.0, 0.9953222650189527),
        (3.0, 0.9999779095030014),
        (4.0, 0.9999999845827421),
        (-1.5, -0.9661051464753108),
    ] {
        assert!(
            (F::erf_f64(x) - want).abs() < 1e-14,
            "erf({x}) = {}",
            F::erf_f64(x)
        );
    }
    let x = Tensor::from_vec(vec![-3.5f64, -1.0, -0.2, 0.0, 0.7, 2.9, 3.1], &[7]);
    gradcheck(|t| F::erf(&t[0]), &x).unwrap();
    gradcheck(|t| F::gelu(&t[0]), &x).unwrap();
    gradcheck(|t| F::gelu_tanh(&t[0]), &x).unwrap();
    let off_kink = Tensor::from_vec(vec![-2.0f64, -0.1, 0.3, 1.0], &[4]);
    gradcheck(|t| F::leaky_relu(&t[0], 0.1), &off_kink).unwrap();
    gradcheck(|t| F::softplus(&t[0]), &x).unwrap();
    autograd::gradgradcheck(|t| F::erf(&t[0]), &x).unwrap();
}

#[test]
fn softplus_is_stable_and_exact_at_zero() {
    let x = Tensor::from_vec(vec![-1000.0f64, 0.0, 1000.0], &[3]).requires_grad_(true);
    let y = F::softplus(&x);
    close(&y.to_vec::<f64>(), &[0.0, 2f64.ln(), 1000.0], 1e-12);
    y.sum().backward().unwrap();
    close(&x.grad().unwrap().to_vec::<f64>(), &[0.0, 0.5, 1.0], 1e-12);
}

#[test]
fn dropout_scales_kept_elements_and_is_identity_in_eval() {
    autograd::manual_seed(5);
    let mut d = nn::Dropout::new(0.25);
    let x = Tensor::ones(&[10000]);
    let y = d.forward(&x).to_vec::<f64>();
    let kept = y.iter().filter(|&&v| v != 0.0).count();
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    assert!((kept as f64 / 10000.0 - 0.75).abs() < 0.02, "{kept}");
    d.eval();
    assert_eq!(d.forward(&x).to_vec::<f64>(), vec![1.0; 10000]);
}

#[test]
fn batch_norm_training_eval_and_running_statistics() {
    autograd::manual_seed(6);
    let mut bn = nn::BatchNorm1d::new(3);
    let x = randn64(&[8, 3]) * 2.0 + 1.0;
    let y = bn.forward(&x);
    let (xv, yv) = (x.to_vec::<f64>(), y.to_vec::<f64>());
    for c in 0..3 {
        let col: Vec<f64> = (0..8).map(|i| xv[i * 3 + c]).collect();
        let mean = col.iter().sum::<f64>() / 8.0;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 8.0;
        for i in 0..8 {
            let want = (col[i] - mean) / (var + 1e-5).sqrt();
            assert!((yv[i * 3 + c] - want).abs() < 1e-5);
        }
        // running = 0.9 * init + 0.1 * batch, with the unbiased variance.
        let rm = bn.running_mean().unwrap().to_vec::<f64>()[c];
        let rv = bn.running_var().unwrap().to_vec::<f64>()[c];
        assert!((rm - 0.1 * mean).abs() < 1e-5);
        assert!((rv - (0.9 + 0.1 * var * 8.0 / 7.0)).abs() < 1e-5);
    }
    bn.eval();
    let rm = bn.running_mean().unwrap().to_vec::<f64>();
    let rv = bn.running_var().unwrap().to_vec::<f64>();
    let y = bn.forward(&x).to_vec::<f64>();
    for i in 0..8 {
        for c in 0..3 {
            let want = (xv[i * 3 + c] - rm[c]) / (rv[c] + 1e-5).sqrt();
            assert!((y[i * 3 + c] - want).abs() < 1e-5);
        }
    }
    // Evaluation leaves the running statistics alone.
    assert_eq!(bn.running_mean().unwrap().to_vec::<f64>(), rm);
    assert_eq!(bn.num_batches_tracked().unwrap().item(), 1.0);
    let names: Vec<String> = bn.state_dict().into_keys().collect();
    assert_eq!(
        names,
        [
            "bias",
            "num_batches_tracked",
            "running_mean",
            "running_var",
            "weight"
        ]
    );

    let bn2 = nn::BatchNorm2d::new(2);
    let x = randn64(&[3, 2, 4, 4]);
    let y = bn2.forward(&x);
    let m = y.mean_dim(0, true).mean_dim(2, true).mean_dim(3, true);
    assert!(m.to_vec::<f64>().iter().all(|v| v.abs() < 1e-6));
    let w = randn64(&[2]);
    let b = randn64(&[2]);
    gradcheck(
        |t| F::batch_norm(&t[0], None, None, Some(&t[1]), Some(&t[2]), true, 0.1, 1e-5),
        &[x, w, b],
    )
    .unwrap();
}

#[test]
fn layer_norm_embedding_sequential() {
    autograd::manual_seed(7);
    let ln = nn::LayerNorm::new(&[4]);
    let x = randn64(&[2, 3, 4]);
    let y = ln.forward(&x);
    let m = y.mean_dim(-1, false).to_vec::<f64>();
    assert!(m.iter().all(|v| v.abs() < 1e-6));
    let var = y.square().mean_dim(-1, false).to_vec::<f64>();
    assert!(var.iter().all(|v| (v - 1.0).abs() < 1e-3));
    let w = randn64(&[4]);
    let b = randn64(&[4]);
    gradcheck(
        |t| F::layer_norm(&t[0], &[4], Some(&t[1]), Some(&t[2]), 1e-5),
        &[x, w, b],
    )
    .unwrap();

    let emb = nn::Embedding::new(10, 3);
    let idx = Tensor::from_vec(vec![1.0f32, 9.0, 1.0, 0.0], &[2, 2]);
    let e = emb.forward(&idx);
    assert_eq!(e.shape(), &[2, 2, 3]);
    let wv = emb.weight.to_vec::<f32>();
    assert_eq!(&e.to_vec::<f32>()[..3], &wv[3..6]);
    e.sum().backward().unwrap();
    let g = emb.weight.grad().unwrap().to_vec::<f32>();
    assert_eq!(&g[3..6], &[2.0, 2.0, 2.0]);
    assert_eq!(&g[6..9], &[0.0, 0.0, 0.0]);

    let seq = nn::Sequential::new()
        .append(nn::Linear::new(3, 5))
        .append(nn::ReLU::new())
        .append(nn::Linear::new(5, 2));
    assert_eq!(seq.len(), 3);
    assert_eq!(seq.forward(&Tensor::ones(&[4, 3])).shape(), &[4, 2]);
    let n: Vec<String> = seq.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(n, ["0.weight", "0.bias", "2.weight", "2.bias"]);
}
