//! `examples/pinn.rs`: the network's input derivatives taken inside the loss are
//! the real ones (finite differences in `x`), the loss's gradient with respect to
//! the weights, through the second derivative, matches finite differences
//! (`gradcheck`, `gradgradcheck`), and a smaller run than the example's still
//! solves the equation.

#[allow(dead_code)]
#[path = "../examples/pinn.rs"]
mod pinn;

use autograd::prelude::*;
use pinn::*;
use std::f64::consts::PI;

/// The generator behind `manual_seed` is global: tests that draw from it run one
/// at a time, so that a seeded run sees the same numbers every time.
fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A 1-2-2-1 network with fixed, unremarkable weights (no generator needed).
fn tiny() -> Vec<Tensor> {
    let t = |shape: &[usize], k: f64| {
        let n: usize = shape.iter().product();
        let v: Vec<f64> = (0..n).map(|i| (k + 1.3 * i as f64).sin()).collect();
        Tensor::from_vec(v, shape)
    };
    vec![
        t(&[2, 1], 0.1),
        t(&[2], 0.7),
        t(&[2, 2], 1.9),
        t(&[2], 2.3),
        t(&[1, 2], 3.1),
        t(&[1], 4.0),
    ]
}

#[test]
fn input_derivatives_are_the_real_ones() {
    let params = tiny();
    let x = Tensor::from_vec(vec![0.1, 0.35, 0.5, 0.8], &[4, 1]);
    let (u, du, d2u) = derivatives(|x| trial(&params, x), &x);
    assert!(
        du.requires_grad() && d2u.requires_grad(),
        "create_graph kept them differentiable"
    );
    let h = 1e-4;
    let at = |dx: f64| no_grad(|| trial(&params, &(&x + dx))).to_vec::<f64>();
    let (minus, mid, plus) = (at(-h), at(0.0), at(h));
    let fd1: Vec<f64> = (0..4).map(|i| (plus[i] - minus[i]) / (2.0 * h)).collect();
    let fd2: Vec<f64> = (0..4)
        .map(|i| (plus[i] - 2.0 * mid[i] + minus[i]) / (h * h))
        .collect();
    autograd::testing::assert_close(&u.to_vec::<f64>(), &mid, 1e-15, "u");
    autograd::testing::assert_close(&du.to_vec::<f64>(), &fd1, 1e-7, "u'");
    autograd::testing::assert_close(&d2u.to_vec::<f64>(), &fd2, 1e-5, "u''");
    // gradgradcheck: the second derivative in x against finite differences of the
    // first, through every op of the network.
    autograd::gradgradcheck(|xs| trial(&params, &xs[0]), &x).unwrap();
}

#[test]
fn the_weights_gradient_goes_through_the_second_derivative() {
    // d(loss)/d(weights) where the loss is built from u'' = d2(trial)/dx2: a
    // third-order mixed derivative of the network, checked against central
    // differences of the loss itself.
    let x = grid(5);
    let loss = |p: &[Tensor]| residual_loss(|x| trial(p, x), &x);
    autograd::gradcheck(loss, &tiny()).unwrap();
    // And it is not the gradient of a loss that forgot the derivatives: u''
    // really depends on the weights.
    let params: Vec<Tensor> = tiny().iter().map(|p| p.requires_grad_(true)).collect();
    let l = loss(&params);
    l.backward().unwrap();
    let g = params[4].grad().unwrap().to_vec::<f64>();
    assert!(g.iter().any(|v| v.abs() > 1e-3), "{g:?}");
}

#[test]
fn a_small_run_solves_the_equation() {
    let _rng = rng_lock();
    let cfg = Config {
        hidden: 8,
        points: 17,
        adam_steps: 300,
        lbfgs_steps: 8,
        seed: 0,
    };
    let (net, r) = train(cfg, |_, _, _| {});
    assert!(r.loss < r.adam_loss, "{r:?}");
    // Measured: loss 4.2e-6, largest residual 6.5e-3, largest error 9.0e-6.
    assert!(r.loss < 1e-4, "{r:?}");
    assert!(r.max_residual < 0.05, "{r:?}");
    assert!(r.max_error < 1e-4, "{r:?}");
    // The boundary conditions hold exactly; the middle is sin(pi / 2) = 1.
    let u = no_grad(|| net.u(&grid(3))).to_vec::<f64>();
    assert_eq!((u[0], u[2]), (0.0, 0.0));
    assert!((u[1] - (PI / 2.0).sin()).abs() < 1e-4, "{u:?}");
}
