//! Every loss against its closed form, in each reduction, and gradchecked.

use autograd::nn::functional as F;
use autograd::nn::Reduction;
use autograd::{gradcheck, DType, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
}

fn close_all(a: &Tensor, b: &[f64]) {
    let a = a.to_vec::<f64>();
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).for_each(|(x, y)| close(*x, *y));
}

const P: [f64; 6] = [0.3, -1.2, 2.5, 0.0, -0.4, 4.0];
const Y: [f64; 6] = [0.1, 0.5, 2.4, -2.0, -0.4, 1.0];

/// Checks the three reductions of an element-wise loss against `f(p, y)`.
fn elementwise(loss: impl Fn(&Tensor, &Tensor, Reduction) -> Tensor, f: impl Fn(f64, f64) -> f64) {
    let (p, y) = (t(&P, &[2, 3]), t(&Y, &[2, 3]));
    let per: Vec<f64> = P.iter().zip(Y).map(|(&a, b)| f(a, b)).collect();
    close_all(&loss(&p, &y, Reduction::None), &per);
    assert_eq!(loss(&p, &y, Reduction::None).shape(), &[2, 3]);
    close(loss(&p, &y, Reduction::Sum).item(), per.iter().sum());
    close(
        loss(&p, &y, Reduction::Mean).item(),
        per.iter().sum::<f64>() / 6.0,
    );
    // Differences chosen away from the kinks, so central differences apply.
    gradcheck(
        |x| loss(&x[0], &x[1], Reduction::Mean),
        &[p.clone(), y.clone()],
    )
    .unwrap();
    gradcheck(|x| loss(&x[0], &x[1], Reduction::None), &[p, y]).unwrap();
}

#[test]
fn regression_losses() {
    elementwise(F::mse_loss_with, |p, y| (p - y).powi(2));
    elementwise(F::l1_loss_with, |p, y| (p - y).abs());
    elementwise(
        |p, y, r| F::smooth_l1_loss_with(p, y, r, 1.0),
        |p, y| {
            let d: f64 = (p - y).abs();
            if d < 1.0 {
                0.5 * d * d
            } else {
                d - 0.5
            }
        },
    );
    elementwise(
        |p, y, r| F::smooth_l1_loss_with(p, y, r, 0.5),
        |p, y| {
            let d: f64 = (p - y).abs();
            if d < 0.5 {
                0.5 * d * d / 0.5
            } else {
                d - 0.25
            }
        },
    );
    elementwise(
        |p, y, r| F::huber_loss_with(p, y, r, 1.5),
        |p, y| {
            let d: f64 = (p - y).abs();
            if d <= 1.5 {
                0.5 * d * d
            } else {
                1.5 * (d - 0.75)
            }
        },
    );
    let (p, y) = (t(&P, &[6]), t(&Y, &[6]));
    close(
        F::mse_loss(&p, &y).item(),
        F::mse_loss_with(&p, &y, Reduction::Mean).item(),
    );
    close(
        F::l1_loss(&p, &y).item(),
        F::l1_loss_with(&p, &y, Reduction::Mean).item(),
    );
    close(
        F::huber_loss(&p, &y).item(),
        F::smooth_l1_loss(&p, &y).item(),
    );
}

#[test]
fn binary_cross_entropy_both_forms() {
    let probs = [0.1, 0.6, 0.95, 0.3, 0.5, 0.02];
    let labels = [0.0, 1.0, 1.0, 0.0, 1.0, 0.3];
    let (p, y) = (t(&probs, &[6]), t(&labels, &[6]));
    let per: Vec<f64> = probs
        .iter()
        .zip(labels)
        .map(|(&p, y): (&f64, f64)| -(y * p.ln() + (1.0 - y) * (1.0 - p).ln()))
        .collect();
    close_all(&F::binary_cross_entropy_with(&p, &y, Reduction::None), &per);
    close(
        F::binary_cross_entropy(&p, &y).item(),
        per.iter().sum::<f64>() / 6.0,
    );
    gradcheck(|x| F::binary_cross_entropy(&x[0], &x[1]), &[p, y.clone()]).unwrap();
    // Probabilities of exactly 0 and 1 are clamped at ln = -100, as in PyTorch.
    let edge = F::binary_cross_entropy_with(
        &t(&[0.0, 1.0], &[2]),
        &t(&[1.0, 0.0], &[2]),
        Reduction::None,
    );
    close_all(&edge, &[100.0, 100.0]);

    // With logits: the same values through sigmoid, stable at +-1000.
    let z: Vec<f64> = probs.iter().map(|p| (p / (1.0 - p)).ln()).collect();
    let zt = t(&z, &[6]);
    close_all(
        &F::binary_cross_entropy_with_logits_with(&zt, &y, Reduction::None),
        &per,
    );
    close(
        F::binary_cross_entropy_with_logits_with(&zt, &y, Reduction::Sum).item(),
        per.iter().sum(),
    );
    gradcheck(
        |x| F::binary_cross_entropy_with_logits(&x[0], &x[1]),
        &[zt, y],
    )
    .unwrap();
    let big = t(&[1000.0, -1000.0, 1000.0, 0.0], &[4]).requires_grad_(true);
    let yb = t(&[1.0, 0.0, 0.0, 1.0], &[4]);
    let l = F::binary_cross_entropy_with_logits_with(&big, &yb, Reduction::None);
    close_all(&l, &[0.0, 0.0, 1000.0, 2f64.ln()]);
    l.sum().backward().unwrap();
    // d/dz = sigmoid(z) - y, exact at z = 0 too.
    close_all(&big.grad().unwrap(), &[0.0, 0.0, 1.0, -0.5]);
}

