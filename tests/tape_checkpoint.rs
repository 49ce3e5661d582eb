//! `autograd::checkpoint`: gradients equal those without checkpointing, and a
//! deep chain split into checkpointed segments peaks at a fraction of the
//! memory. Measured with a counting global allocator whose counters are per
//! thread (as in tests/tape_memory.rs), so concurrent tests do not disturb
//! each other.

use autograd::prelude::*;
use autograd::{checkpoint, gradcheck};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Bytes allocated and not yet freed by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The largest `LIVE` since the last `reset_peak`.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| {
            l.set(l.get() + layout.size() as isize);
            let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how far this thread's live heap rose above its level
/// at the start.
fn peak_during(f: impl FnOnce()) -> isize {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    f();
    PEAK.with(Cell::get) - start
}

const N: usize = 2048;
const LAYERS: usize = 32;
const SEGMENT: usize = 8;

/// One layer: tanh saves its output (N f64s), the affine step saves nothing.
fn layer(h: &Tensor) -> Tensor {
    h.tanh() * 1.1 + 0.1
}

fn input() -> Tensor {
    let v: Vec<f64> = (0..N).map(|i| (i as f64 / N as f64) * 4.0 - 2.0).collect();
    Tensor::from_vec(v, &[N]).requires_grad_(true)
}

fn plain(x: &Tensor) -> Tensor {
    (0..LAYERS).fold(x.clone(), |h, _| layer(&h)).sum()
}

fn checkpointed(x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for _ in 0..LAYERS / SEGMENT {
        h = checkpoint(|t| (0..SEGMENT).fold(t[0].clone(), |h, _| layer(&h)), &[h]);
    }
    h.sum()
}

#[test]
fn checkpointed_segments_peak_lower_with_the_same_gradients() {
    // Large kernels stay on this thread, where the allocator counts them.
    autograd::set_num_threads(1);
    let (x1, x2) = (input(), input());
    // Warm the per-thread pools so both runs start alike.
    plain(&input()).backward().unwrap();
    checkpointed(&input()).backward().unwrap();
    let full = peak_during(|| plain(&x1).backward().unwrap());
    let ckpt = peak_during(|| checkpointed(&x2).backward().unwrap());
    let bytes = (N * 8) as isize;
    eprintln!("peak heap: plain {full} bytes, checkpointed {ckpt} bytes");
    // Without checkpoints every tanh output is alive when backward starts;
    // with them, the segment boundaries and one segment's recomputation.
    assert!(full >= LAYERS as isize * bytes, "{full}");
    assert!(
        ckpt * 2 < full,
        "checkpointed peak {ckpt} bytes, plain {full} bytes"
    );
    // The same ops on the same values: the same bits.
    assert_eq!(
        x1.grad().unwrap().to_vec::<f64>(),
        x2.grad().unwrap().to_vec::<f64>()
    );
}

#[test]
fn gradients_match_the_closed_form_and_finite_differences() {
    // Two inputs, one of which does not require grad, and a captured
    // parameter that gets its gradient as in PyTorch's reentrant checkpoint.
    let a = Tensor::from_vec(vec![0.3, -0.8, 1.2], &[3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![2.0, 0.5, -1.0], &[3]);
    let w = Tensor::scalar(0.7).requires_grad_(true);
    let wc = w.clone();
    let y = checkpoint(
        move |t| (&t[0] * &t[1] * &wc).sin() + t[0].pow(2.0),
        &[a.clone(), b.clone()],
    );
    assert_eq!(y.grad_fn().unwrap().name(), "CheckpointFunctionBackward");
    y.sum().backward().unwrap();
    let (av, bv, wv) = (a.to_vec::<f64>(), b.to_vec::<f64>(), 0.7);
    let ga = a.grad().unwrap().to_vec::<f64>();
    let mut gw = 0.0;
    for i in 0..3 {
        let c = (av[i] * bv[i] * wv).cos();
        assert!((ga[i] - (c * bv[i] * wv + 2.0 * av[i])).abs() < 1e-12);
        gw += c * av[i] * bv[i];
    }
    assert!((w.grad().unwrap().item() - gw).abs() < 1e-12);
    assert!(b.grad().is_none());
    // Central differences through the checkpointed function.
    let f = |xs: &[Tensor]| checkpoint(|t| (t[0].tanh() * &t[1]).exp().sum(), xs);
    let x = Tensor::from_vec(vec![0.2, -0.4], &[2]).requires_grad_(true);
    let z = Tensor::from_vec(vec![1.5, 0.3], &[2]).requires_grad_(true);
    gradcheck(f, &[x, z]).unwrap();
}

#[test]
fn a_checkpoint_replays_random_draws_and_is_refused_after_an_in_place_change() {
    // Dropout-like noise drawn inside the segment: the recomputation draws the
    // same numbers, so the gradient is that of the forward that ran.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).requires_grad_(true);
    let y = checkpoint(
        |t| &t[0] * Tensor::rand(&[3]).to_dtype(DType::F64),
        std::slice::from_ref(&x),
    );
    let noise = y.to_vec::<f64>();
    Tensor::rand(&[5]); // the generator moves on before backward
    y.sum().backward().unwrap();
    let g = x.grad().unwrap().to_vec::<f64>();
    for i in 0..3 {
        assert_eq!(g[i], noise[i] / (i as f64 + 1.0));
    }
    // The saved inputs are version-checked like any saved tensor.
    let h = &x * 2.0;
    let y = checkpoint(|t| t[0].exp(), std::slice::from_ref(&h));
    no_grad(|| h.add_(1.0));
    let err = y.sum().backward().unwrap_err().to_string();
    assert!(err.contains("CheckpointFunctionBackward"), "{err}");
}
