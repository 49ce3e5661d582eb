//! Where W4's time goes on our tape: forward alone, forward + backward, the SGD
//! step, and the same network with the weights stored `(in, out)` (no transposed
//! operand in the products). Median of 31 samples of 20 steps each.
//!
//! `cargo run --release --example w4_parts -- [THREADS]`

use autograd::nn::functional as F;
use autograd::optim::Sgd;
use autograd::prelude::*;
use std::time::Instant;

fn median_us(mut f: impl FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    let mut t: Vec<f64> = (0..31)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..20 {
                f();
            }
            s.elapsed().as_secs_f64() * 1e6 / 20.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[15]
}

fn main() {
    let threads = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    autograd::set_num_threads(threads);
    autograd::manual_seed(0);
    let fc1 = nn::Linear::new(784, 128);
    let fc2 = nn::Linear::new(128, 10);
    let x = Tensor::randn(&[64, 784]);
    let y = Tensor::from_vec((0..64).map(|i| (i % 10) as f32).collect::<Vec<f32>>(), &[64]);
    let params: Vec<Tensor> = fc1.parameters().into_iter().chain(fc2.parameters()).collect();
    let mut opt = Sgd::new(params.clone(), 0.01);
    let loss = || F::cross_entropy(&fc2.forward(&F::relu(&fc1.forward(&x))), &y);

    println!("threads {threads}");
    println!("forward, no_grad       {:8.1} us", median_us(|| {
        no_grad(|| std::hint::black_box(loss()));
    }));
    println!("forward (recorded)     {:8.1} us", median_us(|| {
        std::hint::black_box(loss());
    }));
    println!("forward + backward     {:8.1} us", median_us(|| {
        opt.zero_grad();
        loss().backward().unwrap();
    }));
    println!("SGD step alone         {:8.1} us", median_us(|| opt.step()));
    println!("zero_grad+fwd+bwd+step {:8.1} us", median_us(|| {
        opt.zero_grad();
        loss().backward().unwrap();
        opt.step();
    }));

    // The same products with the weights stored (in, out): no transposed operand.
    let w1 = fc1.weight.detach().t().requires_grad_(true);
    let w2 = fc2.weight.detach().t().requires_grad_(true);
    let (b1, b2) = (fc1.bias.clone().unwrap(), fc2.bias.clone().unwrap());
    println!("fwd+bwd, (in,out) W    {:8.1} us", median_us(|| {
        for p in [&w1, &w2, &b1, &b2] {
            p.zero_grad();
        }
        let h = (x.matmul(&w1) + &b1).relu();
        F::cross_entropy(&(h.matmul(&w2) + &b2), &y).backward().unwrap();
    }));
    println!("matmul 64x784 @ 784x128 (no_grad) {:8.1} us", median_us(|| {
        no_grad(|| std::hint::black_box(x.matmul(&w1)));
    }));
    let wt = fc1.weight.detach();
    println!("matmul 64x784 @ (128x784)^T (no_grad) {:8.1} us", median_us(|| {
        no_grad(|| std::hint::black_box(x.matmul(&wt.t())));
    }));
}
