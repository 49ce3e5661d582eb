//! A global allocator that counts, per thread, the allocations made through it,
//! for tests that show a computation allocates nothing. A test file installs it
//! with `#[global_allocator] static GLOBAL: Counting = Counting;`.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator; it hands every request on to [`System`].
pub struct Counting;

// Per thread: the test harness runs tests on several threads at once.
thread_local! {
    static COUNTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// (allocations, bytes) made by this thread so far.
pub fn counts() -> (usize, usize) {
    COUNTS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNTS.try_with(|c| {
            let (n, b) = c.get();
            c.set((n + 1, b + layout.size()));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Panics unless this thread allocated nothing since `before` (a [`counts`]),
/// saying how much `what` allocated.
#[track_caller]
pub fn assert_none_since(before: (usize, usize), what: &str) {
    let after = counts();
    assert_eq!(
        after,
        before,
        "{what} allocated {} times, {} bytes",
        after.0 - before.0,
        after.1 - before.1
    );
}
