//! Forward values of the ops against plain reference loops written here (the
//! gradient tests check derivatives only relative to the forward).

use autograd::prelude::*;

fn v(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-9 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

fn seq(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        (0..n)
            .map(|i| (i as f64 * 0.37).sin() * 3.0)
            .collect::<Vec<_>>(),
        shape,
    )
}

/// `a op b` broadcast to `out` (same rank), entry by entry through the indices.
fn broadcast_ref(a: &Tensor, b: &Tensor, out: &[usize], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let (av, bv) = (v(a), v(b));
    let at = |t: &Tensor, vals: &[f64], idx: &[usize]| {
        let sh = t.shape();
        let mut off = 0;
        for (d, &i) in idx.iter().enumerate() {
            off = off * sh[d] + if sh[d] == 1 { 0 } else { i };
        }
        vals[off]
    };
    let n: usize = out.iter().product();
    (0..n)
        .map(|mut flat| {
            let mut idx = vec![0; out.len()];
            for d in (0..out.len()).rev() {
                idx[d] = flat % out[d];
                flat /= out[d];
            }
            f(at(a, &av, &idx), at(b, &bv, &idx))
        })
        .collect()
}

#[test]
fn broadcasting_by_rows_matches_entry_by_entry() {
    // Both operands run along the last dimension, one of them, or the other.
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 1, 4], &[1, 2, 4]),
        (&[3, 2, 4], &[3, 2, 1]),
        (&[3, 1, 1], &[1, 2, 4]),
        (&[1, 2, 4], &[3, 2, 4]),
        (&[2, 1, 3, 5], &[1, 4, 3, 1]),
    ];
    for (sa, sb) in cases {
        let (a, b) = (seq(sa), seq(sb) * 0.5 + 1.0);
        let out: Vec<usize> = sa.iter().zip(sb).map(|(x, y)| *x.max(y)).collect();
        close(&v(&(&a - &b)), &broadcast_ref(&a, &b, &out, |x, y| x - y));
        close(&v(&(&a * &b)), &broadcast_ref(&a, &b, &out, |x, y| x * y));
        close(
            &v(&(&b / &a.exp())),
            &broadcast_ref(&b, &a.exp(), &out, |x, y| x / y),
        );
    }
}

#[test]
fn broadcasting_arithmetic() {
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3, 1]);
    let b = Tensor::from_vec(vec![10.0, 20.0], &[2]);
    let c = &a * &b + 1.0;
    assert_eq!(c.shape(), &[3, 2]);
    close(&v(&c), &[11.0, 21.0, 21.0, 41.0, 31.0, 61.0]);
    close(&v(&(1.0 - &b)), &[-9.0, -19.0]);
    close(&v(&(&b / 4.0)), &[2.5, 5.0]);
    close(&v(&(40.0 / &b)), &[4.0, 2.0]);
    close(&v(&-&b), &[-10.0, -20.0]);
    close(&v(&(Tensor::scalar(2.0) * &a)), &[2.0, 4.0, 6.0]);
    let mut acc = Tensor::zeros(&[2]).to_dtype(DType::F64);
    acc += &b;
    acc *= 2.0;
    acc -= 1.0;
    acc /= &Tensor::scalar(2.0);
    close(&v(&acc), &[9.5, 19.5]);
}

#[test]
fn trailing_broadcasts_and_their_sums() {
    let m = seq(&[2, 3]);
    let b = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
    let md = v(&m);
    let expected: Vec<f64> = (0..6).map(|i| md[i] + [1.0, 2.0, 3.0][i % 3]).collect();
    close(&v(&(&m + &b)), &expected);
    close(&v(&(&b.reshape(&[1, 3]) + &m)), &expected);
    close(
        &v(&(&b - &m)),
        &expected
            .iter()
            .zip(&md)
            .map(|(e, x)| e - 2.0 * x)
            .collect::<Vec<_>>(),
    );
    let s = m.sum_to(&[3]);
    close(&v(&s), &[md[0] + md[3], md[1] + md[4], md[2] + md[5]]);
    close(&v(&m.sum_to(&[1, 1])), &[md.iter().sum()]);
    close(
        &v(&m.sum_to(&[2, 1])),
        &[md[..3].iter().sum(), md[3..].iter().sum()],
    );
}

#[test]
fn unary_functions() {
    let x = Tensor::from_vec(vec![-2.0, -0.5, 0.0, 0.5, 2.0], &[5]);
    let xs = v(&x);
    let map = |f: fn(f64) -> f64| xs.iter().map(|&t| f(t)).collect::<Vec<_>>();
    close(&v(&x.exp()), &map(f64::exp));
    close(&v(&x.tanh()), &map(f64::tanh));
    close(&v(&x.sin()), &map(f64::sin));
    close(&v(&x.cos()), &map(f64::cos));
    close(&v(&x.abs()), &map(f64::abs));
    close(&v(&x.relu()), &map(|t| t.max(0.0)));
    close(&v(&x.sigmoid()), &map(|t| 1.0 / (1.0 + (-t).exp())));
    close(&v(&x.clamp(-1.0, 1.0)), &[-1.0, -0.5, 0.0, 0.5, 1.0]);
    close(&v(&x.pow(3.0)), &map(|t| t * t * t));
    // Squares, roots and reciprocals as PyTorch computes them, to the bit.
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    let exact = |p: f64, f: fn(f64) -> f64| assert_eq!(bits(v(&x.pow(p))), bits(map(f)));
    exact(2.0, |t| t * t);
    exact(1.0, |t| t);
    exact(0.5, f64::sqrt);
    exact(-1.0, |t| 1.0 / t);
    exact(-2.0, |t| 1.0 / (t * t));
    close(&v(&x.abs().sqrt()), &map(|t| t.abs().sqrt()));
    close(&v(&(x.abs() + 1.0).ln()), &map(|t| (t.abs() + 1.0).ln()));
    close(&v(&x.sign()), &[-1.0, -1.0, 0.0, 1.0, 1.0]);
    close(&v(&Tensor::from_vec(vec![3.0, 4.0], &[2]).norm()), &[5.0]);
}

