//! The static engine's ratios to the hand-written gradient and to the forward
//! pass, measured in interleaved blocks so that a drift of the machine's speed
//! (frequent on a shared VM, where sequential criterion groups can differ by 20%
//! from one minute to the next) falls on both sides of each ratio alike.
//!
//! Every contender is an `#[inline(never)]` function reading its arguments
//! through `black_box` and returning its whole result to `black_box`, so each pays
//! one call and one result write. Each round times a block of calls of each
//! contender in turn, in an order that rotates from round to round; the printed ratios are the median and quartiles over the
//! rounds. Run with `cargo bench --bench static_paired`; an argument that is not
//! a flag keeps the workloads whose name contains it (`-- ba`).

use std::hint::black_box;
use std::time::Instant;

#[path = "workloads/ba.rs"]
mod ba;
mod workloads;
use autograd::nalgebra::{SMatrix, SVector, Vector2, Vector3};
use workloads::thermometer::{T_C, T_U};
use workloads::*;

/// Rounds per workload, and calls per block (about 20-50 us per block on W3).
const ROUNDS: usize = 400;

/// Times `ROUNDS` interleaved blocks of `calls` calls of each contender and
/// prints the median and quartiles of generated / hand and generated / forward.
fn paired(
    name: &str,
    calls: usize,
    mut generated: impl FnMut(),
    mut by_hand: impl FnMut(),
    mut forward: impl FnMut(),
) {
    if !selected(name) {
        return;
    }
    let block = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        t.elapsed().as_secs_f64()
    };
    // Warm-up: caches, branch predictors, the CPU's clock.
    for _ in 0..ROUNDS / 10 {
        block(&mut generated);
        block(&mut by_hand);
        block(&mut forward);
    }
    let (mut to_hand, mut to_forward, mut times) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Each contender takes each place in the round equally often: the first
        // block after a switch can be slower or faster for reasons that belong to
        // the place, not to the code (measured: up to 2x on W2).
        let mut t = [0.0; 3];
        for k in 0..3 {
            let i = (round + k) % 3;
            let f: &mut dyn FnMut() = match i {
                0 => &mut generated,
                1 => &mut by_hand,
                _ => &mut forward,
            };
            t[i] = block(f);
        }
        let [g, h, f] = t;
        to_hand.push(g / h);
        to_forward.push(g / f);
        times.push([g, h, f].map(|t| t / calls as f64 * 1e9));
    }
    let quartiles = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 4], v[v.len() / 2], v[3 * v.len() / 4])
    };
    let (h1, h2, h3) = quartiles(&mut to_hand);
    let (f1, f2, f3) = quartiles(&mut to_forward);
    let median_ns = |i: usize| quartiles(&mut times.iter().map(|t| t[i]).collect()).1;
    println!(
        "{name:<22} generated / hand {h2:.3} ({h1:.3}-{h3:.3})   generated / forward {f2:.3} ({f1:.3}-{f3:.3})   \
         medians: generated {:.1} ns, hand {:.1} ns, forward {:.1} ns",
        median_ns(0),
        median_ns(1),
        median_ns(2),
    );
}

#[inline(never)]
fn thermometer_generated(
    w: f64,
    b: f64,
    u: &SVector<f64, 11>,
    t: &SVector<f64, 11>,
) -> (f64, thermometer_loss::Grad) {
    thermometer_loss::grad(w, b, u, t)
}

#[inline(never)]
fn thermometer_forward(w: f64, b: f64, u: &SVector<f64, 11>, t: &SVector<f64, 11>) -> f64 {
    thermometer_loss(w, b, u, t)
}

#[inline(never)]
fn neuron_generated(w: f64, b: f64, x: f64, y: f64) -> (f64, neuron::Grad) {
    neuron::grad(w, b, x, y)
}

#[inline(never)]
fn neuron_forward(w: f64, b: f64, x: f64, y: f64) -> f64 {
    neuron(w, b, x, y)
}

