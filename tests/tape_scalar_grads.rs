//! One-element gradients travel between nodes as values while no graph is
//! recorded. They must be bitwise what the tensor formulas give: each program
//! below runs on one-element tensors (the value path) and on two-element ones
//! (the tensor path, element by element the same arithmetic), in every dtype
//! mix, and the gradients of the first elements must have the same bits.

use autograd::grad;
use autograd::prelude::*;

type Program = fn(&Tensor, &Tensor) -> Tensor;

fn programs() -> Vec<(&'static str, Program)> {
    vec![
        ("add", |x, w| x + w),
        ("sub", |x, w| x - w),
        ("mul", |x, w| x * w),
        ("div", |x, w| x / w),
        ("neg", |x, w| -(x * w)),
        ("scalars", |x, w| ((x + 1.5) * 0.3 - 0.7) / 1.3 + (2.0 - w)),
        ("rdiv", |x, w| 1.7 / (x * w)),
        ("pow", |x, w| x.pow(3.0) + w.pow(0.0) + x.pow(-1.5) * w),
        ("exp_ln", |x, w| (x * w).exp().ln() * x.abs()),
        ("tanh", |x, w| (x * w).tanh().tanh()),
        ("sigmoid", |x, w| (x - w).sigmoid() * w),
        ("relu", |x, w| (x - w).relu() + (w - x).relu()),
        ("sin_cos", |x, w| x.sin() * w.cos()),
        ("sqrt", |x, w| (x * x + w * w).sqrt()),
        ("clamp", |x, w| x.clamp(-0.5, 0.5) * w.clamp(0.0, 0.1)),
        ("chain", |x, w| {
            let mut y = x.clone();
            for _ in 0..5 {
                y = (&y * w + x).tanh();
            }
            y
        }),
        ("shared", |x, w| {
            let h = x * w;
            &h * &h + h.exp()
        }),
        ("dtype", |x, w| {
            x.to_dtype(DType::F64) * w.to_dtype(DType::F32)
        }),
        ("mean_view", |x, w| {
            let n = x.numel();
            (x * w).reshape(&[1, n]).mean_dim(0, false)
        }),
    ]
}

