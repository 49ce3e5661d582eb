//! Thread-local grad mode, as PyTorch's `torch.no_grad` / `torch.enable_grad` /
//! `torch.set_grad_enabled`, and inference mode (`torch.inference_mode`).
//!
//! While grad mode is off, ops record nothing and their results do not require
//! grad. The mode is per thread: a `no_grad` block on one thread does not affect
//! graphs built concurrently on others. Inference mode turns grad mode off (and
//! keeps it off: `enable_grad` inside records nothing, as in PyTorch) and marks
//! the buffers created meanwhile as inference buffers (see [`inference_mode`]).

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside [`inference_mode`] (PyTorch's
/// `torch.is_inference_mode_enabled()`).
pub fn is_inference_mode_enabled() -> bool {
    INFERENCE.with(Cell::get)
}

/// Restores the previous inference mode (and grad mode) on drop.
struct InferenceGuard {
    inference: bool,
    _grad: ModeGuard,
}

impl Drop for InferenceGuard {
    fn drop(&mut self) {
        INFERENCE.with(|m| m.set(self.inference));
    }
}

/// Runs `f` in inference mode (PyTorch's `with torch.inference_mode():`): like
/// [`no_grad`], nothing is recorded, and more is saved.
///
/// Tensors whose data is created inside are *inference tensors*
/// ([`crate::Tensor::is_inference`]; views and `detach()`ed twins of one are
/// too, views of a normal tensor stay normal). Their in-place updates bump no
/// version counter, which they do not track. Outside inference mode they can
/// still be read and used in ops, but:
///
/// - an op that records a graph and would save one for backward (`x * c` with
///   `x` requiring grad; `x + c` saves nothing and is fine) panics: "inference
///   tensors cannot be saved for backward", as PyTorch raises;
/// - in-place updates of one fail (`try_add_` and friends return
///   [`crate::Error::InferenceTensor`], `add_` panics with its message), and so
///   does `requires_grad_(true)`.
///
/// `t.deep_clone()` outside gives a normal tensor. Nesting is allowed, and a
/// panic inside restores both modes.
///
/// ```
/// # use autograd_core::*;
/// let w = Tensor::ones(&[2]).requires_grad_(true);
/// let y = inference_mode(|| {
///     assert!(is_inference_mode_enabled() && !is_grad_enabled());
///     let y = &w * 3.0;
///     y.mul_(2.0); // no version bump: inference tensors have no counter
///     y
/// });
/// assert!(y.is_inference() && !y.requires_grad() && y.version() == 0);
/// assert!(y.try_add_(1.0).is_err());
/// let z = (&w * &y.deep_clone()).sum(); // a normal copy may be saved
/// z.backward().unwrap();
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![6.0, 6.0]);
/// ```
pub fn inference_mode<R>(f: impl FnOnce() -> R) -> R {
    let _guard = InferenceGuard {
        inference: INFERENCE.with(|m| m.replace(true)),
        _grad: ModeGuard::set(false),
    };
    f()
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
        // Inference mode records nothing, whatever the grad mode says.
        let enabled = enabled && !is_inference_mode_enabled();
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
    fn inference_mode_nests_keeps_grad_off_and_restores_after_a_panic() {
        inference_mode(|| {
            assert!(is_inference_mode_enabled() && !is_grad_enabled());
            enable_grad(|| assert!(!is_grad_enabled()));
            inference_mode(|| assert!(is_inference_mode_enabled()));
            assert!(is_inference_mode_enabled());
        });
        assert!(!is_inference_mode_enabled() && is_grad_enabled());
        let r = std::panic::catch_unwind(|| inference_mode(|| panic!("boom")));
        assert!(r.is_err());
        assert!(!is_inference_mode_enabled() && is_grad_enabled());
    }

    #[test]
    fn mode_is_restored_after_a_panic() {
        let r = std::panic::catch_unwind(|| no_grad(|| panic!("boom")));
        assert!(r.is_err());
        assert!(is_grad_enabled());
    }
}
