//! A training loop of 10,000 forward/backward steps runs in flat memory: the
//! graph is freed as backward consumes it and nothing leaks; and recording an op
//! allocates a fixed, small number of blocks. Measured with a counting global
//! allocator whose counters are per thread, so tests running concurrently do not
//! disturb each other.

use autograd::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Bytes allocated and not yet freed by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// Number of allocations made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| l.set(l.get() + layout.size() as isize));
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
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
    let before = live();
    for _ in 0..10_000 {
        step(&w, &b, &x, &y);
    }
    let after = live();
    // One leaked node per step would be several hundred kilobytes by now.
    assert!(
        after - before < 4096,
        "live heap grew by {} bytes",
        after - before
    );
}

#[test]
fn recording_an_op_allocates_its_buffer_and_one_node() {
    let a = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
    let b = Tensor::from_vec(vec![2.0f32], &[1]).requires_grad_(true);
    let y = &a * &b;
    let start = allocations();
    let z = &y * &b;
    let t = z.tanh();
    let recorded = allocations() - start;
    // Per op: the output's buffer (a one-element tensor keeps its value inline)
    // and the tensor's block, which holds its node.
    assert_eq!(recorded, 2 * 2);
    let start = allocations();
    let u = no_grad(|| &t + &a);
    assert_eq!(
        allocations() - start,
        2,
        "without recording: buffer, tensor block"
    );
    let a16 = Tensor::full(&[16], 0.5, DType::F32).requires_grad_(true);
    let start = allocations();
    let v = &a16 + &a16;
    assert_eq!(
        allocations() - start,
        3,
        "16 elements: buffer, data, tensor block"
    );
    drop((u, t, v));
}

#[test]
fn a_graph_recorded_again_reuses_the_blocks_of_the_last() {
    let a = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
    let chain = || {
        let mut y = a.clone();
        for _ in 0..10 {
            y = &y * &a;
        }
        y
    };
    // The first step also creates `a.grad`, which takes a pooled buffer; from
    // the second on, `.grad` accumulates in place.
    for _ in 0..2 {
        let y = chain();
        y.backward().unwrap();
        // Freeing the graph keeps the blocks of the nodes it dismantles, the
        // block of the one dropped first (its last handle pools it) and every
        // buffer for this thread's next tensors.
        drop(y);
    }
    let start = allocations();
    let y = chain();
    assert_eq!(allocations() - start, 0, "no buffer, no block");
    drop(y);
}
