//! The generated gradient of a two-hidden-layer tanh MLP over `SMatrix` allocates
//! nothing: a counting global allocator sees zero allocations during `grad`.

#[path = "../benches/workloads/mod.rs"]
mod workloads;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use autograd::nalgebra::Vector3;
use autograd::prelude::*;
use counting_alloc::{assert_none_since, counts, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn mlp_gradient_allocates_zero_bytes() {
    let m = workloads::Mlp::new();
    let (x, y) = workloads::mlp_sample();
    let before = counts();
    let (loss, g) = std::hint::black_box(workloads::mlp_loss::grad(
        &m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, &x, y,
    ));
    assert_none_since(before, "grad");
    let after = counts();
    // The counter does see allocations: the test cannot pass vacuously.
    let v = std::hint::black_box(vec![loss, g.b3]);
    assert!(counts().0 > after.0 && v.len() == 2);
}

#[test]
fn a_static_training_step_allocates_nothing() {
    use autograd::static_optim::Adam;
    let m = workloads::Mlp::new();
    let (x, y) = workloads::mlp_sample();
    let mut params = (m.w1, m.b1, m.w2, m.b2, m.w3, m.b3);
    let mut opt = Adam::new(&params, 1e-3);
    let mut step = |p: &mut (_, _, _, _, _, f64)| {
        let (loss, g) = workloads::mlp_loss::grad(&p.0, &p.1, &p.2, &p.3, &p.4, p.5, &x, y);
        opt.step(p, &(g.w1, g.b1, g.w2, g.b2, g.w3, g.b3));
        loss
    };
    let first = step(&mut params);
    let before = counts();
    let mut last = first;
    for _ in 0..100 {
        last = std::hint::black_box(step(&mut params));
    }
    assert_eq!(counts(), before, "a training step allocated");
    assert!(last < first, "training lowers the loss: {first} -> {last}");
}

/// Arrays, array literals and entry assignments in a constant-bound loop: the
/// gradient allocates nothing either.
#[test]
fn array_gradients_allocate_nothing() {
    #[differentiable]
    fn chain_energy(links: [Vector3<f64>; 4], k: f64) -> f64 {
        let mut ends = [Vector3::zeros(); 4];
        let mut at = Vector3::zeros();
        for (i, link) in links.iter().enumerate() {
            at += link;
            ends[i] = at;
        }
        let heights = [ends[0][2], ends[1][2], ends[2][2], ends[3][2]];
        let mut e = 0.0;
        for h in heights {
            e += k * h * h;
        }
        e
    }
    let links = [Vector3::new(0.1, 0.2, 0.3); 4];
    let before = counts();
    let (e, g) = std::hint::black_box(chain_energy::grad(links, 2.0));
    assert_none_since(before, "grad");
    assert!(e > 0.0 && g.k > 0.0);
}

/// An inclusive range to a const generic keeps its `N + 1` steps on the stack.
#[differentiable]
fn inclusive_powers<const N: usize>(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..=N {
        s += x.powi(i as i32);
    }
    s
}

#[test]
fn an_inclusive_const_generic_loop_allocates_nothing() {
    let before = counts();
    let (v, g) = std::hint::black_box(inclusive_powers::grad::<3>(2.0));
    assert_none_since(before, "grad");
    // 1 + x + x^2 + x^3 and its derivative 1 + 2x + 3x^2 at 2.
    assert_eq!((v, g.x), (15.0, 17.0));
}
