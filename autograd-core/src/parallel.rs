//! Batches of static gradients on several threads.
//!
//! `grad_sum` evaluates a per-sample function (typically a `#[differentiable]`
//! function's `grad`) over a slice of samples on `threads` scoped threads and sums
//! the values and gradients. The samples are cut into `threads` contiguous chunks,
//! each summed in order, and the chunk sums are added in chunk order, so the result
//! is the same bit for bit on every run with the same thread count.

use crate::adjoint::Tangent;

/// The sum over `samples` of `f(sample)`, a `(value, gradient)` pair, computed on
/// `threads` threads (1 runs on the calling thread).
///
/// ```
/// use autograd_core::parallel::grad_sum;
///
/// // Sum of (w x - y)^2 over samples and its derivative in w, at w = 2.
/// let samples: Vec<(f64, f64)> = (0..100).map(|i| (i as f64 * 0.01, 1.0)).collect();
/// let w = 2.0;
/// let (loss, g) = grad_sum(&samples, 4, |&(x, y)| ((w * x - y).powi(2), 2.0 * (w * x - y) * x));
/// let (loss1, g1) = grad_sum(&samples, 1, |&(x, y)| ((w * x - y).powi(2), 2.0 * (w * x - y) * x));
/// assert!((loss - loss1).abs() < 1e-12 && (g - g1).abs() < 1e-12);
/// ```
///
/// # Panics
/// If `samples` is empty (there is no zero to start from) or `threads` is 0.
pub fn grad_sum<S, V, G, F>(samples: &[S], threads: usize, f: F) -> (V, G)
where
    S: Sync,
    V: Tangent + Send,
    G: Tangent + Send,
    F: Fn(&S) -> (V, G) + Sync,
{
    assert!(!samples.is_empty(), "grad_sum: no samples");
    assert!(threads > 0, "grad_sum: threads must be at least 1");
    let chunk = samples.len().div_ceil(threads);
    let sum_chunk = |chunk: &[S]| {
        let mut it = chunk.iter();
        let mut acc = f(it.next().expect("chunks are not empty"));
        for s in it {
            let (v, g) = f(s);
            acc.0.accumulate(v);
            acc.1.accumulate(g);
        }
        acc
    };
    if threads == 1 {
        return sum_chunk(samples);
    }
    let partial: Vec<(V, G)> = std::thread::scope(|scope| {
        let handles: Vec<_> = samples
            .chunks(chunk)
            .map(|c| scope.spawn(move || sum_chunk(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .collect()
    });
    let mut parts = partial.into_iter();
    let mut total = parts.next().expect("at least one chunk");
    for (v, g) in parts {
        total.0.accumulate(v);
        total.1.accumulate(g);
    }
    total
}