fn log_softmax_rows(x: &[f64], c: usize) -> Vec<f64> {
    x.chunks(c)
        .flat_map(|r| {
            let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            r.iter().map(move |v| v - lse).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn cross_entropy_nll_and_label_smoothing() {
    let logits = [1.0, 2.0, 0.5, -1.0, 0.0, 3.0, 0.2, 0.2, 0.2, 5.0, -2.0, 1.0];
    let targets = [1.0, 2.0, 0.0, 0.0];
    let (x, y) = (t(&logits, &[4, 3]), t(&targets, &[4]));
    let lp = log_softmax_rows(&logits, 3);
    let per: Vec<f64> = (0..4).map(|i| -lp[i * 3 + targets[i] as usize]).collect();
    close_all(&F::cross_entropy_with(&x, &y, Reduction::None, 0.0), &per);
    close(
        F::cross_entropy(&x, &y).item(),
        per.iter().sum::<f64>() / 4.0,
    );
    close(
        F::cross_entropy_with(&x, &y, Reduction::Sum, 0.0).item(),
        per.iter().sum(),
    );
    close(
        F::nll_loss(&x.log_softmax(1), &y).item(),
        per.iter().sum::<f64>() / 4.0,
    );
    close_all(
        &F::nll_loss_with(&x, &y, Reduction::None),
        &(0..4)
            .map(|i| -logits[i * 3 + targets[i] as usize])
            .collect::<Vec<_>>(),
    );
    gradcheck(|v| F::cross_entropy(&v[0], &y), &x).unwrap();
    gradcheck(|v| F::nll_loss(&v[0], &y), &x).unwrap();

    // Label smoothing eps: (1 - eps) nll + eps * mean_c(-log p_c).
    let eps = 0.1;
    let smooth: Vec<f64> = (0..4)
        .map(|i| (1.0 - eps) * per[i] - eps * (0..3).map(|c| lp[i * 3 + c]).sum::<f64>() / 3.0)
        .collect();
    close_all(
        &F::cross_entropy_with(&x, &y, Reduction::None, eps),
        &smooth,
    );
    gradcheck(
        |v| F::cross_entropy_with(&v[0], &y, Reduction::Mean, eps),
        &x,
    )
    .unwrap();

    // Large logits stay finite; one sample (c) and spatial (n, c, d) inputs.
    let big = t(&[1000.0, 0.0, -1000.0], &[3]);
    close(F::cross_entropy(&big, &t(&[1.0], &[])).item(), 1000.0);
    let sp = Tensor::randn(&[2, 3, 4]).to_dtype(DType::F64);
    let ys = t(&[0.0, 1.0, 2.0, 1.0, 2.0, 2.0, 0.0, 1.0], &[2, 4]);
    let flat = sp.permute(&[0, 2, 1]).reshape(&[8, 3]);
    close(
        F::cross_entropy(&sp, &ys).item(),
        F::cross_entropy(&flat, &ys.reshape(&[8])).item(),
    );
    // f32 logits keep their dtype.
    let l32 = F::cross_entropy(&x.to_dtype(DType::F32), &y);
    assert_eq!(l32.dtype(), DType::F32);
}

#[test]
#[should_panic(expected = "target 3 is out of range for 3 classes")]
fn cross_entropy_rejects_bad_classes() {
    F::cross_entropy(
        &Tensor::zeros(&[2, 3]),
        &Tensor::from_vec(vec![0.0f32, 3.0], &[2]),
    );
}

#[test]
#[should_panic(expected = "the input has shape [2] but the target has shape [3]")]
fn mse_loss_rejects_shape_mismatch() {
    F::mse_loss(&Tensor::zeros(&[2]), &Tensor::zeros(&[3]));
}

#[test]
fn loss_modules_match_the_functions() {
    use autograd::nn;
    let (p, y) = (t(&P, &[6]), t(&Y, &[6]));
    close(
        nn::MSELoss::new().forward(&p, &y).item(),
        F::mse_loss(&p, &y).item(),
    );
    close(
        nn::L1Loss::new()
            .reduction(Reduction::Sum)
            .forward(&p, &y)
            .item(),
        F::l1_loss_with(&p, &y, Reduction::Sum).item(),
    );
    close(
        nn::SmoothL1Loss::new().beta(0.5).forward(&p, &y).item(),
        F::smooth_l1_loss_with(&p, &y, Reduction::Mean, 0.5).item(),
    );
    close(
        nn::HuberLoss::new().delta(2.0).forward(&p, &y).item(),
        F::huber_loss_with(&p, &y, Reduction::Mean, 2.0).item(),
    );
    let x = t(&[1.0, 2.0, 0.5, -1.0, 0.0, 3.0], &[2, 3]);
    let c = t(&[2.0, 0.0], &[2]);
    close(
        nn::CrossEntropyLoss::new()
            .label_smoothing(0.2)
            .forward(&x, &c)
            .item(),
        F::cross_entropy_with(&x, &c, Reduction::Mean, 0.2).item(),
    );
    close(
        nn::NLLLoss::new().forward(&x.log_softmax(1), &c).item(),
        F::cross_entropy(&x, &c).item(),
    );
    let q = t(&[0.2, 0.9], &[2]);
    let b = t(&[0.0, 1.0], &[2]);
    close(
        nn::BCELoss::new().forward(&q, &b).item(),
        F::binary_cross_entropy(&q, &b).item(),
    );
    let z = t(&[-1.0, 2.0], &[2]);
    assert_eq!(
        nn::BCEWithLogitsLoss::new()
            .reduction(Reduction::None)
            .forward(&z, &b)
            .shape(),
        &[2]
    );
}
