//! The global random generator behind `randn` and `rand`, seeded by
//! [`manual_seed`] (PyTorch's `torch.manual_seed`).
//!
//! SplitMix64 on one atomic counter: lock-free, and every draw after a given seed
//! is reproducible when the draws happen in the same order.

use std::sync::atomic::{AtomicU64, Ordering};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// PyTorch's default seed, for a familiar start.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

static STATE: AtomicU64 = AtomicU64::new(DEFAULT_SEED);

/// Seeds the generator used by `Tensor::randn` and `Tensor::rand`.
pub fn manual_seed(seed: u64) {
    STATE.store(seed, Ordering::SeqCst);
}

fn next_u64() -> u64 {
    let mut z = STATE
        .fetch_add(GOLDEN, Ordering::Relaxed)
        .wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `[0, 1)` with 53 random bits.
pub(crate) fn uniform() -> f64 {
    (next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `n` standard normal samples (Box-Muller).
pub(crate) fn normals(n: usize) -> impl Iterator<Item = f64> {
    (0..n.div_ceil(2))
        .flat_map(|_| {
            let u1 = 1.0 - uniform();
            let u2 = uniform();
            let r = (-2.0 * u1.ln()).sqrt();
            let t = std::f64::consts::TAU * u2;
            [r * t.cos(), r * t.sin()]
        })
        .take(n)
}

/// The generator's state, for [`set_state`] to return to (checkpointing
/// replays a segment's draws).
pub(crate) fn state() -> u64 {
    STATE.load(Ordering::SeqCst)
}

/// Returns the generator to a state [`state`] read.
pub(crate) fn set_state(s: u64) {
    STATE.store(s, Ordering::SeqCst);
}