#[test]
fn trigonometric_and_near_zero_functions() {
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, FRAC_PI_6, PI};
    let x = Tensor::from_vec(vec![-1.0, -0.5, 0.0, 0.5, 1.0], &[5]);
    close(
        &v(&x.asin()),
        &[-FRAC_PI_2, -FRAC_PI_6, 0.0, FRAC_PI_6, FRAC_PI_2],
    );
    close(
        &v(&x.acos()),
        &[PI, 2.0 * PI / 3.0, FRAC_PI_2, PI / 3.0, 0.0],
    );
    close(
        &v(&x.atan()),
        &[-FRAC_PI_4, -0.5f64.atan(), 0.0, 0.5f64.atan(), FRAC_PI_4],
    );
    let angles = Tensor::from_vec(vec![0.0, FRAC_PI_4, -FRAC_PI_4, PI / 3.0], &[4]);
    close(&v(&angles.tan()), &[0.0, 1.0, -1.0, 3f64.sqrt()]);
    assert!(Tensor::from_vec(vec![1.5], &[1]).asin().item().is_nan());
    // Near zero, log1p and expm1 keep the digits ln(1 + x) and e^x - 1 lose.
    let tiny = Tensor::from_vec(vec![1e-12, -1e-12, 0.0], &[3]);
    close(&v(&tiny.log1p()), &[1e-12 - 5e-25, -1e-12 - 5e-25, 0.0]);
    close(&v(&tiny.expm1()), &[1e-12 + 5e-25, -1e-12 + 5e-25, 0.0]);
    let e = Tensor::from_vec(vec![1.0, std::f64::consts::E - 1.0], &[2]);
    close(&v(&e.log1p()), &[2f64.ln(), 1.0]);
    close(
        &v(&Tensor::from_vec(vec![1.0], &[1]).expm1()),
        &[std::f64::consts::E - 1.0],
    );
    // atan2 broadcasts, and covers all four quadrants and the axes.
    let ys = Tensor::from_vec(vec![1.0, -1.0, 0.0], &[3, 1]);
    let xs = Tensor::from_vec(vec![1.0, -1.0, 0.0], &[3]);
    let a = ys.atan2(&xs);
    assert_eq!(a.shape(), &[3, 3]);
    close(
        &v(&a),
        &[
            FRAC_PI_4,
            3.0 * FRAC_PI_4,
            FRAC_PI_2,
            -FRAC_PI_4,
            -3.0 * FRAC_PI_4,
            -FRAC_PI_2,
            0.0,
            PI,
            0.0,
        ],
    );
    let xs = xs.requires_grad_(true);
    let ys = ys.requires_grad_(true);
    let names = [
        (ys.atan2(&xs), "Atan2Backward0"),
        (xs.tan(), "TanBackward0"),
        (xs.asin(), "AsinBackward0"),
        (xs.acos(), "AcosBackward0"),
        (xs.atan(), "AtanBackward0"),
        (xs.log1p(), "Log1PBackward0"),
        (xs.expm1(), "Expm1Backward0"),
        (xs.floor(), "FloorBackward0"),
        (xs.ceil(), "CeilBackward0"),
        (xs.round(), "RoundBackward0"),
    ];
    for (t, name) in names {
        assert_eq!(t.grad_fn().unwrap().name(), name);
    }
    // The gradient of atan2 at the origin is 0 for both operands.
    let o = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    let p = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    o.atan2(&p).sum().backward().unwrap();
    assert_eq!(
        (o.grad().unwrap().item(), p.grad().unwrap().item()),
        (0.0, 0.0)
    );
    // d/da atan2(a, b) = b / (a^2 + b^2), d/db = -a / (a^2 + b^2), at (1, 2).
    let a = Tensor::from_vec(vec![1.0, 1.0], &[2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![2.0], &[1]).requires_grad_(true);
    a.atan2(&b).sum().backward().unwrap();
    close(&v(&a.grad().unwrap()), &[0.4, 0.4]);
    close(&v(&b.grad().unwrap()), &[-0.4]);
}

#[test]
fn rounding_rounds_halves_to_even() {
    let x = Tensor::from_vec(vec![-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.2, -1.7], &[8]);
    assert_eq!(
        v(&x.round()),
        vec![-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 1.0, -2.0]
    );
    assert!(x.round().to_vec::<f64>()[2].is_sign_negative());
    assert_eq!(
        v(&x.floor()),
        vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 1.0, -2.0]
    );
    assert_eq!(
        v(&x.ceil()),
        vec![-2.0, -1.0, -0.0, 1.0, 2.0, 3.0, 2.0, -1.0]
    );
    let f = Tensor::from_vec(vec![2.5f32, 3.5], &[2]);
    assert_eq!(f.round().to_vec::<f32>(), vec![2.0, 4.0]);
    // Zero gradient, also for an infinite incoming gradient (zeros_like).
    let l = x.requires_grad_(true);
    (l.floor() + l.ceil() + l.round()).sum().backward().unwrap();
    assert_eq!(v(&l.grad().unwrap()), vec![0.0; 8]);
    let one = Tensor::from_vec(vec![0.3], &[1]).requires_grad_(true);
    one.round()
        .backward_with(&Tensor::from_vec(vec![f64::INFINITY], &[1]))
        .unwrap();
    assert_eq!(one.grad().unwrap().item(), 0.0);
}

#[test]
fn f32_results_round_like_native_f32() {
    let a = Tensor::from_vec(vec![0.1f32, 1.0 / 3.0, 7.5], &[3]);
    let b = Tensor::from_vec(vec![0.2f32, 3.0, 1e-3], &[3]);
    let av = a.to_vec::<f32>();
    let bv = b.to_vec::<f32>();
    let expected: Vec<f32> = av.iter().zip(&bv).map(|(x, y)| x * y + x / y).collect();
    assert_eq!((&a * &b + &a / &b).to_vec::<f32>(), expected);
}