#[inline(never)]
fn mlp_generated(m: &Mlp, x: &SVector<f64, 4>, y: f64) -> (f64, mlp_loss::Grad) {
    mlp_loss::grad(&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, x, y)
}

#[inline(never)]
fn mlp_forward(m: &Mlp, x: &SVector<f64, 4>, y: f64) -> f64 {
    m.loss(x, y)
}

#[inline(never)]
fn ba_generated(
    cam: &SVector<f64, 11>,
    x: &Vector3<f64>,
    w: f64,
    feat: &Vector2<f64>,
) -> SMatrix<f64, 2, 15> {
    ba::reprojection::jacobian(cam, x, w, feat)
}

#[inline(never)]
fn ba_forward(
    cam: &SVector<f64, 11>,
    x: &Vector3<f64>,
    w: f64,
    feat: &Vector2<f64>,
) -> Vector2<f64> {
    ba::reprojection(cam, x, w, feat)
}

/// The workloads to run: those whose name contains the first argument that is
/// not a flag (`cargo bench` passes `--bench`), ignoring case, or all.
fn selected(name: &str) -> bool {
    std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .is_none_or(|filter| name.to_lowercase().contains(&filter.to_lowercase()))
}

fn main() {
    let (u, t) = (SVector::from(T_U) * 0.1, SVector::from(T_C));
    let (w, b) = (1.0, 0.0);
    paired(
        "W1 thermometer",
        2000,
        || {
            black_box(thermometer_generated(
                black_box(w),
                black_box(b),
                black_box(&u),
                black_box(&t),
            ));
        },
        || {
            black_box(thermometer_by_hand(
                black_box(w),
                black_box(b),
                black_box(&u),
                black_box(&t),
            ));
        },
        || {
            black_box(thermometer_forward(
                black_box(w),
                black_box(b),
                black_box(&u),
                black_box(&t),
            ));
        },
    );
    let (w, b, x, y) = (0.3, -0.1, 1.7, 0.4);
    paired(
        "W2 neuron",
        2000,
        || {
            black_box(neuron_generated(
                black_box(w),
                black_box(b),
                black_box(x),
                black_box(y),
            ));
        },
        || {
            black_box(neuron_by_hand(
                black_box(w),
                black_box(b),
                black_box(x),
                black_box(y),
            ));
        },
        || {
            black_box(neuron_forward(
                black_box(w),
                black_box(b),
                black_box(x),
                black_box(y),
            ));
        },
    );
    let m = Mlp::new();
    let (x, y) = mlp_sample();
    paired(
        "W3 mlp 4-16-16-1",
        50,
        || {
            black_box(mlp_generated(black_box(&m), black_box(&x), black_box(y)));
        },
        || {
            black_box(mlp_by_hand(black_box(&m), black_box(&x), black_box(y)));
        },
        || {
            black_box(mlp_forward(black_box(&m), black_box(&x), black_box(y)));
        },
    );
    let cam = SVector::<f64, 11>::from_column_slice(&[
        0.12, -0.23, 0.31, 0.5, 0.2, -1.0, 1.2, 0.1, -0.1, 0.05, -0.01,
    ]);
    let (x, w, feat) = (Vector3::new(0.8, -0.2, 3.0), 0.9, Vector2::new(0.2, 0.1));
    paired(
        "BA jacobian 2x15",
        500,
        || {
            black_box(ba_generated(
                black_box(&cam),
                black_box(&x),
                black_box(w),
                black_box(&feat),
            ));
        },
        || {
            black_box(ba::jacobian_by_hand(
                black_box(&cam),
                black_box(&x),
                black_box(w),
                black_box(&feat),
            ));
        },
        || {
            black_box(ba_forward(
                black_box(&cam),
                black_box(&x),
                black_box(w),
                black_box(&feat),
            ));
        },
    );
}
