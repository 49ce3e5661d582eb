//! Large element vectors freed by the tape, kept per thread for the next kernel
//! output of the same size.
//!
//! Why: a training step allocates and frees the same large buffers every time
//! (a convolution's columns and outputs, their gradients, megabytes in all).
//! glibc serves blocks of this size from the top of its heap, and when they are
//! freed at the end of the step the top grows past its trim threshold and is
//! given back to the system; the next step faults every page in again. On
//! LeNet (W5 of `bench-peers`) that was a third of the step. Keeping the vectors
//! here instead hands the next step memory that is already mapped.
//!
//! Only vectors of at least [`MIN_BYTES`] are kept (smaller blocks live in
//! malloc's bins and cost no faults), at most [`MAX_BYTES`] per thread in all;
//! a request takes the smallest kept vector of a capacity between the request
//! and twice it. Threads keep their own (the kernel pool's workers too), so nothing
//! here locks.
//!
//! Small vectors, of 2 to [`SMALL_MAX`] elements, are kept too, by exact
//! capacity, at most [`SMALL_PER_CLASS`] of each: a step over small tensors
//! (W1 of `bench-peers`, 11 elements) allocates and frees a few of one size per
//! op, and glibc's `malloc`/`free` pair cost about 130 instructions each time
//! (its per-thread cache holds 7 blocks of a size); taking one from here costs
//! about 20.

use std::any::TypeId;
use std::cell::RefCell;

/// The smallest vector worth keeping, in bytes.
const MIN_BYTES: usize = 1 << 16;
/// The most this thread keeps, in bytes.
const MAX_BYTES: usize = 64 << 20;

/// How many of the large vectors this thread handed out it remembers.
const HANDED_OUT: usize = 256;

/// Kept vectors as raw parts, with the bytes they hold, and the addresses of the
/// large vectors handed out (most recent last).
#[derive(Default)]
struct Kept {
    f32s: Vec<Vec<f32>>,
    f64s: Vec<Vec<f64>>,
    bytes: usize,
    handed: Vec<usize>,
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// The largest capacity, in elements, of the small vectors kept.
const SMALL_MAX: usize = 32;
/// How many small vectors of one capacity and type a thread keeps.
const SMALL_PER_CLASS: usize = 16;

/// Kept small vectors, empty, by capacity (index 0 and 1 unused).
struct Small {
    f32s: [Vec<Vec<f32>>; SMALL_MAX + 1],
    f64s: [Vec<Vec<f64>>; SMALL_MAX + 1],
}

thread_local! {
    static SMALL: RefCell<Small> = const {
        RefCell::new(Small {
            f32s: [const { Vec::new() }; SMALL_MAX + 1],
            f64s: [const { Vec::new() }; SMALL_MAX + 1],
        })
    };
}

/// A kept small vector of capacity `n`, if this thread has one.
#[inline]
fn take_small<T: 'static>(wide: bool, n: usize) -> Option<Vec<T>> {
    SMALL
        .try_with(|s| {
            let mut s = s.borrow_mut();
            if wide {
                s.f64s[n].pop().map(cast::<f64, T>)
            } else {
                s.f32s[n].pop().map(cast::<f32, T>)
            }
        })
        .ok()
        .flatten()
}

/// Keeps the small vector `v` (empty, of a small capacity) if its class has room.
#[inline]
fn keep_small<T: 'static>(wide: bool, v: Vec<T>) {
    let n = v.capacity();
    let full = SMALL.try_with(|s| {
        let mut s = s.borrow_mut();
        let kept = if wide {
            s.f64s[n].len()
        } else {
            s.f32s[n].len()
        };
        if kept >= SMALL_PER_CLASS {
            return Some(v);
        }
        if wide {
            s.f64s[n].push(cast(v));
        } else {
            s.f32s[n].push(cast(v));
        }
        None
    });
    // Freed outside the borrow: a full class, or a thread being torn down.
    drop(full);
}

/// Which list keeps vectors of `T`, if any (only the storage types).
fn kind<T: 'static>() -> Option<bool> {
    let t = TypeId::of::<T>();
    if t == TypeId::of::<f32>() {
        Some(false)
    } else if t == TypeId::of::<f64>() {
        Some(true)
    } else {
        None
    }
}

/// Reinterprets a `Vec<A>` as a `Vec<B>` of the same type.
fn cast<A: 'static, B: 'static>(v: Vec<A>) -> Vec<B> {
    assert_eq!(
        TypeId::of::<A>(),
        TypeId::of::<B>(),
        "recycle: not one type"
    );
    let mut v = std::mem::ManuallyDrop::new(v);
    // SAFETY: `A` and `B` are the same type (checked above), so the pointer,
    // length and capacity describe a valid `Vec<B>`; `v` is not dropped.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast::<B>(), v.len(), v.capacity()) }
}

