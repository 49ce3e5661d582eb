//! A median-of-samples timer (criterion would take several times longer for the
//! ~40 cases on a shared 2-core machine; `pytorch_bench.py` mirrors this logic).
//!
//! Warm-up: the closure runs until 0.2 s (at least 3 calls). Then each sample
//! runs it `k` times in a row, `k` chosen so a sample lasts about 2 ms (at least
//! once), and the per-call time of each sample is recorded; samples are taken
//! until the budget is spent (at least 11, at most 1001). Reported: the median
//! and the minimum of the per-call times.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Stat {
    /// Median per-call time, nanoseconds.
    pub median_ns: f64,
    /// Fastest sample's per-call time, nanoseconds.
    pub min_ns: f64,
    pub samples: usize,
}

pub fn time<F: FnMut()>(mut f: F, budget: Duration) -> Stat {
    let start = Instant::now();
    let mut calls = 0u64;
    while calls < 3 || start.elapsed() < Duration::from_millis(200) {
        f();
        calls += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / calls as f64;
    let k = ((2e-3 / per_call).ceil() as u64).max(1);
    let mut times = Vec::new();
    let t0 = Instant::now();
    while times.len() < 11 || (t0.elapsed() < budget && times.len() < 1001) {
        let s = Instant::now();
        for _ in 0..k {
            f();
        }
        times.push(s.elapsed().as_nanos() as f64 / k as f64);
    }
    times.sort_by(f64::total_cmp);
    Stat {
        median_ns: times[times.len() / 2],
        min_ns: times[0],
        samples: times.len(),
    }
}

/// `ns` in the unit that reads best.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} us", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}