#[test]
fn reductions_and_normalisations() {
    let x = seq(&[2, 3, 4]);
    let d = v(&x);
    let at = |i: usize, j: usize, k: usize| d[(i * 3 + j) * 4 + k];
    close(&v(&x.sum()), &[d.iter().sum()]);
    close(&v(&x.mean()), &[d.iter().sum::<f64>() / 24.0]);
    let s1 = x.sum_dim(1, false);
    assert_eq!(s1.shape(), &[2, 4]);
    let expected: Vec<f64> = (0..2)
        .flat_map(|i| (0..4).map(move |k| (0..3).map(|j| at(i, j, k)).sum()))
        .collect();
    close(&v(&s1), &expected);
    assert_eq!(x.mean_dim(-1, true).shape(), &[2, 3, 1]);
    let sm = x.softmax(1);
    for i in 0..2 {
        for k in 0..4 {
            let z: f64 = (0..3).map(|j| at(i, j, k).exp()).sum();
            for j in 0..3 {
                let got = v(&sm)[(i * 3 + j) * 4 + k];
                assert!((got - at(i, j, k).exp() / z).abs() < 1e-12);
            }
        }
    }
    close(&v(&x.log_softmax(1)), &v(&sm.ln()));
    close(
        &v(&x.logsumexp(1, false)),
        &v(&x.exp().sum_dim(1, false).ln()),
    );
    let big = Tensor::from_vec(vec![1000.0, 1000.0], &[2]);
    close(&v(&big.softmax(0)), &[0.5, 0.5]);
    close(&v(&big.logsumexp(0, false)), &[1000.0 + 2f64.ln()]);
}

#[test]
fn products_variances_and_scans() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_eq!(v(&x.prod()), vec![720.0]);
    assert_eq!(x.prod().shape(), &[] as &[usize]);
    assert_eq!(v(&x.prod_dim(1, false)), vec![6.0, 120.0]);
    assert_eq!(v(&x.prod_dim(0, true)), vec![4.0, 10.0, 18.0]);
    assert_eq!(x.prod_dim(0, true).shape(), &[1, 3]);
    assert_eq!(v(&x.cumsum(1)), vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
    assert_eq!(v(&x.cumsum(0)), vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]);
    assert_eq!(v(&x.cumprod(-1)), vec![1.0, 2.0, 6.0, 4.0, 20.0, 120.0]);
    // var of 1..=6 with divisor 5: 17.5 / 5 = 3.5.
    close(&v(&x.var()), &[3.5]);
    close(&v(&x.std()), &[3.5f64.sqrt()]);
    close(&v(&x.var_dim(1, false)), &[1.0, 1.0]);
    close(&v(&x.std_dim(0, true)), &[4.5f64.sqrt(); 3]);
    assert_eq!(x.var_dim(0, true).shape(), &[1, 3]);
    assert!(Tensor::from_vec(vec![2.0], &[1]).var().item().is_nan());
    assert_eq!(v(&Tensor::zeros(&[0]).prod()), vec![1.0]);
    assert!(x.try_prod_dim(2, false).is_err());
    assert!(x.try_cumsum(-3).is_err());
    assert!(x.try_var_dim(5, true).is_err());

    // The gradient of a product at a zero entry is the product of the others.
    let z = Tensor::from_vec(vec![2.0, 0.0, 3.0, 0.0, 0.0, 5.0], &[2, 3]).requires_grad_(true);
    z.prod_dim(1, false).sum().backward().unwrap();
    assert_eq!(v(&z.grad().unwrap()), vec![0.0, 6.0, 0.0, 0.0, 0.0, 0.0]);
    z.zero_grad();
    z.prod().backward().unwrap();
    assert_eq!(v(&z.grad().unwrap()), vec![0.0; 6]);
    let one_zero = Tensor::from_vec(vec![2.0, 0.0, 3.0], &[3]).requires_grad_(true);
    one_zero.prod().backward().unwrap();
    assert_eq!(v(&one_zero.grad().unwrap()), vec![0.0, 6.0, 0.0]);
    // cumprod([2, 0, 3]) = [2, 0, 0]; d(sum)/dx = [1 + 0 + 0, 2 + 2*3, 0].
    let c = Tensor::from_vec(vec![2.0, 0.0, 3.0], &[3]).requires_grad_(true);
    c.cumprod(0).sum().backward().unwrap();
    assert_eq!(v(&c.grad().unwrap()), vec![1.0, 8.0, 0.0]);
    // cumsum's gradient is the reversed running sum of the incoming one.
    let s = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad_(true);
    s.cumsum(0)
        .backward_with(&Tensor::from_vec(vec![1.0, 10.0, 100.0], &[3]))
        .unwrap();
    assert_eq!(v(&s.grad().unwrap()), vec![111.0, 110.0, 100.0]);
    // d var / dx = 2 (x - mean) / (n - 1); std at zero spread has gradient 0.
    let w = Tensor::from_vec(vec![1.0, 2.0, 6.0], &[3]).requires_grad_(true);
    w.var().backward().unwrap();
    close(&v(&w.grad().unwrap()), &[-2.0, -1.0, 3.0]);
    let flat = Tensor::from_vec(vec![4.0, 4.0], &[2]).requires_grad_(true);
    flat.std().backward().unwrap();
    assert_eq!(v(&flat.grad().unwrap()), vec![0.0, 0.0]);

    let l = x.requires_grad_(true);
    for (t, name) in [
        (l.prod(), "ProdBackward0"),
        (l.prod_dim(0, false), "ProdBackward1"),
        (l.var(), "VarBackward0"),
        (l.var_dim(1, true), "VarBackward0"),
        (l.std(), "StdBackward0"),
        (l.std_dim(1, false), "StdBackward0"),
        (l.cumsum(0), "CumsumBackward0"),
        (l.cumprod(1), "CumprodBackward0"),
    ] {
        assert_eq!(t.grad_fn().unwrap().name(), name);
    }
}

#[test]
fn second_derivatives_of_products_at_zeros() {
    // d2/dx_i dx_j prod(x) = product of the others but i and j (0 on the
    // diagonal): for [0, 2, 3], row 0 is [0, 3, 2].
    let x = Tensor::from_vec(vec![0.0, 2.0, 3.0], &[3]).requires_grad_(true);
    let g = autograd::grad(&[x.prod()], &[&x], None, true, true).unwrap();
    g[0].narrow(0, 0, 1).sum().backward().unwrap();
    assert_eq!(v(&x.grad().unwrap()), vec![0.0, 3.0, 2.0]);
}

#[test]
fn extrema() {
    let x = Tensor::from_vec(vec![1.0, 5.0, 3.0, 7.0, 2.0, 7.0], &[2, 3]);
    let (m, i) = x.max_dim(1, false);
    close(&v(&m), &[5.0, 7.0]);
    close(&v(&i), &[1.0, 0.0]);
    let (m, i) = x.min_dim(0, true);
    assert_eq!(m.shape(), &[1, 3]);
    close(&v(&m), &[1.0, 2.0, 3.0]);
    close(&v(&i), &[0.0, 1.0, 0.0]);
    close(&v(&x.argmax(0, false)), &[1.0, 0.0, 1.0]);
    close(&v(&x.argmin(1, false)), &[0.0, 1.0]);
}

