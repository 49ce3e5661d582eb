//! Independent graphs built and differentiated on several threads at once, some
//! sharing a read-only input.

use autograd::prelude::*;
use std::sync::Arc;
use std::thread;

#[test]
fn concurrent_forward_backward_passes_are_independent() {
    let shared = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]);
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let shared = shared.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let w = Tensor::from_vec(vec![k as f64 + 1.0; 3], &[3]).requires_grad_(true);
                for _ in 0..200 {
                    w.zero_grad();
                    let loss = (&w * &shared).tanh().sum() + w.pow(2.0).sum() * 0.5;
                    loss.backward().unwrap();
                }
                let g = w.grad().unwrap().to_vec::<f64>();
                let expected: Vec<f64> = shared
                    .to_vec::<f64>()
                    .iter()
                    .map(|s| {
                        let wi = k as f64 + 1.0;
                        let t = (wi * s).tanh();
                        s * (1.0 - t * t) + wi
                    })
                    .collect();
                (g, expected)
            })
        })
        .collect();
    for h in handles {
        let (g, e) = h.join().unwrap();
        for (a, b) in g.iter().zip(&e) {
            assert!((a - b).abs() < 1e-12, "{g:?} vs {e:?}");
        }
    }
    assert!(shared.grad().is_none());
}

#[test]
fn a_shared_parameter_accumulates_from_several_threads() {
    let w = Tensor::scalar(2.0).requires_grad_(true);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let w = w.clone();
            thread::spawn(move || {
                for _ in 0..50 {
                    (&w * 3.0).backward().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(w.grad().unwrap().item(), 3.0 * 200.0);
}
