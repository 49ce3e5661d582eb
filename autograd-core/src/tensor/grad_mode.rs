//! Thread-local grad mode, as PyTorch's `torch.no_grad` / `torch.enable_grad` /
//! `torch.set_grad_enabled`.
//!
//! While grad mode is off, ops record nothing and their results do not require
//! grad. The mode is per thread: a `no_grad` block on one thread does not affect
//! graphs built concurrently on others.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread currently record a graph (PyTorch's
/// `torch.is_grad_enabled()`).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Restores the previous mode on drop, so a panic inside the block cannot leave
/// the thread in the wrong mode.
pub(crate) struct ModeGuard(bool);

impl ModeGuard {
    pub fn set(enabled: bool) -> ModeGuard {
        ModeGuard(GRAD_ENABLED.with(|m| m.replace(enabled)))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|m| m.set(self.0));
    }
}

/// Runs `f` with grad mode set to `enabled` and restores the previous mode after
/// (PyTorch's `with torch.set_grad_enabled(enabled):`).
pub fn set_grad_enabled<R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    let _guard = ModeGuard::set(enabled);
    f()
}

/// Runs `f` without recording any op (PyTorch's `with torch.no_grad():`).
///
/// ```
/// # use autograd_core::*;
/// let x = Tensor::ones(&[2]).requires_grad_(true);
/// let y = no_grad(|| &x * 2.0);
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    set_grad_enabled(false, f)
}

/// Runs `f` with recording switched back on, e.g. inside a `no_grad` block
/// (PyTorch's `with torch.enable_grad():`).
pub fn enable_grad<R>(f: impl FnOnce() -> R) -> R {
    set_grad_enabled(true, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_nest_and_restore() {
        assert!(is_grad_enabled());
        no_grad(|| {
            assert!(!is_grad_enabled());
            enable_grad(|| assert!(is_grad_enabled()));
            assert!(!is_grad_enabled());
        });
        assert!(is_grad_enabled());
    }

    #[test]
    fn mode_is_restored_after_a_panic() {
        let r = std::panic::catch_unwind(|| no_grad(|| panic!("boom")));
        assert!(r.is_err());
        assert!(is_grad_enabled());
    }
}