#[test]
fn layout_ops() {
    let x = seq(&[2, 3, 4]);
    let d = v(&x);
    let p = x.permute(&[2, 0, 1]);
    assert_eq!(p.shape(), &[4, 2, 3]);
    for k in 0..4 {
        for i in 0..2 {
            for j in 0..3 {
                assert_eq!(v(&p)[(k * 2 + i) * 3 + j], d[(i * 3 + j) * 4 + k]);
            }
        }
    }
    assert_eq!(v(&x.transpose(0, 2)), v(&x.permute(&[2, 1, 0])));
    let m = seq(&[2, 3]);
    assert_eq!(v(&m.t()), {
        let dm = v(&m);
        vec![dm[0], dm[3], dm[1], dm[4], dm[2], dm[5]]
    });
    assert_eq!(x.unsqueeze(-1).shape(), &[2, 3, 4, 1]);
    assert_eq!(x.unsqueeze(0).squeeze(0).shape(), &[2, 3, 4]);
    assert_eq!(x.squeeze(0).shape(), &[2, 3, 4]);
    assert_eq!(Tensor::zeros(&[1, 2, 1]).squeeze_all().shape(), &[2]);
    assert_eq!(x.reshape(&[6, 4]).shape(), &[6, 4]);
    assert_eq!(v(&x.flatten()), d);
    let n = x.narrow(2, 1, 2);
    assert_eq!(n.shape(), &[2, 3, 2]);
    assert_eq!(v(&n)[..2], d[1..3]);
    let e = Tensor::from_vec(vec![1.0, 2.0], &[2, 1]).expand(&[3, 2, 2]);
    assert_eq!(v(&e), [1.0, 1.0, 2.0, 2.0].repeat(3));
}

