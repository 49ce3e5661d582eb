//! A training loop of 10,000 forward/backward steps runs in flat memory: the
//! graph is freed as backward consumes it and nothing leaks. Measured with a
//! counting global allocator (this file is its own test binary, and holds one
//! test, so no other test allocates concurrently).

use autograd::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn step(w: &Tensor, b: &Tensor, x: &Tensor, y: &Tensor) {
    let pred = x.matmul(w).tanh() + b;
    let loss = (&pred - y).pow(2.0).mean();
    loss.backward().unwrap();
    no_grad(|| {
        w.sub_(&(w.grad().unwrap() * 0.01));
        b.sub_(&(b.grad().unwrap() * 0.01));
    });
    w.zero_grad();
    b.zero_grad();
}

#[test]
fn ten_thousand_steps_in_flat_memory() {
    autograd::manual_seed(1);
    let w = Tensor::randn(&[4, 3]).requires_grad_(true);
    let b = Tensor::zeros(&[3]).requires_grad_(true);
    let x = Tensor::randn(&[8, 4]);
    let y = Tensor::randn(&[8, 3]);
    for _ in 0..100 {
        step(&w, &b, &x, &y);
    }
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..10_000 {
        step(&w, &b, &x, &y);
    }
    let after = LIVE.load(Ordering::Relaxed);
    // One leaked node per step would be several hundred kilobytes by now.
    assert!(
        after - before < 4096,
        "live heap grew by {} bytes",
        after - before
    );
}
