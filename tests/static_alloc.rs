//! The generated gradient of a two-hidden-layer tanh MLP over `SMatrix` allocates
//! nothing: a counting global allocator sees zero allocations during `grad`.

#[path = "../benches/workloads/mod.rs"]
mod workloads;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        BYTES.fetch_add(layout.size(), Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn mlp_gradient_allocates_zero_bytes() {
    let m = workloads::Mlp::new();
    let (x, y) = workloads::mlp_sample();
    let before = (
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    );
    let (loss, g) = std::hint::black_box(workloads::mlp_loss::grad(
        &m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, &x, y,
    ));
    let after = (
        ALLOCATIONS.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    );
    assert_eq!(
        after,
        before,
        "grad allocated {} times, {} bytes",
        after.0 - before.0,
        after.1 - before.1
    );
    // The counter does see allocations: the test cannot pass vacuously.
    let v = std::hint::black_box(vec![loss, g.b3]);
    assert!(ALLOCATIONS.load(Ordering::SeqCst) > after.0 && v.len() == 2);
}