#[test]
fn flip_and_masked_fill() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_eq!(v(&x.flip(&[1])), vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    assert_eq!(v(&x.flip(&[0])), vec![4.0, 5.0, 6.0, 1.0, 2.0, 3.0]);
    assert_eq!(v(&x.flip(&[0, 1])), vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);
    assert_eq!(v(&x.flip(&[])), v(&x));
    assert!(x.try_flip(&[2]).is_err());
    assert!(x.try_flip(&[1, 1]).is_err());
    let mask = Tensor::from_vec(vec![1.0, 0.0, 2.0], &[3]);
    assert_eq!(
        v(&x.masked_fill(&mask, -1.0)),
        vec![-1.0, 2.0, -1.0, -1.0, 5.0, -1.0]
    );
    let rows = Tensor::from_vec(vec![0.0, 1.0], &[2, 1]);
    assert_eq!(
        v(&x.masked_fill(&rows, f64::NEG_INFINITY)),
        vec![
            1.0,
            2.0,
            3.0,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY
        ]
    );
    // The mask broadcasts to the tensor, never the other way.
    let err = x
        .try_masked_fill(&Tensor::zeros(&[2, 2, 3]), 0.0)
        .unwrap_err();
    assert!(
        err.to_string().contains("[2, 3]") && err.to_string().contains("[2, 2, 3]"),
        "{err}"
    );
    assert!(x.try_masked_fill(&Tensor::zeros(&[2]), 0.0).is_err());
    let l = x.requires_grad_(true);
    let y = l.masked_fill(&mask, 0.0);
    assert_eq!(y.grad_fn().unwrap().name(), "MaskedFillBackward0");
    assert_eq!(l.flip(&[0]).grad_fn().unwrap().name(), "FlipBackward0");
    y.sum().backward().unwrap();
    assert_eq!(v(&l.grad().unwrap()), vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn repeat_split_and_chunk() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let r = x.repeat(&[1, 2]);
    assert_eq!(r.shape(), &[2, 4]);
    assert_eq!(v(&r), vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
    let r = x.repeat(&[2, 1, 1]);
    assert_eq!(r.shape(), &[2, 2, 2]);
    assert_eq!(v(&r), [1.0, 2.0, 3.0, 4.0].repeat(2));
    let r = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).repeat(&[2, 2]);
    assert_eq!(r.shape(), &[2, 6]);
    assert_eq!(v(&r), [1.0, 2.0, 3.0].repeat(4));
    assert_eq!(x.repeat(&[0, 3]).shape(), &[0, 6]);
    let err = x.try_repeat(&[2]).unwrap_err().to_string();
    assert!(err.contains("[2, 2]") && err.contains("[2]"), "{err}");
    // Each element of x appears 2 * 3 times in x.repeat([2, 3]).
    let l = x.requires_grad_(true);
    let r = l.repeat(&[2, 3]);
    assert_eq!(r.grad_fn().unwrap().name(), "RepeatBackward0");
    r.sum().backward().unwrap();
    assert_eq!(v(&l.grad().unwrap()), vec![6.0; 4]);

    let s = Tensor::from_vec((0..10).map(f64::from).collect::<Vec<_>>(), &[2, 5]);
    let pieces = s.split(2, 1);
    let shapes: Vec<&[usize]> = pieces.iter().map(|p| p.shape()).collect();
    assert_eq!(shapes, vec![&[2, 2][..], &[2, 2], &[2, 1]]);
    assert_eq!(v(&pieces[1]), vec![2.0, 3.0, 7.0, 8.0]);
    assert_eq!(v(&pieces[2]), vec![4.0, 9.0]);
    assert_eq!(s.split(5, -1).len(), 1);
    assert_eq!(s.split(7, 1).len(), 1);
    // 5 in 4 chunks: pieces of ceil(5 / 4) = 2, so only 3 of them.
    let c = s.chunk(4, 1);
    let sizes: Vec<usize> = c.iter().map(|p| p.shape()[1]).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(s.chunk(2, 0).len(), 2);
    assert_eq!(v(&s.chunk(2, 0)[1]), vec![5.0, 6.0, 7.0, 8.0, 9.0]);
    assert_eq!(
        s.chunk(3, 1)
            .iter()
            .map(|p| p.shape()[1])
            .collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
    assert_eq!(Tensor::zeros(&[0, 2]).chunk(3, 0).len(), 3);
    assert_eq!(Tensor::zeros(&[0, 2]).split(2, 0).len(), 1);
    assert!(s.try_chunk(0, 1).is_err());
    assert!(s.try_split(0, 1).is_err());
    assert!(s.try_split(1, 2).is_err());
    let l = s.requires_grad_(true);
    let parts = l.chunk(2, 1);
    assert_eq!(parts[0].grad_fn().unwrap().name(), "SplitBackward0");
    assert_eq!(l.split(1, 0)[1].grad_fn().unwrap().name(), "SplitBackward0");
    (&parts[0] * 2.0 + parts[1].sum()).sum().backward().unwrap();
    assert_eq!(
        v(&l.grad().unwrap()),
        vec![2.0, 2.0, 2.0, 6.0, 6.0, 2.0, 2.0, 2.0, 6.0, 6.0]
    );
}

#[test]
fn sort_and_topk() {
    let x = Tensor::from_vec(vec![3.0, 1.0, 2.0, 1.0, 5.0, -4.0], &[2, 3]);
    let (s, i) = x.sort(1, false);
    assert_eq!(v(&s), vec![1.0, 2.0, 3.0, -4.0, 1.0, 5.0]);
    assert_eq!(v(&i), vec![1.0, 2.0, 0.0, 2.0, 0.0, 1.0]);
    let (s, i) = x.sort(0, true);
    assert_eq!(v(&s), vec![3.0, 5.0, 2.0, 1.0, 1.0, -4.0]);
    assert_eq!(v(&i), vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    // Stable: equal values keep their order, ascending and descending; NaN is
    // above every number.
    let t = Tensor::from_vec(vec![2.0, f64::NAN, 1.0, 2.0, 1.0], &[5]);
    let (s, i) = t.sort(0, false);
    assert_eq!(v(&i), vec![2.0, 4.0, 0.0, 3.0, 1.0]);
    assert!(v(&s)[4].is_nan());
    let (_, i) = t.sort(-1, true);
    assert_eq!(v(&i), vec![1.0, 0.0, 3.0, 2.0, 4.0]);
    let (vals, idx) = x.topk(2, 1, true, true);
    assert_eq!(vals.shape(), &[2, 2]);
    assert_eq!(v(&vals), vec![3.0, 2.0, 5.0, 1.0]);
    assert_eq!(v(&idx), vec![0.0, 2.0, 1.0, 0.0]);
    let (vals, idx) = x.topk(1, 0, false, false);
    assert_eq!(v(&vals), vec![1.0, 1.0, -4.0]);
    assert_eq!(v(&idx), vec![1.0, 0.0, 1.0]);
    assert_eq!(x.topk(0, 1, true, true).0.shape(), &[2, 0]);
    let err = x.try_topk(4, 1, true, true).unwrap_err().to_string();
    assert!(err.contains("[2, 3]") && err.contains("k = 4"), "{err}");
    assert!(x.try_sort(2, false).is_err());
    // Gradients go back to the elements the values came from.
    let l = x.requires_grad_(true);
    let (s, i) = l.sort(1, true);
    assert_eq!(s.grad_fn().unwrap().name(), "SortBackward0");
    assert!(!i.requires_grad());
    let (t, _) = l.topk(2, 1, true, true);
    assert_eq!(t.grad_fn().unwrap().name(), "TopkBackward0");
    t.backward_with(&Tensor::from_vec(vec![1.0, 10.0, 100.0, 1000.0], &[2, 2]))
        .unwrap();
    assert_eq!(
        v(&l.grad().unwrap()),
        vec![1.0, 0.0, 10.0, 1000.0, 100.0, 0.0]
    );
}

#[test]
fn batched_products() {
    let a = seq(&[2, 3, 4]);
    let b = seq(&[2, 4, 5]) * 0.5;
    let c = a.bmm(&b);
    assert_eq!(c.shape(), &[2, 3, 5]);
    let (ad, bd) = (v(&a), v(&b));
    for i in 0..2 {
        close(
            &v(&c)[i * 15..(i + 1) * 15],
            &naive_matmul(
                &ad[i * 12..(i + 1) * 12],
                &bd[i * 20..(i + 1) * 20],
                3,
                4,
                5,
            ),
        );
    }
    let err = a.try_bmm(&seq(&[3, 4, 5])).unwrap_err().to_string();
    assert!(
        err.contains("[2, 3, 4]") && err.contains("[3, 4, 5]"),
        "{err}"
    );
    assert!(a.try_bmm(&seq(&[2, 3, 5])).is_err());
    assert!(a.try_bmm(&seq(&[4, 5])).is_err());
    let l = a.requires_grad_(true);
    assert_eq!(l.bmm(&b).grad_fn().unwrap().name(), "BmmBackward0");
}

#[test]
fn einsum_matches_the_products_it_spells() {
    use autograd::{einsum, try_einsum};
    let a = seq(&[2, 3]);
    let b = seq(&[3, 4]) * 0.5;
    let x = seq(&[3]);
    close(&v(&einsum("ij,jk->ik", &[&a, &b])), &v(&a.matmul(&b)));
    close(&v(&einsum("ij,jk", &[&a, &b])), &v(&a.matmul(&b)));
    close(
        &v(&einsum(" i j , j k -> k i ", &[&a, &b])),
        &v(&a.matmul(&b).t()),
    );
    close(&v(&einsum("ij,j->i", &[&a, &x])), &v(&a.matmul(&x)));
    close(
        &v(&einsum("i,i->", &[&x, &x])),
        &[v(&x).iter().map(|t| t * t).sum()],
    );
    assert_eq!(einsum("i,i->", &[&x, &x]).shape(), &[] as &[usize]);
    close(&v(&einsum("ij->ji", &[&a])), &v(&a.t()));
    close(&v(&einsum("ij->", &[&a])), &v(&a.sum()));
    close(&v(&einsum("ij->j", &[&a])), &v(&a.sum_dim(0, false)));
    // Implicit output: the letters seen once, alphabetically ("ba" -> "ab").
    close(&v(&einsum("ba", &[&a])), &v(&a.t()));
    // Outer product, and a product with a row vector broadcast along a
    // letter of size 1.
    let o = einsum("i,j->ij", &[&x, &Tensor::from_vec(vec![1.0, 10.0], &[2])]);
    assert_eq!(o.shape(), &[3, 2]);
    close(
        &v(&o),
        &[
            v(&x)[0],
            10.0 * v(&x)[0],
            v(&x)[1],
            10.0 * v(&x)[1],
            v(&x)[2],
            10.0 * v(&x)[2],
        ],
    );
    let row = seq(&[1, 3]);
    close(&v(&einsum("ij,jk->ik", &[&row, &b])), &v(&row.matmul(&b)));
    let bx = seq(&[2, 3, 4]);
    let by = seq(&[2, 4, 5]) * 0.5;
    close(&v(&einsum("bij,bjk->bik", &[&bx, &by])), &v(&bx.bmm(&by)));
    // out[n, k, i] = sum_j q[k, i, j] z[n, k, j], entry by entry.
    let (q, z) = (seq(&[2, 3, 4]), seq(&[5, 2, 4]) * 0.25);
    let (qv, zv) = (v(&q), v(&z));
    let mut want = vec![0.0; 5 * 2 * 3];
    for n in 0..5 {
        for k in 0..2 {
            for i in 0..3 {
                want[(n * 2 + k) * 3 + i] = (0..4)
                    .map(|j| qv[(k * 3 + i) * 4 + j] * zv[(n * 2 + k) * 4 + j])
                    .sum();
            }
        }
    }
    let got = einsum("kij,nkj->nki", &[&q, &z]);
    assert_eq!(got.shape(), &[5, 2, 3]);
    close(&v(&got), &want);
    let c = seq(&[4, 2]);
    close(
        &v(&einsum("ij,jk,kl->il", &[&a, &b, &c])),
        &v(&a.matmul(&b).matmul(&c)),
    );
    // Hand-computed: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
    let p = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let q = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]);
    assert_eq!(
        v(&einsum("ij,jk->ik", &[&p, &q])),
        vec![19.0, 22.0, 43.0, 50.0]
    );
    // "ij,ij->" is the sum of the element-wise product: 5 + 12 + 21 + 32 = 70.
    assert_eq!(v(&einsum("ij,ij->", &[&p, &q])), vec![70.0]);
    let err = try_einsum("ij,jk->ik", &[&a, &a]).unwrap_err().to_string();
    assert!(
        err.contains("[2, 3]") && err.contains("sizes 3 and 2"),
        "{err}"
    );
    assert!(try_einsum("ij->ik", &[&a]).is_err());
    assert!(try_einsum("ij,jk->ik", &[&a]).is_err());
    assert!(try_einsum("ijk->i", &[&a]).is_err());
    assert!(try_einsum("ii->i", &[&p]).is_err());
    assert!(try_einsum("...j->j", &[&a]).is_err());
    assert!(try_einsum("ij->ii", &[&a]).is_err());
    assert!(try_einsum("ij", &[]).is_err());
    // Gradients flow through the lowered ops.
    let l = p.requires_grad_(true);
    einsum("ij,jk->ik", &[&l, &q]).sum().backward().unwrap();
    assert_eq!(v(&l.grad().unwrap()), vec![11.0, 15.0, 11.0, 15.0]);
}

#[test]
fn scatter_add_and_index_add() {
    let x = Tensor::zeros(&[2, 4]).to_dtype(DType::F64);
    let index = Tensor::from_vec(vec![0.0, 1.0, 0.0, 3.0, 3.0, 3.0], &[2, 3]);
    let src = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    assert_eq!(
        v(&x.scatter_add(1, &index, &src)),
        vec![4.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 15.0]
    );
    // Along 0: out[index[i][j]][j] += src[i][j], with an index smaller than src.
    let y = Tensor::ones(&[3, 2]).to_dtype(DType::F64);
    let index = Tensor::from_vec(vec![2.0, 0.0], &[1, 2]);
    let src = Tensor::from_vec(vec![10.0, 20.0, 30.0, 40.0], &[2, 2]);
    assert_eq!(
        v(&y.scatter_add(0, &index, &src)),
        vec![1.0, 21.0, 1.0, 1.0, 11.0, 1.0]
    );
    let err = y
        .try_scatter_add(0, &Tensor::zeros(&[3, 3]), &src)
        .unwrap_err()
        .to_string();
    assert!(err.contains("[3, 2]") && err.contains("[3, 3]"), "{err}");
    assert!(y
        .try_scatter_add(0, &Tensor::from_vec(vec![3.0, 0.0], &[1, 2]), &src)
        .is_err());
    assert!(y
        .try_scatter_add(0, &Tensor::from_vec(vec![0.5, 0.0], &[1, 2]), &src)
        .is_err());

    let base = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let rows = Tensor::from_vec(vec![2.0, 0.0, 2.0], &[3]);
    let add = Tensor::from_vec(vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[3, 2]);
    assert_eq!(
        v(&base.index_add(0, &rows, &add)),
        vec![31.0, 42.0, 3.0, 4.0, 65.0, 86.0]
    );
    let cols = Tensor::from_vec(vec![1.0], &[1]);
    let one = Tensor::from_vec(vec![7.0, 8.0, 9.0], &[3, 1]);
    assert_eq!(
        v(&base.index_add(1, &cols, &one)),
        vec![1.0, 9.0, 3.0, 12.0, 5.0, 15.0]
    );
    let err = base.try_index_add(0, &rows, &one).unwrap_err().to_string();
    assert!(err.contains("[3, 2]") && err.contains("[3, 1]"), "{err}");
    assert!(base
        .try_index_add(
            0,
            &Tensor::from_vec(vec![3.0], &[1]),
            &one.reshape(&[1, 3]).narrow(1, 0, 2)
        )
        .is_err());

    // Gradients: the tensor's passes through, src's gathers from the targets.
    let b = base.requires_grad_(true);
    let a = add.requires_grad_(true);
    let out = b.index_add(0, &rows, &a);
    assert_eq!(out.grad_fn().unwrap().name(), "IndexAddBackward0");
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    (&out * &w).sum().backward().unwrap();
    assert_eq!(v(&b.grad().unwrap()), v(&w));
    assert_eq!(v(&a.grad().unwrap()), vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    let s = src.requires_grad_(true);
    let out = y.scatter_add(0, &index, &s);
    assert_eq!(out.grad_fn().unwrap().name(), "ScatterAddBackward0");
    (&out * &w).sum().backward().unwrap();
    assert_eq!(v(&s.grad().unwrap()), vec![5.0, 2.0, 0.0, 0.0]);
}

/// A tensor from the `{"shape", "values"}` object the reference scripts write.
fn from_json(t: &serde_json::Value) -> Tensor {
    let shape: Vec<usize> = t["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let values: Vec<f64> = t["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    Tensor::from_vec(values, &shape)
}

#[test]
fn scatter_index_copy_and_index_fill_match_pytorch() {
    // tests/data/scatter/reference.json, made by make_reference.py beside it.
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("data/scatter/reference.json")).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let dim = c["dim"].as_i64().unwrap() as isize;
        let x = from_json(&c["x"]).requires_grad_(true);
        let index = from_json(&c["index"]);
        let src = c.get("src").map(|s| from_json(s).requires_grad_(true));
        let value = c.get("value").and_then(|v| v.as_f64());
        let out = match (c["op"].as_str().unwrap(), &src) {
            ("scatter", Some(src)) => x.scatter(dim, &index, src),
            ("scatter", None) => x.scatter_value(dim, &index, value.unwrap()),
            ("index_copy", Some(src)) => x.index_copy(dim, &index, src),
            ("index_fill", None) => x.index_fill(dim, &index, value.unwrap()),
            (op, _) => panic!("{name}: no case for {op}"),
        };
        let want = from_json(&c["out"]);
        assert_eq!(out.shape(), want.shape(), "{name}");
        assert_eq!(v(&out), v(&want), "{name}: writes copy values exactly");
        assert_eq!(
            out.grad_fn().unwrap().name(),
            c["grad_fn"].as_str().unwrap()
        );
        (&out * &from_json(&c["w"])).sum().backward().unwrap();
        close(&v(&x.grad().unwrap()), &v(&from_json(&c["grad_x"])));
        if let Some(src) = &src {
            close(&v(&src.grad().unwrap()), &v(&from_json(&c["grad_src"])));
        }
    }
}

#[test]
fn scatter_and_index_copy_check_their_arguments() {
    let x = Tensor::zeros(&[3, 4]);
    // One-hot rows, PyTorch's `zeros(3, 4).scatter(1, labels, 1.0)`.
    let labels = Tensor::from_vec(vec![1.0, 3.0, 0.0], &[3, 1]);
    assert_eq!(
        v(&x.scatter_value(1, &labels, 1.0)),
        vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    );
    let src = Tensor::ones(&[3, 1]);
    let err = x
        .try_scatter(1, &Tensor::from_vec(vec![4.0, 0.0, 0.0], &[3, 1]), &src)
        .unwrap_err();
    assert!(err.to_string().contains('4'), "{err}");
    let err = x
        .try_scatter(1, &labels, &Tensor::ones(&[2, 1]))
        .unwrap_err();
    assert!(err.to_string().contains("[3, 4]"), "{err}");
    assert!(x
        .try_scatter_value(0, &Tensor::from_vec(vec![0.5], &[1, 1]), 1.0)
        .is_err());
    let err = x
        .try_index_copy(
            0,
            &Tensor::from_vec(vec![2.0], &[1]),
            &Tensor::ones(&[1, 3]),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("[1, 4]") && err.contains("[1, 3]"), "{err}");
    assert!(x
        .try_index_fill(1, &Tensor::from_vec(vec![0.0, 1.0], &[1, 2]), 0.0)
        .is_err());
    assert!(x
        .try_index_fill(2, &Tensor::from_vec(vec![0.0], &[1]), 0.0)
        .is_err());
}

#[test]
fn joining_and_indexing() {
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = Tensor::from_vec(vec![5.0, 6.0], &[2, 1]);
    assert_eq!(
        v(&Tensor::cat(&[a.clone(), b.clone()], 1)),
        vec![1.0, 2.0, 5.0, 3.0, 4.0, 6.0]
    );
    assert_eq!(
        v(&Tensor::cat(&[a.clone(), a.clone()], 0)),
        vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]
    );
    let s = Tensor::stack(&[a.clone(), a.clone() * 10.0], 1);
    assert_eq!(s.shape(), &[2, 2, 2]);
    assert_eq!(v(&s), vec![1.0, 2.0, 10.0, 20.0, 3.0, 4.0, 30.0, 40.0]);
    assert_eq!(
        v(&a.index_select(1, &[1, 1, 0])),
        vec![2.0, 2.0, 1.0, 4.0, 4.0, 3.0]
    );
    let idx = Tensor::from_vec(vec![1.0, 0.0], &[2, 1]);
    assert_eq!(v(&a.gather(1, &idx)), vec![2.0, 3.0]);
    assert!(a.try_index_select(0, &[2]).is_err());
    let cond = Tensor::from_vec(vec![1.0, 0.0], &[2]);
    assert_eq!(
        v(&Tensor::where_(&cond, &a, &Tensor::scalar(-1.0))),
        vec![1.0, -1.0, 3.0, -1.0]
    );
}

