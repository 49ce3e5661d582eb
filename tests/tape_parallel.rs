//! The tape's kernels on several threads (`autograd::set_num_threads`): results
//! with 1, 2 and 4 threads are the same bits, gradients through the parallel
//! kernels pass gradcheck (the training steps W4 and W5 are checked the same way in
//! `tests/workloads.rs`). Every tensor here is above the size from which kernels
//! run on the pool.

use autograd::prelude::*;
use autograd::{get_num_threads, gradcheck, set_num_threads};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The thread count is global to the process: tests that set it run one at a
/// time.
fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `f()` at 1, 2 and 4 threads; the thread count is restored afterwards.
fn at_thread_counts<R>(f: impl Fn() -> R) -> [R; 3] {
    let before = get_num_threads();
    let out = [1, 2, 4].map(|n| {
        set_num_threads(n);
        f()
    });
    set_num_threads(before);
    out
}

/// The bits of every element, so that `-0.0 != 0.0` and NaNs compare.
fn bits(t: &Tensor) -> Vec<u64> {
    t.to_vec::<f64>().into_iter().map(f64::to_bits).collect()
}

fn assert_same_bits(ts: &[Tensor; 3], what: &str) {
    assert_eq!(bits(&ts[0]), bits(&ts[1]), "{what}: 1 vs 2 threads");
    assert_eq!(bits(&ts[0]), bits(&ts[2]), "{what}: 1 vs 4 threads");
}

/// Deterministic data that is not all alike.
fn wave(shape: &[usize], k: f64, dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (i as f64 * k).sin()).collect();
    Tensor::from_vec(v, shape).to_dtype(dtype)
}

#[test]
fn set_and_get_round_trip() {
    let _g = exclusive();
    let before = get_num_threads();
    assert!(before >= 1);
    for n in [1, 3, 2] {
        set_num_threads(n);
        assert_eq!(get_num_threads(), n);
    }
    set_num_threads(before);
    assert_eq!(get_num_threads(), before);
}

#[test]
#[should_panic(expected = "at least 1")]
fn zero_threads_is_refused() {
    set_num_threads(0);
}

#[test]
fn matrix_products_give_the_same_bits_on_any_thread_count() {
    let _g = exclusive();
    for dtype in [DType::F32, DType::F64] {
        let a = wave(&[300, 200], 0.37, dtype);
        let b = wave(&[200, 150], 0.11, dtype);
        let batched = wave(&[3, 100, 64], 0.7, dtype);
        let rhs = wave(&[64, 90], 0.3, dtype);
        let r = at_thread_counts(|| a.matmul(&b));
        assert_same_bits(&r, "matmul");
        let r = at_thread_counts(|| b.t().matmul(&a.t()));
        assert_same_bits(&r, "matmul of transposes");
        let r = at_thread_counts(|| batched.matmul(&rhs));
        assert_same_bits(&r, "batched matmul");
        // W4's shapes (cut by columns, a long `k`, the weight read through
        // strides), forward and the weight's gradient.
        let x = wave(&[64, 784], 0.13, dtype);
        let w = wave(&[128, 784], 0.29, dtype).requires_grad_(true);
        let r = at_thread_counts(|| autograd::nn::functional::linear(&x, &w, None));
        assert_same_bits(&r, "linear");
        let r = at_thread_counts(|| {
            let y = autograd::nn::functional::linear(&x, &w, None);
            autograd::grad(
                &[y.sin().sum()],
                std::slice::from_ref(&w),
                None,
                false,
                false,
            )
            .unwrap()[0]
                .clone()
        });
        assert_same_bits(&r, "linear's weight gradient");
        let (xv, wv) = (x.to_vec::<f64>(), w.to_vec::<f64>());
        let c = autograd::nn::functional::linear(&x, &w, None).to_vec::<f64>();
        for (i, j) in [(0, 0), (63, 127), (17, 100)] {
            let want: f64 = (0..784).map(|k| xv[i * 784 + k] * wv[j * 784 + k]).sum();
            assert!((c[i * 128 + j] - want).abs() < 1e-2, "linear ({i}, {j})");
        }
        // And against an order-independent reference: each entry to 1e-4.
        let (x, y) = (a.to_vec::<f64>(), b.to_vec::<f64>());
        let c = a.matmul(&b).to_vec::<f64>();
        for (i, j) in [(0, 0), (299, 149), (123, 77)] {
            let want: f64 = (0..200).map(|k| x[i * 200 + k] * y[k * 150 + j]).sum();
            assert!((c[i * 150 + j] - want).abs() < 1e-3, "({i}, {j})");
        }
    }
}

