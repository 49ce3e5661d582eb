//! Anomaly detection, PyTorch's `torch.autograd.detect_anomaly`: while it is
//! on, recorded ops remember where they were created, and a backward pass
//! fails at the first node whose backward returns a NaN, naming the node and
//! that place.
//!
//! The place is the `std::panic::Location` of the op's caller, carried by
//! `#[track_caller]` from the public op down to `Tensor::record`; it is read
//! only while the mode is on and kept as a 32-bit index into a process-wide
//! table of call sites (which are `'static` and finite), beside the node's
//! height, so that nodes recorded outside the mode cost nothing more.

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Mutex, PoisonError};

thread_local! {
    static ANOMALY: Cell<bool> = const { Cell::new(false) };
}

/// Whether anomaly detection is on for this thread (PyTorch's
/// `torch.is_anomaly_enabled()`).
#[inline]
pub fn is_anomaly_enabled() -> bool {
    ANOMALY.with(Cell::get)
}

/// Restores the previous mode on drop, so a panic inside cannot leave it on.
struct AnomalyGuard(bool);

impl Drop for AnomalyGuard {
    fn drop(&mut self) {
        ANOMALY.with(|m| m.set(self.0));
    }
}

/// Runs `f` with anomaly detection on (PyTorch's `with
/// torch.autograd.detect_anomaly():`).
///
/// Ops recorded inside keep the source location of their call, and a backward
/// run inside checks the gradients every node returns: the first NaN makes
/// backward fail with [`crate::Error::AnomalyNan`], which names the node's
/// `grad_fn` (`DivBackward0`), the input whose gradient it was, and where the
/// op was recorded. The mode is per thread, like grad mode (PyTorch's is
/// process-wide); it slows ops down, so it is for debugging.
///
/// ```
/// # use autograd_core::*;
/// let a = Tensor::from_vec(vec![0.0, 1.0], &[2]).requires_grad_(true);
/// let err = detect_anomaly(|| (&a / &a).sum().backward()).unwrap_err();
/// let msg = err.to_string();
/// assert!(msg.starts_with("Function 'DivBackward0' returned nan values in its 1th output"));
/// assert!(msg.contains(file!()), "{msg}");
/// ```
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    let _guard = AnomalyGuard(ANOMALY.with(|m| m.replace(true)));
    f()
}

/// The call sites seen so far: `SITES[i - 1]` is site `i` (0 is "none").
static SITES: Mutex<Vec<&'static Location<'static>>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's index of [`SITES`], so interning takes the lock only for
    /// a new site.
    static KNOWN: std::cell::RefCell<HashMap<usize, u32>> = std::cell::RefCell::new(HashMap::new());
}

/// The site number of `loc` (1-based), interned once per call site.
#[cold]
pub(crate) fn site(loc: &'static Location<'static>) -> u32 {
    let key = loc as *const Location<'static> as usize;
    if let Some(i) = KNOWN.with(|k| k.borrow().get(&key).copied()) {
        return i;
    }
    let mut sites = SITES.lock().unwrap_or_else(PoisonError::into_inner);
    let i = match sites.iter().position(|s| std::ptr::eq(*s, loc)) {
        Some(i) => i as u32 + 1,
        None => {
            sites.push(loc);
            sites.len() as u32
        }
    };
    drop(sites);
    KNOWN.with(|k| k.borrow_mut().insert(key, i));
    i
}

/// The location of site `i`, `None` for 0 (recorded outside anomaly mode).
pub(crate) fn location(i: u32) -> Option<&'static Location<'static>> {
    let i = (i as usize).checked_sub(1)?;
    SITES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(i)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_interned_and_the_mode_restored_after_a_panic() {
        let here = Location::caller();
        let i = site(here);
        assert_eq!(site(here), i);
        assert!(std::ptr::eq(location(i).unwrap(), here));
        assert!(location(0).is_none());
        let r = std::panic::catch_unwind(|| detect_anomaly(|| panic!("boom")));
        assert!(r.is_err());
        assert!(!is_anomaly_enabled());
        detect_anomaly(|| {
            assert!(is_anomaly_enabled());
            detect_anomaly(|| assert!(is_anomaly_enabled()));
            assert!(is_anomaly_enabled());
        });
        assert!(!is_anomaly_enabled());
    }
}