#[test]
fn comparisons_are_masks_without_grad() {
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![2.0], &[1]);
    assert_eq!(v(&a.gt(&b)), vec![0.0, 0.0, 1.0]);
    assert_eq!(v(&a.ge(&b)), vec![0.0, 1.0, 1.0]);
    assert_eq!(v(&a.lt(&b)), vec![1.0, 0.0, 0.0]);
    assert_eq!(v(&a.le(&b)), vec![1.0, 1.0, 0.0]);
    assert_eq!(v(&a.eq_elem(&b)), vec![0.0, 1.0, 0.0]);
    assert_eq!(v(&a.ne_elem(&b)), vec![1.0, 0.0, 1.0]);
    assert_eq!(v(&a.lt_scalar(2.5)), vec![1.0, 1.0, 0.0]);
    assert!(!a.gt(&b).requires_grad());
}

fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

#[test]
fn matrix_products() {
    let (a, b) = (seq(&[3, 4]), seq(&[4, 5]) * 0.5);
    close(&v(&a.matmul(&b)), &naive_matmul(&v(&a), &v(&b), 3, 4, 5));
    let x = seq(&[4]);
    close(&v(&a.matmul(&x)), &naive_matmul(&v(&a), &v(&x), 3, 4, 1));
    close(&v(&x.matmul(&x)), &[v(&x).iter().map(|t| t * t).sum()]);
    let batched = seq(&[2, 3, 4]);
    let out = batched.matmul(&b);
    assert_eq!(out.shape(), &[2, 3, 5]);
    let bd = v(&batched);
    for i in 0..2 {
        close(
            &v(&out)[i * 15..(i + 1) * 15],
            &naive_matmul(&bd[i * 12..(i + 1) * 12], &v(&b), 3, 4, 5),
        );
    }
    let f32a = a.to_dtype(DType::F32);
    assert_eq!(f32a.matmul(&f32a.t()).dtype(), DType::F32);
    assert!(a.matmul(&b).grad_fn().is_none());
    let l = a.requires_grad_(true);
    assert_eq!(l.matmul(&b).grad_fn().unwrap().name(), "MmBackward0");
    assert_eq!(l.matmul(&x).grad_fn().unwrap().name(), "MvBackward0");
    assert_eq!(
        batched
            .requires_grad_(true)
            .matmul(&b)
            .grad_fn()
            .unwrap()
            .name(),
        "BmmBackward0"
    );
}

