//! Batches of static gradients on several threads (`autograd::parallel::grad_sum`).

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use autograd::nalgebra::SVector;
use autograd::parallel::grad_sum;
use autograd::prelude::*;
use autograd::testing::assert_close;
use workloads::thermometer::{T_C, T_U};

/// One sample's squared error of the thermometer's linear model.
#[differentiable]
fn sample_loss(w: f64, b: f64, #[constant] t_u: f64, #[constant] t_c: f64) -> f64 {
    (w * t_u + b - t_c).powi(2)
}

#[test]
fn per_sample_gradients_sum_to_the_batch_gradient() {
    let samples: Vec<(f64, f64)> = T_U.iter().zip(T_C).map(|(u, c)| (*u * 0.1, c)).collect();
    let (w, b) = (1.3, -0.4);
    let batch = |threads| grad_sum(&samples, threads, |&(u, c)| sample_loss::grad(w, b, u, c));
    let (loss, g) = batch(3);
    let n = samples.len() as f64;
    let t_u = SVector::from(T_U) * 0.1;
    let (mean_loss, mean_g) = workloads::thermometer_loss::grad(w, b, &t_u, &SVector::from(T_C));
    assert_close(
        &[loss / n, g.w / n, g.b / n],
        &[mean_loss, mean_g.w, mean_g.b],
        1e-13,
        "sum / n = mean",
    );
    // Deterministic for a fixed thread count, and the same sums whatever the count.
    for threads in [1, 2, 3, 4, 16] {
        let (l1, g1) = batch(threads);
        let (l2, g2) = batch(threads);
        assert_eq!((l1, g1), (l2, g2), "{threads} threads: not deterministic");
        assert_close(
            &[l1, g1.w, g1.b],
            &[loss, g.w, g.b],
            1e-13,
            "thread counts agree",
        );
    }
}