#[test]
fn element_wise_ops_and_layout_copies_give_the_same_bits() {
    let _g = exclusive();
    let x = wave(&[64, 1024], 0.013, DType::F32);
    let bias = wave(&[1024], 0.5, DType::F32);
    let col = wave(&[64, 1], 0.9, DType::F32);
    let cases: [(&str, &dyn Fn() -> Tensor); 8] = [
        ("tanh", &|| x.tanh()),
        ("relu", &|| x.relu()),
        ("add", &|| &x + &x.exp()),
        ("bias", &|| &x + &bias),
        ("column", &|| &x * &col),
        ("scalar", &|| &x * 3.0 - 1.0),
        ("transpose", &|| x.t()),
        ("expand", &|| col.expand(&[64, 1024])),
    ];
    for (what, f) in cases {
        assert_same_bits(&at_thread_counts(f), what);
    }
}

#[test]
fn element_wise_derivatives_in_backward_give_the_same_bits() {
    let _g = exclusive();
    // The derivative loops of backward (`g * f'(v)` over the saved input or
    // output) run on the pool at this size, in f32 and f64.
    for dtype in [DType::F32, DType::F64] {
        type Case<'a> = (&'a str, &'a dyn Fn(&Tensor) -> Tensor);
        let cases: [Case; 6] = [
            ("tanh", &|x| x.tanh()),
            ("relu", &|x| x.relu()),
            ("sigmoid", &|x| x.sigmoid()),
            ("exp", &|x| x.exp()),
            ("pow", &|x| x.pow(3.0)),
            ("mul", &|x| x * &x.sin()),
        ];
        for (what, f) in cases {
            let grads = at_thread_counts(|| {
                let x = wave(&[64, 1024], 0.013, dtype).requires_grad_(true);
                let g = wave(&[64, 1024], 0.7, dtype);
                f(&x).backward_with(&g).unwrap();
                x.grad().unwrap()
            });
            assert_same_bits(&grads, &format!("{what} backward, {dtype:?}"));
        }
    }
}

#[test]
fn reductions_do_not_depend_on_the_thread_count() {
    let _g = exclusive();
    let x = wave(&[4, 128, 256], 0.0071, DType::F32);
    let cases: [(&str, &dyn Fn() -> Tensor); 5] = [
        ("sum", &|| x.sum()),
        ("mean", &|| x.mean()),
        ("sum_dim 0", &|| x.sum_dim(0, false)),
        ("sum_dim 1", &|| x.sum_dim(1, true)),
        ("sum_to", &|| x.sum_to(&[256])),
    ];
    for (what, f) in cases {
        assert_same_bits(&at_thread_counts(f), what);
    }
    // The chunked sum is still a sum.
    let exact: f64 = x.to_vec::<f64>().iter().sum();
    assert!((x.sum().item() - exact).abs() < 1e-6 * exact.abs().max(1.0));
}

#[test]
fn convolution_forward_and_backward_give_the_same_bits() {
    let _g = exclusive();
    let x = wave(&[8, 3, 32, 32], 0.021, DType::F32).requires_grad_(true);
    let w = wave(&[6, 3, 5, 5], 0.43, DType::F32).requires_grad_(true);
    let bias = wave(&[6], 1.1, DType::F32).requires_grad_(true);
    let run = || {
        let y = x.conv2d(&w, Some(&bias), 1, 2).relu().max_pool2d(2, 2);
        y.sum().backward().unwrap();
        let grads = [&x, &w, &bias].map(|t| t.grad().unwrap());
        for t in [&x, &w, &bias] {
            t.zero_grad();
        }
        let flat = grads.iter().map(|g| g.flatten()).collect::<Vec<_>>();
        Tensor::cat(&[y.detach().flatten(), Tensor::cat(&flat, 0)], 0)
    };
    assert_same_bits(
        &at_thread_counts(run),
        "conv2d, relu, max_pool2d and gradients",
    );
}

#[test]
fn gradients_through_parallel_kernels_pass_gradcheck() {
    let _g = exclusive();
    let before = get_num_threads();
    set_num_threads(2);
    // The product (8 x 64 x 4096 multiply-adds), the bias, tanh and the sum
    // run on the pool; only the small `x` is perturbed.
    let x = wave(&[8, 64], 0.3, DType::F64).requires_grad_(true);
    let w = wave(&[64, 4096], 0.017, DType::F64) * 0.1;
    let b = wave(&[4096], 0.9, DType::F64);
    gradcheck(|v| (v[0].matmul(&w) + &b).tanh().sum(), &[x]).unwrap();
    // A convolution over a batch, checked in its weight.
    let img = wave(&[16, 2, 24, 24], 0.05, DType::F64);
    let k = wave(&[4, 2, 3, 3], 0.7, DType::F64).requires_grad_(true);
    gradcheck(|v| img.conv2d(&v[0], None, 1, 1).tanh().sum(), &[k]).unwrap();
    set_num_threads(before);
}