fn naive_conv(
    x: &Tensor,
    w: &Tensor,
    b: &[f64],
    stride: usize,
    pad: usize,
) -> (Vec<usize>, Vec<f64>) {
    let (xs, ws) = (x.shape().to_vec(), w.shape().to_vec());
    let (xd, wd) = (v(x), v(w));
    let ho = (xs[2] + 2 * pad - ws[2]) / stride + 1;
    let wo = (xs[3] + 2 * pad - ws[3]) / stride + 1;
    let mut out = vec![];
    for n in 0..xs[0] {
        for (o, bias) in b.iter().enumerate() {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = *bias;
                    for c in 0..xs[1] {
                        for i in 0..ws[2] {
                            for j in 0..ws[3] {
                                let (y, xx) = (
                                    (oy * stride + i) as isize - pad as isize,
                                    (ox * stride + j) as isize - pad as isize,
                                );
                                if y >= 0
                                    && xx >= 0
                                    && (y as usize) < xs[2]
                                    && (xx as usize) < xs[3]
                                {
                                    let xi = ((n * xs[1] + c) * xs[2] + y as usize) * xs[3]
                                        + xx as usize;
                                    let wi = ((o * ws[1] + c) * ws[2] + i) * ws[3] + j;
                                    acc += xd[xi] * wd[wi];
                                }
                            }
                        }
                    }
                    out.push(acc);
                }
            }
        }
    }
    (vec![xs[0], ws[0], ho, wo], out)
}