/// The gradients of `x` and `w`, with the output's value and dtype appended
/// to `x`'s (the forward takes a one-element path too).
fn grads(p: Program, x: &Tensor, w: &Tensor) -> (Vec<f64>, Vec<f64>) {
    let x = x.detach().requires_grad_(true);
    let w = w.detach().requires_grad_(true);
    let y = p(&x, &w);
    y.sum().backward().unwrap();
    let g = |t: &Tensor| t.grad().map(|g| g.to_vec::<f64>()).unwrap_or_default();
    let mut gx = g(&x);
    if gx.is_empty() {
        gx.push(0.0);
    }
    let (y0, dt) = (y.to_vec::<f64>()[0], y.dtype() == DType::F64);
    (vec![gx[0], y0, f64::from(u8::from(dt))], g(&w))
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn one_element_gradients_match_the_tensor_formulas_bit_for_bit() {
    let values = [
        (0.37, -1.21),
        (-0.8, 0.45),
        (1.9, 2.3),
        (0.0, -0.0),
        (-0.6, 0.0),
    ];
    let dtypes = [
        (DType::F32, DType::F32),
        (DType::F64, DType::F64),
        (DType::F32, DType::F64),
        (DType::F64, DType::F32),
    ];
    for (name, p) in programs() {
        for &(dx, dw) in &dtypes {
            for &(a, c) in &values {
                let one = grads(p, &Tensor::full(&[1], a, dx), &Tensor::full(&[1], c, dw));
                let x2 = Tensor::from_vec(vec![a, 0.9], &[2]).to_dtype(dx);
                let w2 = Tensor::from_vec(vec![c, -0.3], &[2]).to_dtype(dw);
                let two = grads(p, &x2, &w2);
                for (k, (g1, g2)) in [(&one.0, &two.0), (&one.1, &two.1)].into_iter().enumerate() {
                    if g1.is_empty() {
                        assert!(g2.is_empty(), "{name}: input {k} got no gradient");
                        continue;
                    }
                    if k == 0 {
                        assert!(
                            same_bits(g1[1], g2[1]) && g1[2] == g2[2],
                            "{name} {dx:?}/{dw:?} at ({a}, {c}): output {} vs {}",
                            g1[1],
                            g2[1]
                        );
                    }
                    assert!(
                        same_bits(g1[0], g2[0]),
                        "{name} {dx:?}/{dw:?} at ({a}, {c}): input {k}: {} (one element) vs {} (two)",
                        g1[0],
                        g2[0]
                    );
                }
            }
        }
    }
}

#[test]
fn broadcast_one_element_gradients_match_the_tensor_formulas() {
    // [1, 1] against [1] broadcasts like [1, 2] against [2]; [] against [1] like
    // [] against... the rank-0 operand's gradient sums, so only x is compared there.
    for (name, p) in programs() {
        for &(a, c) in &[(0.37, -1.21), (0.0, -0.0), (-0.0, 0.5)] {
            let one = grads(
                p,
                &Tensor::full(&[1, 1], a, DType::F32),
                &Tensor::full(&[1], c, DType::F64),
            );
            let x2 = Tensor::from_vec(vec![a as f32, 0.9], &[1, 2]);
            let w2 = Tensor::from_vec(vec![c, -0.3], &[2]);
            let two = grads(p, &x2, &w2);
            if name == "mean_view" {
                continue;
            }
            for (k, (g1, g2)) in [(&one.0, &two.0), (&one.1, &two.1)].into_iter().enumerate() {
                if g1.is_empty() {
                    continue;
                }
                assert!(
                    same_bits(g1[0], g2[0]),
                    "{name} at ({a}, {c}): input {k}: {} (one element) vs {} (two)",
                    g1[0],
                    g2[0]
                );
            }
        }
    }
}

#[test]
fn value_gradients_reach_hooks_retained_grads_and_grad() {
    let x = Tensor::full(&[1], 0.5, DType::F32).requires_grad_(true);
    let h = (&x * 3.0).tanh();
    h.retain_grad();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let s = seen.clone();
    h.register_hook(move |g| {
        *s.lock().unwrap() = Some(g.item());
        Some(g * 2.0)
    });
    let y = &h * &h;
    y.backward().unwrap();
    let hv = (1.5f64).tanh() as f32 as f64;
    let gh = (2.0 * hv) as f32 as f64;
    assert_eq!(*seen.lock().unwrap(), Some(gh));
    // retain_grad keeps the gradient after hooks ran, as in PyTorch.
    assert_eq!(h.grad().unwrap().item(), (gh * 2.0) as f32 as f64);
    assert_eq!(h.grad().unwrap().shape(), &[1]);
    let gx = x.grad().unwrap();
    assert_eq!(gx.shape(), &[1]);
    assert_eq!(gx.dtype(), DType::F32);
    // grad(..) captures a value gradient as a tensor of the input's shape.
    let x = Tensor::full(&[1, 1], 0.25, DType::F64).requires_grad_(true);
    let y = (&x * &x).sin();
    let g = grad(&y, &x, None, false, false).unwrap();
    assert_eq!(g[0].shape(), &[1, 1]);
    assert_eq!(g[0].item(), (0.0625f64).cos() * 0.5);
    // Leaf gradients accumulate across backward passes.
    let w = Tensor::full(&[], 2.0, DType::F32).requires_grad_(true);
    (&w * 3.0).backward().unwrap();
    (&w * 3.0).backward().unwrap();
    assert_eq!(w.grad().unwrap().item(), 6.0);
    assert_eq!(w.grad().unwrap().shape(), &[] as &[usize]);
}
