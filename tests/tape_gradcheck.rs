//! Every differentiable op against central finite differences in f64, on random
//! shapes (broadcast shapes included), and second derivatives of the smooth ops.

use autograd::prelude::*;
use autograd::{gradcheck, gradgradcheck, Tensors};
use proptest::prelude::*;

/// Deterministic pseudo-random values in `[lo, hi)` from a seed.
fn values(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn tensor(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    Tensor::from_vec(values(shape.iter().product(), seed, lo, hi), shape)
}

/// A shape of rank 0..=3 with dimensions 1..=3.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, 0..=3)
}

/// A shape and another that broadcasts with it (some dimensions set to 1, some
/// leading ones dropped).
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (shape(), any::<u32>()).prop_map(|(a, mask)| {
        let drop = (mask as usize) % (a.len() + 1);
        let b = a[drop..]
            .iter()
            .enumerate()
            .map(|(i, &d)| if mask >> (i + 4) & 1 == 1 { 1 } else { d })
            .collect();
        if mask & 8 == 0 {
            (a, b)
        } else {
            (b, a)
        }
    })
}

fn check<I: Tensors + ?Sized>(f: impl Fn(&[Tensor]) -> Tensor, inputs: &I) {
    if let Err(e) = gradcheck(&f, inputs) {
        panic!("{e}");
    }
}

