//! Learning-rate schedulers against PyTorch's closed forms.

use autograd::optim::{
    CosineAnnealingLR, ExponentialLR, LambdaLR, LrScheduler, MultiStepLR, Optimizer, ParamGroup,
    PlateauMode, ReduceLROnPlateau, Sgd, StepLR, ThresholdMode,
};
use autograd::Tensor;
use std::f64::consts::PI;

fn sgd(lr: f64) -> Sgd {
    Sgd::new(vec![Tensor::zeros(&[2]).requires_grad_(true)], lr)
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1e-300),
        "{what}: {got} where the closed form gives {want}"
    );
}

/// The learning rate of every epoch 0..n, stepping the scheduler after each.
fn lrs(opt: &mut Sgd, sched: &mut dyn LrScheduler, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let lr = opt.lr();
            assert_eq!(sched.get_last_lr(), &[lr]);
            sched.step(opt);
            lr
        })
        .collect()
}

#[test]
fn step_lr_is_gamma_to_the_epoch_over_step_size() {
    let mut opt = sgd(0.1);
    let mut sched = StepLR::new(&mut opt, 3, 0.5);
    for (epoch, lr) in lrs(&mut opt, &mut sched, 20).into_iter().enumerate() {
        assert_close(lr, 0.1 * 0.5f64.powi((epoch / 3) as i32), "StepLR");
    }
    assert_eq!(sched.last_epoch(), 20);
}

#[test]
fn multi_step_lr_counts_the_milestones_passed() {
    let mut opt = sgd(1.0);
    let milestones = [2, 5, 5, 9];
    let mut sched = MultiStepLR::new(&mut opt, &milestones, 0.1);
    for (epoch, lr) in lrs(&mut opt, &mut sched, 12).into_iter().enumerate() {
        let passed = milestones.iter().filter(|&&m| m <= epoch).count();
        assert_close(lr, 0.1f64.powi(passed as i32), "MultiStepLR");
    }
}

#[test]
fn exponential_lr_is_gamma_to_the_epoch() {
    let mut opt = sgd(0.3);
    let mut sched = ExponentialLR::new(&mut opt, 0.9);
    for (epoch, lr) in lrs(&mut opt, &mut sched, 30).into_iter().enumerate() {
        assert_close(lr, 0.3 * 0.9f64.powi(epoch as i32), "ExponentialLR");
    }
}

#[test]
fn cosine_annealing_follows_the_half_cosine_and_climbs_back() {
    let (base, eta_min, t_max) = (0.1, 0.001, 10);
    let mut opt = sgd(base);
    let mut sched = CosineAnnealingLR::new(&mut opt, t_max, eta_min);
    // Three half periods: down to eta_min at T_max, back up to base at 2 T_max.
    for (epoch, lr) in lrs(&mut opt, &mut sched, 3 * t_max + 1)
        .into_iter()
        .enumerate()
    {
        let want =
            eta_min + (base - eta_min) * (1.0 + (PI * epoch as f64 / t_max as f64).cos()) / 2.0;
        assert!(
            (lr - want).abs() <= 1e-12 * base,
            "CosineAnnealingLR epoch {epoch}: {lr} where the closed form gives {want}"
        );
    }
}

#[test]
fn lambda_lr_scales_the_base_rate_from_construction_on() {
    let mut opt = sgd(0.5);
    let mut sched = LambdaLR::new(&mut opt, |epoch| 1.0 / (epoch as f64 + 2.0));
    assert_close(opt.lr(), 0.25, "LambdaLR at construction");
    for (epoch, lr) in lrs(&mut opt, &mut sched, 10).into_iter().enumerate() {
        assert_close(lr, 0.5 / (epoch as f64 + 2.0), "LambdaLR");
    }
}

#[test]
fn every_group_keeps_its_own_base_rate() {
    let groups = vec![
        ParamGroup::new(vec![Tensor::zeros(&[1])]),
        ParamGroup::new(vec![Tensor::zeros(&[1])]).lr(1.0),
    ];
    let mut opt = Sgd::with_groups(groups, 0.1);
    let mut sched = StepLR::new(&mut opt, 1, 0.5);
    sched.step(&mut opt);
    sched.step(&mut opt);
    assert_close(opt.group_lr(0), 0.025, "group 0");
    assert_close(opt.group_lr(1), 0.25, "group 1");
    assert_eq!(sched.get_last_lr().len(), 2);
}

#[test]
fn schedulers_work_through_dyn_optimizer() {
    let mut opt: Box<dyn Optimizer> = Box::new(sgd(1.0));
    let mut sched = ExponentialLR::new(opt.as_mut(), 0.5);
    sched.step(opt.as_mut());
    assert_eq!(opt.lr(), 0.5);
}

#[test]
fn plateau_reduces_after_patience_bad_epochs() {
    let mut opt = sgd(1.0);
    let mut sched = ReduceLROnPlateau::new(&mut opt).patience(2);
    // Improvements, then a plateau: the third bad epoch (> patience) reduces.
    let metrics = [10.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0];
    let mut seen = Vec::new();
    for m in metrics {
        sched.step(m, &mut opt);
        seen.push(opt.lr());
    }
    let want = [1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01];
    for (got, want) in seen.iter().zip(want) {
        assert_close(*got, want, "ReduceLROnPlateau");
    }
    assert_eq!(sched.best(), 8.0);
}

#[test]
fn plateau_threshold_ignores_insignificant_improvements() {
    let mut opt = sgd(1.0);
    let mut sched = ReduceLROnPlateau::new(&mut opt)
        .patience(0)
        .threshold(0.1)
        .threshold_mode(ThresholdMode::Rel);
    sched.step(1.0, &mut opt);
    sched.step(0.95, &mut opt); // not below 1.0 * (1 - 0.1)
    assert_close(opt.lr(), 0.1, "relative threshold");

    let mut opt = sgd(1.0);
    let mut sched = ReduceLROnPlateau::new(&mut opt)
        .patience(0)
        .threshold(0.1)
        .threshold_mode(ThresholdMode::Abs);
    sched.step(1.0, &mut opt);
    sched.step(0.85, &mut opt); // below 1.0 - 0.1
    assert_close(opt.lr(), 1.0, "absolute threshold");
}

#[test]
fn plateau_max_mode_cooldown_and_min_lr() {
    let mut opt = sgd(1.0);
    let mut sched = ReduceLROnPlateau::new(&mut opt)
        .mode(PlateauMode::Max)
        .patience(0)
        .cooldown(2)
        .factor(0.5)
        .min_lr(0.3);
    let mut seen = Vec::new();
    for accuracy in [0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4] {
        sched.step(accuracy, &mut opt);
        seen.push(opt.lr());
    }
    // Reduce at epoch 2, rest two epochs, reduce at epoch 5 (clamped at min_lr),
    // then nothing: the change would be 0.
    assert_eq!(seen, vec![1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]);
    assert_eq!(sched.get_last_lr(), &[0.3]);
}