/// An empty vector with room for `n` elements: a kept one when this thread has
/// one of a fitting capacity, else a new allocation.
pub(crate) fn with_capacity<T: 'static>(n: usize) -> Vec<T> {
    let bytes = n * std::mem::size_of::<T>();
    let Some(wide) = kind::<T>() else {
        return Vec::with_capacity(n);
    };
    if (2..=SMALL_MAX).contains(&n) {
        return take_small(wide, n).unwrap_or_else(|| Vec::with_capacity(n));
    }
    if bytes < MIN_BYTES {
        return Vec::with_capacity(n);
    }
    let handed_out = KEPT.try_with(|k| {
        let mut k = k.borrow_mut();
        // The smallest that fits, so that a larger request later still
        // finds the larger vector.
        fn best<T>(vs: &[Vec<T>], n: usize) -> Option<usize> {
            let fits = |cap: usize| cap >= n && cap / 2 <= n;
            (0..vs.len())
                .filter(|&i| fits(vs[i].capacity()))
                .min_by_key(|&i| vs[i].capacity())
        }
        let found = if wide {
            best(&k.f64s, n).map(|i| {
                let v = k.f64s.swap_remove(i);
                k.bytes -= v.capacity() * 8;
                cast::<f64, T>(v)
            })
        } else {
            best(&k.f32s, n).map(|i| {
                let v = k.f32s.swap_remove(i);
                k.bytes -= v.capacity() * 4;
                cast::<f32, T>(v)
            })
        };
        let v = found.unwrap_or_else(|| Vec::with_capacity(n));
        // Remembered, so that `give` keeps it when it comes back.
        if k.handed.len() == HANDED_OUT {
            k.handed.remove(0);
        }
        k.handed.push(v.as_ptr() as usize);
        v
    });
    // A thread being torn down allocates without the cache.
    handed_out.unwrap_or_else(|_| Vec::with_capacity(n))
}

/// `n` copies of `T::default()` (zeros), in a kept vector when there is one.
pub(crate) fn zeroed<T: 'static + Default + Clone>(n: usize) -> Vec<T> {
    let mut v = with_capacity(n);
    v.resize(n, T::default());
    v
}

/// Keeps `v` for a later [`with_capacity`] if it is large, of a storage type and
/// this thread has room; frees it otherwise.
pub(crate) fn give<T: 'static>(mut v: Vec<T>) {
    let Some(wide) = kind::<T>() else {
        return;
    };
    if (2..=SMALL_MAX).contains(&v.capacity()) {
        v.clear();
        keep_small(wide, v);
        return;
    }
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < MIN_BYTES {
        return;
    }
    v.clear();
    // A thread being torn down frees `v` instead.
    let _ = KEPT.try_with(|k| {
        let mut k = k.borrow_mut();
        // Only what `with_capacity` handed out: a buffer that came from the user
        // (`Tensor::from_vec`) goes back to malloc, which serves the user's next
        // buffer of that size with it. Keeping those too filled the cache on a
        // loop that copies its input in and its gradient out (GradBench's lse),
        // and the vectors freed past `MAX_BYTES` made glibc trim its heap on every
        // call: 331 -> 450 us at n = 40000, 32 page faults a call.
        let at = v.as_ptr() as usize;
        let Some(i) = k.handed.iter().rposition(|&p| p == at) else {
            return;
        };
        k.handed.remove(i);
        if k.bytes + bytes > MAX_BYTES {
            return;
        }
        k.bytes += bytes;
        if wide {
            k.f64s.push(cast(v));
        } else {
            k.f32s.push(cast(v));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_large_vector_is_handed_out_again() {
        let v: Vec<f32> = zeroed(1 << 15);
        let p = v.as_ptr();
        give(v);
        let w: Vec<f32> = zeroed(1 << 15);
        assert_eq!(w.as_ptr(), p);
        assert!(w.iter().all(|&x| x == 0.0));
        // Not handed out here (a user's buffer): not kept.
        let kept = || KEPT.with(|k| k.borrow().f32s.len());
        assert_eq!(kept(), 0);
        give(vec![2.0f32; 1 << 15]);
        assert_eq!(kept(), 0);
        give(w);
        assert_eq!(kept(), 1);
        // Of another type: not kept.
        let idx: Vec<usize> = zeroed(1 << 15);
        give(idx);
    }

    #[test]
    fn a_freed_small_vector_is_handed_out_again_by_capacity() {
        let v: Vec<f64> = vec![1.0; 11];
        let p = v.as_ptr();
        give(v);
        // Another capacity, or the other type, does not take it.
        let other: Vec<f64> = with_capacity(12);
        assert_ne!(other.as_ptr(), p);
        let narrow: Vec<f32> = with_capacity(11);
        assert_ne!(narrow.as_ptr().cast::<f64>(), p);
        let w: Vec<f64> = with_capacity(11);
        assert_eq!(w.as_ptr(), p);
        assert!(w.is_empty() && w.capacity() == 11);
        // A class keeps at most `SMALL_PER_CLASS` vectors; the rest are freed.
        for _ in 0..2 * SMALL_PER_CLASS {
            give(vec![0.0f32; 5]);
        }
        assert_eq!(SMALL.with(|s| s.borrow().f32s[5].len()), SMALL_PER_CLASS);
        // Outside the classes (one element, more than `SMALL_MAX`): freed.
        give(vec![0.0f64; 1]);
        give(vec![0.0f64; SMALL_MAX + 1]);
        assert!(SMALL.with(|s| s.borrow().f64s[1].is_empty()));
    }
}
