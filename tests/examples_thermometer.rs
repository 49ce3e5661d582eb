//! The numbers `examples/thermometer.rs` prints, checked against the book's
//! ("Deep Learning with PyTorch", chapter 5).

#[allow(dead_code)]
#[path = "../examples/thermometer.rs"]
mod example;

use example::*;
use indicatif::ProgressBar;

fn near(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{got} vs {want}");
}

#[test]
fn one_manual_step() {
    let f = manual_loop(1, 1e-5, (1.0, 0.0), &t_u(), &[]);
    near(f.loss, 1763.8846, 1e-3);
    near(f.w, 0.95483, 5e-6);
    near(f.b, -0.000826, 5e-7);
}

#[test]
fn five_thousand_epochs_by_hand_with_autograd_sgd_and_static() {
    let t_un = t_u() * 0.1;
    for f in [
        manual_loop(5000, 1e-2, (1.0, 0.0), &t_un, &[]),
        autograd_loop(5000, 1e-2, &t_un),
        optim_loop(5000, Opt::Sgd, 1e-2, &t_un, &ProgressBar::hidden()),
        static_loop(5000, 1e-2, 0.1),
    ] {
        near(f.loss, 2.927648, 2e-6);
        near(f.w, 5.3671, 1e-4);
        near(f.b, -17.3012, 1e-4);
    }
}

#[test]
fn adam_on_raw_input() {
    let f = optim_loop(2000, Opt::Adam, 1e-1, &t_u(), &ProgressBar::hidden());
    near(f.loss, 2.927646, 5e-6);
    near(f.w, 0.5367, 1e-4);
    near(f.b, -17.3021, 1e-4);
}

#[test]
fn split_validation_under_no_grad_and_png() {
    let (fit, curves) = split_loop(3000, 1e-2, 0, &ProgressBar::hidden());
    assert_eq!(curves.val_indices.len(), 2);
    assert_eq!((curves.train.len(), curves.val.len()), (3000, 3000));
    // Training converges; the fit stays near the full-data one.
    assert!(curves.train[2999] < curves.train[0] / 20.0);
    assert!(
        curves.train[2999] < 4.0 && curves.val[2999] < 10.0,
        "{fit:?}"
    );
    near(fit.w, 5.37, 0.5);
    near(fit.b, -17.3, 2.0);
    let png = std::env::temp_dir().join(format!("thermometer-{}.png", std::process::id()));
    plot(&curves, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    std::fs::remove_file(png).ok();
}
