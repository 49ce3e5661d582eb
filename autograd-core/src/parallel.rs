//! Parallelism on one machine.
//!
//! - The tape's large kernels (GEMM, im2col and its adjoint, element-wise maps,
//!   reductions) run on a pool of [`get_num_threads`] threads, resized by
//!   [`set_num_threads`] (PyTorch's `torch.set_num_threads`). A kernel below a
//!   size threshold runs on the calling thread and touches no pool, lock or atomic
//!   beyond one relaxed load, so small graphs pay no synchronisation. Every kernel
//!   gives the same result for every thread count: GEMM and element-wise kernels
//!   split their output (bit for bit the single-threaded result), and reductions
//!   add fixed-size chunks in a fixed order.
//! - `grad_sum` evaluates a per-sample function (typically a `#[differentiable]`
//!   function's `grad`) over a slice of samples on a pool of `threads` threads and sums
//!   the values and gradients. The samples are cut into `threads` contiguous chunks,
//!   each summed in order, and the chunk sums are added in chunk order, so the result
//!   is the same bit for bit on every run with the same thread count.

use crate::adjoint::Tangent;
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// The thread count set by [`set_num_threads`]; 0 until then (the default).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The kernels' pool, built on first use and rebuilt after a change of count.
static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// Element-wise kernels and reductions run on the pool from this many elements
/// on; below, on the calling thread. Handing work to the pool and waiting for it
/// costs microseconds, the time a cheap element-wise op takes over a few thousand
/// elements, so every op of a small graph stays on the calling thread.
/// `cargo bench --bench threads` compares 1 and 2 threads around it.
pub(crate) const MIN_PARALLEL_ELEMENTS: usize = 1 << 15;

/// A matrix product runs on the pool from this many multiply-adds (`m k n`
/// summed over the batch) on: a 64x64 by 64x64 product.
pub(crate) const MIN_PARALLEL_MACS: usize = 1 << 18;

/// Reductions add partial sums of this many elements in index order, whatever
/// the thread count, so their result depends only on the data.
pub(crate) const REDUCE_CHUNK: usize = 1 << 13;

/// Sets the number of threads the tape's large kernels run on (PyTorch's
/// `torch.set_num_threads`). The default is the machine's available parallelism.
/// The count is global to the process; 1 runs every kernel on the calling
/// thread. Kernels on small tensors always run on the calling thread.
///
/// Results do not depend on the count: matrix products and element-wise ops
/// give the same bits on any number of threads, and reductions add fixed-size
/// chunks in a fixed order.
///
/// ```
/// autograd_core::set_num_threads(2);
/// assert_eq!(autograd_core::get_num_threads(), 2);
/// ```
///
/// # Panics
/// If `n` is 0.
pub fn set_num_threads(n: usize) {
    assert!(
        n > 0,
        "set_num_threads: the number of threads must be at least 1"
    );
    let mut pool = POOL.write().unwrap_or_else(PoisonError::into_inner);
    THREADS.store(n, Ordering::Relaxed);
    // A kernel running on the old pool keeps it alive until it returns.
    if pool.as_ref().is_some_and(|p| p.current_num_threads() != n) {
        *pool = None;
    }
}

/// The number of threads the tape's large kernels run on (PyTorch's
/// `torch.get_num_threads`): the last [`set_num_threads`], by default the
/// machine's available parallelism.
pub fn get_num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// The pool to run a kernel of `work` units on, or `None` when the work is
/// below `min_work` or one thread is set: then the kernel runs on the calling
/// thread. Also `None` if the pool's threads cannot be started.
pub(crate) fn pool_for(work: usize, min_work: usize) -> Option<Arc<ThreadPool>> {
    if work < min_work {
        return None;
    }
    let n = get_num_threads();
    if n < 2 {
        return None;
    }
    // `set_num_threads` holds the write lock while it changes the count, so
    // the count is read again under it.
    cached_pool(&POOL, get_num_threads, "autograd")
}

/// A pool of `n` threads for [`grad_sum`]: the kernels' pool when `n` is the
/// kernels' count, else one kept for the last other count asked for, so that
/// repeated calls reuse their threads instead of starting new ones. `None` if
/// the threads cannot be started.
fn pool_of(n: usize) -> Option<Arc<ThreadPool>> {
    static OTHER: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);
    if n == get_num_threads() {
        return pool_for(usize::MAX, 0);
    }
    cached_pool(&OTHER, || n, "autograd-grad")
}

/// The pool kept in `cache` if it has `threads()` threads, else a new one of
/// that many (named `name-i`), kept there in its place. `threads` is called
/// again under the write lock. `None` if the threads cannot be started.
fn cached_pool(
    cache: &RwLock<Option<Arc<ThreadPool>>>,
    threads: impl Fn() -> usize,
    name: &'static str,
) -> Option<Arc<ThreadPool>> {
    let fits = |p: &Option<Arc<ThreadPool>>, n: usize| {
        p.as_ref().filter(|p| p.current_num_threads() == n).cloned()
    };
    if let Some(p) = fits(
        &cache.read().unwrap_or_else(PoisonError::into_inner),
        threads(),
    ) {
        return Some(p);
    }
    let mut slot = cache.write().unwrap_or_else(PoisonError::into_inner);
    let n = threads();
    if let Some(p) = fits(&slot, n) {
        return Some(p);
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .ok()
        .map(Arc::new);
    slot.clone_from(&pool);
    pool
}

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
    let partial: Vec<(V, G)> = match pool_of(threads) {
        // The chunks are fixed by `threads` and `collect` keeps their order, so
        // the pool's scheduling cannot change the sum.
        Some(pool) => pool.install(|| samples.par_chunks(chunk).map(sum_chunk).collect()),
        None => std::thread::scope(|scope| {
            let handles: Vec<_> = samples
                .chunks(chunk)
                .map(|c| scope.spawn(move || sum_chunk(c)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a worker panicked"))
                .collect()
        }),
    };
    let mut parts = partial.into_iter();
    let mut total = parts.next().expect("at least one chunk");
    for (v, g) in parts {
        total.0.accumulate(v);
        total.1.accumulate(g);
    }
    total
}