fn check2<I: Tensors + ?Sized>(f: impl Fn(&[Tensor]) -> Tensor, inputs: &I) {
    check(&f, inputs);
    if let Err(e) = gradgradcheck(&f, inputs) {
        panic!("second derivative: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn binary_ops_broadcast((a, b) in broadcast_pair(), seed in any::<u64>()) {
        let x = tensor(&a, seed, -2.0, 2.0);
        let y = tensor(&b, seed + 1, 0.5, 2.0);
        check2(|t| &t[0] + &t[1], &[&x, &y]);
        check2(|t| &t[0] - &t[1], &[&x, &y]);
        check2(|t| &t[0] * &t[1], &[&x, &y]);
        check2(|t| &t[0] / &t[1], &[&x, &y]);
        check2(|t| 3.0 - &t[0] * 2.0 + &t[1] / 4.0, &[&x, &y]);
        check2(|t| 2.0 / &t[1] + (&t[0] - 1.0) + (0.5 + &t[0]) * 0.5, &[&x, &y]);
    }

    #[test]
    fn smooth_unary_ops(s in shape(), seed in any::<u64>()) {
        let x = tensor(&s, seed, -2.0, 2.0);
        let pos = tensor(&s, seed, 0.3, 2.0);
        check2(|t| -&t[0], &x);
        check2(|t| t[0].exp(), &x);
        check2(|t| t[0].tanh(), &x);
        check2(|t| t[0].sigmoid(), &x);
        check2(|t| t[0].sin(), &x);
        check2(|t| t[0].cos(), &x);
        check2(|t| t[0].pow(3.0), &x);
        check2(|t| t[0].pow(-1.5), &pos);
        // The exponents computed without `pow` (as PyTorch's kernel does).
        check2(|t| t[0].pow(2.0), &x);
        check2(|t| t[0].pow(1.0), &x);
        check2(|t| t[0].pow(0.5), &pos);
        check2(|t| t[0].pow(-1.0), &pos);
        check2(|t| t[0].pow(-2.0), &pos);
        check2(|t| t[0].ln(), &pos);
        check2(|t| t[0].sqrt(), &pos);
        let unit = tensor(&s, seed + 3, -0.9, 0.9);
        check2(|t| t[0].tan(), &unit);
        check2(|t| t[0].asin(), &unit);
        check2(|t| t[0].acos(), &unit);
        check2(|t| t[0].atan(), &x);
        check2(|t| t[0].log1p(), &tensor(&s, seed + 4, -0.5, 2.0));
        check2(|t| t[0].expm1(), &x);
    }

    #[test]
    fn atan2_broadcasts((a, b) in broadcast_pair(), seed in any::<u64>(), flip in any::<bool>()) {
        // Away from the origin, and on either side of the cut along the
        // negative x axis (`b < 0` with `a` of either sign).
        let y = tensor(&a, seed, -2.0, 2.0);
        let sign = if flip { -1.0 } else { 1.0 };
        let x = tensor(&b, seed + 1, 0.5, 2.0) * sign;
        check2(|t| t[0].atan2(&t[1]), &[&y, &x]);
    }

    #[test]
    fn rounding_has_zero_gradient(s in shape(), seed in any::<u64>()) {
        // Integers plus fractions away from the jumps (0, 0.5 and 1).
        let x = tensor(&s, seed, -3.0, 3.0).floor() + tensor(&s, seed + 1, 0.1, 0.4);
        check(|t| t[0].floor(), &x);
        check(|t| t[0].ceil(), &x);
        check(|t| t[0].round(), &x);
        check(|t| t[0].round() * &t[0], &x);
    }

    #[test]
    fn kinked_unary_ops(s in shape(), seed in any::<u64>()) {
        // Keep every value away from the kinks at 0 and +-0.5.
        let x = tensor(&s, seed, 0.1, 0.4) * tensor(&s, seed + 7, -1.0, 1.0).sign() + 0.0;
        check(|t| t[0].relu(), &x);
        check(|t| t[0].abs(), &x);
        check(|t| (&t[0] * 2.0).clamp(-0.5, 0.5), &x);
    }

    #[test]
    fn reductions(s in prop::collection::vec(1usize..=3, 1..=3), seed in any::<u64>(), d in 0usize..3, keep in any::<bool>()) {
        let x = tensor(&s, seed, -2.0, 2.0);
        let d = d % s.len();
        check2(|t| t[0].sum(), &x);
        check2(|t| t[0].mean(), &x);
        check2(|t| t[0].sum_dim(d, keep), &x);
        check2(|t| t[0].mean_dim(d, keep), &x);
        check2(|t| t[0].softmax(d), &x);
        check2(|t| t[0].log_softmax(d), &x);
        check2(|t| t[0].logsumexp(d, keep), &x);
        check2(|t| t[0].norm(), &x);
    }

    #[test]
    fn products_variances_and_scans(s in prop::collection::vec(1usize..=3, 1..=3), seed in any::<u64>(), d in 0usize..3, keep in any::<bool>(), zeros in 0usize..3) {
        let d = d % s.len();
        let x = tensor(&s, seed, -2.0, 2.0);
        check2(|t| t[0].prod(), &x);
        check2(|t| t[0].prod_dim(d, keep), &x);
        check2(|t| t[0].cumsum(d), &x);
        check2(|t| t[0].cumprod(d), &x);
        // Products are multilinear: central differences are exact at a 0, where
        // the gradient must not divide by the element (one or two zeros).
        let mut v = x.to_vec::<f64>();
        let n = v.len();
        for k in 0..zeros.min(n) {
            v[(seed as usize + k * 5) % n] = 0.0;
        }
        let z = Tensor::from_vec(v, &s);
        check2(|t| t[0].prod(), &z);
        check2(|t| t[0].prod_dim(d, keep), &z);
        check2(|t| t[0].cumprod(d), &z);
        check2(|t| t[0].cumprod(d) * t[0].prod_dim(d, true), &z);
        if n > 1 {
            check2(|t| t[0].var(), &x);
            check2(|t| t[0].std(), &x);
        }
        if s[d] > 1 {
            check2(|t| t[0].var_dim(d, keep), &x);
            check2(|t| t[0].std_dim(d, keep), &x);
        }
    }

    #[test]
    fn extrema_pick_one_element(s in prop::collection::vec(1usize..=3, 1..=3), seed in any::<u64>(), d in 0usize..3) {
        // Distinct values: a permutation, scaled.
        let n: usize = s.iter().product();
        let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.37).collect();
        let r = values(n, seed, 0.0, 1.0);
        v.sort_by(|a, b| r[(*a / 0.37) as usize].total_cmp(&r[(*b / 0.37) as usize]));
        let x = Tensor::from_vec(v, &s);
        let d = d % s.len();
        check(|t| t[0].max_dim(d, false).0, &x);
        check(|t| t[0].min_dim(d, true).0, &x);
    }

    #[test]
    fn layout_ops(s in prop::collection::vec(1usize..=3, 2..=3), seed in any::<u64>()) {
        let x = tensor(&s, seed, -2.0, 2.0);
        let r = s.len();
        check2(|t| t[0].reshape(&[s.iter().product()]), &x);
        check2(|t| t[0].transpose(0, r - 1) * 2.0, &x);
        let perm: Vec<usize> = (0..r).rev().collect();
        check2(|t| t[0].permute(&perm), &x);
        check2(|t| t[0].unsqueeze(1).squeeze(1).unsqueeze(0), &x);
        let mut big = vec![2];
        big.extend(&s);
        check2(|t| t[0].expand(&big), &x);
        check2(|t| t[0].narrow(0, s[0] - 1, 1), &x);
        check2(|t| t[0].flatten().deep_clone(), &x);
        check2(|t| t[0].unsqueeze(0).squeeze_all(), &x);
        check2(|t| t[0].reshape(&[s[0], x.numel() / s[0]]).t(), &x);
        check2(|t| t[0].narrow(r - 1, 0, s[r - 1]) * 3.0, &x);
        check2(|t| Tensor::cat(&[t[0].clone(), t[0].exp()], 1), &x);
        check2(|t| Tensor::stack(&[t[0].clone(), t[0].sin()], r), &x);
        let idx: Vec<usize> = (0..4).map(|i| (i * 7 + seed as usize) % s[0]).collect();
        check2(|t| t[0].index_select(0, &idx), &x);
        let g: Vec<f64> = (0..x.numel()).map(|i| ((i + seed as usize) % s[r - 1]) as f64).collect();
        let index = Tensor::from_vec(g, &s);
        check2(|t| t[0].gather(r - 1, &index), &x);
        check2(|t| t[0].flip(&[0]), &x);
        check2(|t| t[0].flip(&[r - 1, 0]) * &t[0], &x);
        let reps: Vec<usize> = (0..r + 1).map(|k| 1 + (seed as usize >> k) % 2).collect();
        check2(|t| t[0].repeat(&reps), &x);
        check2(|t| t[0].repeat(&vec![2; r]) * 0.5, &x);
        for piece in 1..=3 {
            check2(|t| Tensor::cat(&t[0].split(piece, r - 1), r - 1).sin(), &x);
            check2(|t| t[0].chunk(piece, 0).last().unwrap().exp(), &x);
        }
        let mask = tensor(&s[1..], seed + 3, -1.0, 1.0).gt_scalar(0.0);
        check2(|t| t[0].masked_fill(&mask, 0.5) * &t[0], &x);
    }

    #[test]
    fn sort_and_topk(s in prop::collection::vec(1usize..=4, 1..=3), seed in any::<u64>(), d in 0usize..3, desc in any::<bool>(), k in 0usize..=4) {
        // Distinct values, so that the order is unique and differentiable.
        let n: usize = s.iter().product();
        let r = values(n, seed, 0.0, 1.0);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| r[*a].total_cmp(&r[*b]));
        let v: Vec<f64> = order.iter().map(|&i| i as f64 * 0.37 - 1.0).collect();
        let x = Tensor::from_vec(v, &s);
        let d = d % s.len();
        let k = k.min(s[d]);
        check2(|t| t[0].sort(d, desc).0 * &t[0], &x);
        check2(|t| t[0].topk(k, d, desc, true).0.exp(), &x);
    }

    #[test]
    fn batched_products_and_index_adds(b in 1usize..=3, n in 1usize..=3, m in 1usize..=3, p in 1usize..=3, seed in any::<u64>()) {
        let x = tensor(&[b, n, m], seed, -1.0, 1.0);
        let y = tensor(&[b, m, p], seed + 1, -1.0, 1.0);
        check2(|t| t[0].bmm(&t[1]), &[&x, &y]);
        // scatter_add along 1 of [b, n + 1, m] from a src of [b, n + 1, m + 1]
        // through an index of [b, n, m] (src partly unused), and with src's shape.
        let base = tensor(&[b, n + 1, m], seed + 2, -1.0, 1.0);
        let src = tensor(&[b, n + 1, m + 1], seed + 3, -1.0, 1.0);
        let idx = |shape: &[usize], size: usize, salt: usize| {
            let k: usize = shape.iter().product();
            let v: Vec<f64> = (0..k).map(|i| ((i * 7 + salt + seed as usize % 5) % size) as f64).collect();
            Tensor::from_vec(v, shape)
        };
        let index = idx(&[b, n, m], n + 1, 1);
        check2(|t| t[0].scatter_add(1, &index, &t[1]) * &t[0], &[&base, &src]);
        let full = idx(&[b, n + 1, m + 1], m, 2);
        let small = tensor(&[b, n + 1, m], seed + 4, -1.0, 1.0);
        check2(|t| t[0].scatter_add(-1, &full, &t[1]).sin(), &[&small, &src]);
        // index_add along 0 and 2, repeated indices included.
        let rows = idx(&[4], b, 3);
        let src0 = tensor(&[4, n, m], seed + 5, -1.0, 1.0);
        check2(|t| t[0].index_add(0, &rows, &t[1]).exp(), &[&x, &src0]);
        let cols = idx(&[2], m, 4);
        let src2 = tensor(&[b, n, 2], seed + 6, -1.0, 1.0);
        check2(|t| t[0].index_add(2, &cols, &t[1]) * &t[0], &[&x, &src2]);
        // scatter and index_copy replace, so their indices are distinct where a
        // repeat would write one element twice (only the last write counts, which
        // differences see and PyTorch's gradient convention does not).
        let distinct = |shape: &[usize], along: usize, size: usize| {
            let k: usize = shape.iter().product();
            let v: Vec<f64> = (0..k)
                .map(|f| {
                    // Distinct along `along` for each position of the others.
                    let inner: usize = shape[along + 1..].iter().product();
                    let (o, j, i) = (f / (inner * shape[along]), (f / inner) % shape[along], f % inner);
                    ((j + o + i + seed as usize % 4) % size) as f64
                })
                .collect();
            Tensor::from_vec(v, shape)
        };
        let index = distinct(&[b, n, m], 1, n + 1);
        check2(|t| t[0].scatter(1, &index, &t[1]) * &t[0], &[&base, &src]);
        check2(|t| t[0].scatter_value(1, &index, 0.5).exp(), &base);
        let rows = distinct(&[b.min(2)], 0, b);
        let src0 = tensor(&[b.min(2), n, m], seed + 7, -1.0, 1.0);
        check2(|t| t[0].index_copy(0, &rows, &t[1]) * &t[0], &[&x, &src0]);
        check2(|t| t[0].index_fill(2, &cols, -0.5).sin(), &x);
    }

    #[test]
    fn einsum_contractions(i in 1usize..=3, j in 1usize..=3, k in 1usize..=3, b in 1usize..=2, seed in any::<u64>()) {
        let a = tensor(&[i, j], seed, -1.0, 1.0);
        let m = tensor(&[j, k], seed + 1, -1.0, 1.0);
        let v = tensor(&[j], seed + 2, -1.0, 1.0);
        let x = tensor(&[b, i, j], seed + 3, -1.0, 1.0);
        let y = tensor(&[b, k, j], seed + 4, -1.0, 1.0);
        check2(|t| autograd::einsum("ij,jk->ik", &[&t[0], &t[1]]), &[&a, &m]);
        check2(|t| autograd::einsum("ij,jk", &[&t[0], &t[1]]), &[&a, &m]);
        check2(|t| autograd::einsum("ij,j->i", &[&t[0], &t[1]]), &[&a, &v]);
        check2(|t| autograd::einsum("ij,j->ji", &[&t[0], &t[1]]), &[&a, &v]);
        check2(|t| autograd::einsum("bij,bkj->bki", &[&t[0], &t[1]]), &[&x, &y]);
        // A batch of small matrices times a long batch of vectors (GradBench's
        // gmm): the product is taken as `b a`, the long operand moved by rows.
        let q = tensor(&[b, i, j], seed + 5, -1.0, 1.0);
        let z = tensor(&[k, b, j], seed + 6, -1.0, 1.0);
        check2(|t| autograd::einsum("kij,nkj->nki", &[&t[0], &t[1]]), &[&q, &z]);
        check2(|t| autograd::einsum("ij,jk,bij->bk", &[&t[0], &t[1], &t[2]]), &[&a, &m, &x]);
        check2(|t| autograd::einsum("ij->", &[&t[0]]) * autograd::einsum("ij->ji", &[&t[0]]), &a);
    }

    #[test]
    fn where_broadcasts((a, b) in broadcast_pair(), seed in any::<u64>()) {
        let x = tensor(&a, seed, -2.0, 2.0);
        let y = tensor(&b, seed + 1, -2.0, 2.0);
        let cond = tensor(&b, seed + 2, -1.0, 1.0).gt_scalar(0.0);
        check2(|t| Tensor::where_(&cond, &t[0], &t[1]), &[&x, &y]);
    }

    #[test]
    fn matmul_all_ranks(m in 1usize..=3, k in 1usize..=3, n in 1usize..=3, b in 1usize..=2, seed in any::<u64>()) {
        let pairs: Vec<(Vec<usize>, Vec<usize>)> = vec![
            (vec![k], vec![k]),
            (vec![m, k], vec![k]),
            (vec![k], vec![k, n]),
            (vec![m, k], vec![k, n]),
            (vec![b, m, k], vec![k, n]),
            (vec![b, 1, m, k], vec![2, k, n]),
        ];
        for (i, (sa, sb)) in pairs.iter().enumerate() {
            let x = tensor(sa, seed + i as u64, -1.0, 1.0);
            let y = tensor(sb, seed + 10 + i as u64, -1.0, 1.0);
            check2(|t| t[0].matmul(&t[1]), &[&x, &y]);
        }
    }

    #[test]
    fn conv_and_pools(c in 1usize..=2, o in 1usize..=2, h in 3usize..=5, stride in 1usize..=2, pad in 0usize..=1, seed in any::<u64>()) {
        let x = tensor(&[2, c, h, h + 1], seed, -1.0, 1.0);
        let w = tensor(&[o, c, 2, 3], seed + 1, -1.0, 1.0);
        let bias = tensor(&[o], seed + 2, -1.0, 1.0);
        check2(|t| t[0].conv2d(&t[1], Some(&t[2]), stride, pad), &[&x, &w, &bias]);
        check(|t| t[0].conv2d(&t[1], None, stride, pad), &[&x, &w]);
        check2(|t| t[0].avg_pool2d(2, stride), &x);
        // Distinct values keep max pooling differentiable.
        let distinct = Tensor::from_vec(
            (0..x.numel()).map(|i| ((i * 7919) % 997) as f64 / 100.0).collect::<Vec<_>>(),
            x.shape(),
        );
        check(|t| t[0].max_pool2d(2, stride), &distinct);
    }
}

#[test]
fn gradcheck_reports_a_wrong_derivative() {
    use autograd::{Error, Function, FunctionCtx};
    struct WrongSquare;
    impl Function for WrongSquare {
        fn forward(&self, ctx: &mut FunctionCtx, x: &[Tensor]) -> Result<Tensor, Error> {
            ctx.save_for_backward(&x[0]);
            Ok(x[0].pow(2.0))
        }
        fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>, Error> {
            Ok(vec![Some(g * &ctx.saved_tensors()[0] * 3.0)])
        }
    }
    let x = tensor(&[3], 1, 0.5, 1.0);
    let err = gradcheck(|t| WrongSquare.apply(t), &x).unwrap_err();
    assert!(matches!(err, Error::GradcheckMismatch { .. }), "{err}");
}