#[test]
fn convolution_matches_the_definition() {
    let x = seq(&[2, 3, 5, 6]);
    let w = seq(&[4, 3, 3, 2]) * 0.3;
    let b = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.0], &[4]);
    for (stride, pad) in [(1, 0), (2, 1), (1, 2)] {
        let y = x.conv2d(&w, Some(&b), stride, pad);
        let (shape, expected) = naive_conv(&x, &w, &v(&b), stride, pad);
        assert_eq!(y.shape(), &shape[..]);
        close(&v(&y), &expected);
    }
    assert!(x.try_conv2d(&seq(&[4, 2, 3, 3]), None, 1, 0).is_err());
    assert_eq!(
        x.requires_grad_(true)
            .conv2d(&w, None, 1, 0)
            .grad_fn()
            .unwrap()
            .name(),
        "ConvolutionBackward0"
    );
}

#[test]
fn pooling() {
    let x = Tensor::from_vec(
        (0..16).map(|i| ((i * 7) % 16) as f64).collect::<Vec<_>>(),
        &[1, 1, 4, 4],
    );
    // 0 7 14 5 / 12 3 10 1 / 8 15 6 13 / 4 11 2 9
    assert_eq!(v(&x.max_pool2d(2, 2)), vec![12.0, 14.0, 15.0, 13.0]);
    assert_eq!(v(&x.avg_pool2d(2, 2)), vec![5.5, 7.5, 9.5, 7.5]);
    assert_eq!(x.max_pool2d(3, 1).shape(), &[1, 1, 2, 2]);
    assert_eq!(v(&x.max_pool2d(3, 1)), vec![15.0, 15.0, 15.0, 15.0]);
    let g = x.requires_grad_(true);
    g.max_pool2d(2, 2).sum().backward().unwrap();
    let grad = v(&g.grad().unwrap());
    let ones: Vec<usize> = grad
        .iter()
        .enumerate()
        .filter(|(_, &t)| t == 1.0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ones, vec![2, 4, 9, 11]);
}

#[test]
fn constructors() {
    assert_eq!(v(&Tensor::eye(2)), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(v(&Tensor::arange(3)), vec![0.0, 1.0, 2.0]);
    let r = Tensor::rand(&[1000]);
    assert!(v(&r).iter().all(|&t| (0.0..1.0).contains(&t)));
    autograd::manual_seed(3);
    let n = v(&Tensor::randn(&[10_000]));
    let mean = n.iter().sum::<f64>() / 1e4;
    let var = n.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / 1e4;
    assert!(
        mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
        "{mean} {var}"
    );
    assert!(Tensor::try_from_vec(vec![1.0f32; 3], &[2, 2]).is_err());
    assert_eq!(Tensor::full(&[2], 7.0, DType::F64).dtype(), DType::F64);
    let x = seq(&[2]);
    assert_eq!(v(&x.zeros_like()), vec![0.0, 0.0]);
    assert_eq!(v(&x.ones_like()), vec![1.0, 1.0]);
    let c = x.requires_grad_(true).deep_clone();
    assert_eq!(c.grad_fn().unwrap().name(), "CloneBackward0");
}

#[test]
fn empty_tensors() {
    let x = Tensor::zeros(&[0, 3]).requires_grad_(true);
    let w = Tensor::ones(&[3, 2]).requires_grad_(true);
    let y = x.matmul(&w);
    assert_eq!(y.shape(), &[0, 2]);
    let s = y.sum();
    assert!(s.item() == 0.0 && s.item().is_sign_positive());
    s.backward().unwrap();
    assert_eq!(x.grad().unwrap().shape(), &[0, 3]);
    assert_eq!(v(&w.grad().unwrap()), vec![0.0; 6]);
    assert!(Tensor::zeros(&[0]).mean().item().is_nan());
    assert_eq!(Tensor::zeros(&[2, 0, 3]).sum_dim(1, false).shape(), &[2, 3]);
}

#[test]
fn view_infers_one_dimension() {
    let x = seq(&[2, 3, 4]);
    assert_eq!(x.view(&[-1, 4]).shape(), &[6, 4]);
    assert_eq!(x.view(&[2, -1]).shape(), &[2, 12]);
    assert_eq!(v(&x.view(&[24])), v(&x));
    assert!(x.try_view(&[-1, -1]).is_err());
    assert!(x.try_view(&[5, -1]).is_err());
    assert!(x.try_view(&[-2, 12]).is_err());
}
