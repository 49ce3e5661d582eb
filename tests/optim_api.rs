//! Optimizers beyond the recorded trajectories: parameter groups, state saved and
//! restored, `maximize`, the weight-decay variants, gradient clipping, f32
//! parameters and the `dyn Optimizer` interface.

use autograd::optim::{
    clip_grad_norm_, clip_grad_norm_with, clip_grad_value_, Adadelta, Adagrad, Adam, AdamW, Adamax,
    Asgd, Lbfgs, NAdam, Optimizer, ParamGroup, RAdam, RmsProp, Rprop, Sgd, StateDict,
};
use autograd::{DType, Tensor};

/// A small non-quadratic objective of two parameter tensors.
fn objective(p: &[Tensor]) -> Tensor {
    let (a, b) = (&p[0], &p[1]);
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]);
    let c = &p[2];
    ((a * &x).tanh().sum() - b.sum()).pow(2.0)
        + (a * a).sum() * 0.1
        + b.sin().sum()
        + (c * a.sum()).sin()
        + c * c * 0.3
}

/// An optimizer over the given parameters.
type Make = Box<dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>>;
/// An optimizer over the given parameters, maximizing or not.
type MakeMaximizing = Box<dyn Fn(Vec<Tensor>, bool) -> Box<dyn Optimizer>>;

fn start() -> Vec<Tensor> {
    vec![
        Tensor::from_vec(vec![0.3f64, -0.7, 1.1], &[3]).requires_grad_(true),
        Tensor::from_vec(vec![0.2f64, 0.4], &[2]).requires_grad_(true),
        Tensor::scalar(0.7f64).requires_grad_(true),
    ]
}

fn values(p: &[Tensor]) -> Vec<Vec<f64>> {
    p.iter().map(|t| t.to_vec::<f64>()).collect()
}

/// Runs `steps` steps of `opt` on `f` and returns the parameters after each.
fn run(
    opt: &mut dyn Optimizer,
    params: &[Tensor],
    f: &dyn Fn(&[Tensor]) -> Tensor,
    steps: usize,
) -> Vec<Vec<Vec<f64>>> {
    (0..steps)
        .map(|_| {
            let mut closure = || {
                for p in params {
                    p.zero_grad();
                }
                let l = f(params);
                l.backward().unwrap();
                l
            };
            opt.step_closure(&mut closure);
            values(params)
        })
        .collect()
}

/// Every optimizer with non-default options, named, over `params`.
fn all(params: &[Tensor]) -> Vec<(&'static str, Box<dyn Optimizer>)> {
    let p = || params.to_vec();
    vec![
        (
            "Sgd",
            Box::new(
                Sgd::new(p(), 0.05)
                    .momentum(0.9)
                    .nesterov(true)
                    .weight_decay(0.01),
            ),
        ),
        (
            "Sgd dampening",
            Box::new(Sgd::new(p(), 0.05).momentum(0.5).dampening(0.3)),
        ),
        (
            "Adam",
            Box::new(Adam::new(p(), 0.05).amsgrad(true).weight_decay(0.1)),
        ),
        ("AdamW", Box::new(AdamW::new(p(), 0.05).betas(0.8, 0.99))),
        (
            "RmsProp",
            Box::new(
                RmsProp::new(p(), 0.01)
                    .centered(true)
                    .momentum(0.5)
                    .weight_decay(0.1),
            ),
        ),
        (
            "Adagrad",
            Box::new(
                Adagrad::new(p(), 0.1)
                    .lr_decay(0.01)
                    .initial_accumulator_value(0.1),
            ),
        ),
        (
            "Adadelta",
            Box::new(Adadelta::new(p(), 1.0).rho(0.8).weight_decay(0.1)),
        ),
        ("Adamax", Box::new(Adamax::new(p(), 0.05).weight_decay(0.1))),
        ("Asgd", Box::new(Asgd::new(p(), 0.05).t0(3.0).lambd(1e-3))),
        (
            "Rprop",
            Box::new(Rprop::new(p(), 0.05).etas(0.4, 1.5).step_sizes(1e-3, 0.2)),
        ),
        (
            "NAdam",
            Box::new(
                NAdam::new(p(), 0.05)
                    .weight_decay(0.1)
                    .decoupled_weight_decay(true),
            ),
        ),
        ("RAdam", Box::new(RAdam::new(p(), 0.05).weight_decay(0.1))),
        (
            "Lbfgs",
            Box::new(Lbfgs::new(p(), 0.5).max_iter(4).history_size(3)),
        ),
        (
            "Lbfgs strong_wolfe",
            Box::new(
                Lbfgs::new(p(), 1.0)
                    .max_iter(4)
                    .line_search_fn(Some("strong_wolfe")),
            ),
        ),
    ]
}

#[test]
fn a_restored_state_continues_the_same_trajectory() {
    for i in 0..all(&start()).len() {
        let params = start();
        let (name, mut opt) = all(&params).swap_remove(i);
        run(opt.as_mut(), &params, &objective, 2);
        let saved = opt.state_dict();
        let at_save = values(&params);
        let uninterrupted = run(opt.as_mut(), &params, &objective, 6);

        // A fresh optimizer over fresh parameters holding the saved values.
        let fresh: Vec<Tensor> = at_save
            .iter()
            .zip(&params)
            .map(|(v, p)| Tensor::from_vec(v.clone(), p.shape()).requires_grad_(true))
            .collect();
        let (_, mut resumed) = all(&fresh).swap_remove(i);
        resumed.load_state_dict(&saved).unwrap();
        assert_eq!(resumed.state_dict(), saved, "{name}: state round trip");
        let continued = run(resumed.as_mut(), &fresh, &objective, 6);
        assert_eq!(continued, uninterrupted, "{name}: resumed run differs");

        // The same through named tensors, as a checkpoint file stores them.
        let file = saved.to_tensors();
        let fresh: Vec<Tensor> = at_save
            .iter()
            .zip(&params)
            .map(|(v, p)| Tensor::from_vec(v.clone(), p.shape()).requires_grad_(true))
            .collect();
        let (_, mut reloaded) = all(&fresh).swap_remove(i);
        reloaded
            .load_state_dict(&StateDict::from_tensors(&file).unwrap())
            .unwrap();
        let continued = run(reloaded.as_mut(), &fresh, &objective, 6);
        assert_eq!(
            continued, uninterrupted,
            "{name}: run resumed from tensors differs"
        );

        // Without the state the run differs (the state matters).
        let (_, mut cold) = all(&fresh).swap_remove(i);
        for (p, v) in fresh.iter().zip(&at_save) {
            autograd::no_grad(|| p.copy_(&Tensor::from_vec(v.clone(), p.shape())));
        }
        let restarted = run(cold.as_mut(), &fresh, &objective, 6);
        assert_ne!(
            restarted, uninterrupted,
            "{name}: the state made no difference"
        );
    }
}

#[test]
fn loading_a_mismatched_state_is_an_error_and_changes_nothing() {
    let params = start();
    let mut opt = Adam::new(params.clone(), 0.1);
    run(&mut opt, &params, &objective, 2);
    let saved = opt.state_dict();

    let mut other = Adam::new(vec![params[0].clone()], 0.1);
    let err = other.load_state_dict(&saved).unwrap_err().to_string();
    assert!(err.contains("parameters"), "{err}");

    let mut wrong = saved.clone();
    wrong
        .state
        .get_mut(&1)
        .unwrap()
        .insert("exp_avg".into(), autograd::optim::StateValue::Scalar(1.0));
    let mut fresh = Adam::new(params.clone(), 0.1);
    let before = fresh.state_dict();
    let err = fresh.load_state_dict(&wrong).unwrap_err().to_string();
    assert!(err.contains("exp_avg"), "{err}");
    assert_eq!(fresh.state_dict(), before);

    let mut sgd = Sgd::new(params.clone(), 0.1).momentum(0.9);
    let err = sgd.load_state_dict(&saved).unwrap_err().to_string();
    assert!(err.contains("momentum_buffer"), "{err}");
}

#[test]
fn maximize_is_minimizing_the_negated_objective() {
    let negated = |p: &[Tensor]| -objective(p);
    let pairs: Vec<(&str, MakeMaximizing)> = vec![
        (
            "Sgd",
            Box::new(|p, m| {
                Box::new(
                    Sgd::new(p, 0.05)
                        .momentum(0.9)
                        .weight_decay(0.1)
                        .maximize(m),
                )
            }),
        ),
        (
            "Adam",
            Box::new(|p, m| Box::new(Adam::new(p, 0.05).weight_decay(0.1).maximize(m))),
        ),
        (
            "AdamW",
            Box::new(|p, m| Box::new(AdamW::new(p, 0.05).amsgrad(true).maximize(m))),
        ),
        (
            "RmsProp",
            Box::new(|p, m| Box::new(RmsProp::new(p, 0.01).centered(true).maximize(m))),
        ),
        (
            "Adagrad",
            Box::new(|p, m| Box::new(Adagrad::new(p, 0.1).maximize(m))),
        ),
        (
            "Adadelta",
            Box::new(|p, m| Box::new(Adadelta::new(p, 1.0).maximize(m))),
        ),
        (
            "Adamax",
            Box::new(|p, m| Box::new(Adamax::new(p, 0.05).maximize(m))),
        ),
        (
            "Asgd",
            Box::new(|p, m| Box::new(Asgd::new(p, 0.05).maximize(m))),
        ),
        (
            "Rprop",
            Box::new(|p, m| Box::new(Rprop::new(p, 0.05).maximize(m))),
        ),
        (
            "NAdam",
            Box::new(|p, m| Box::new(NAdam::new(p, 0.05).maximize(m))),
        ),
        (
            "RAdam",
            Box::new(|p, m| Box::new(RAdam::new(p, 0.05).maximize(m))),
        ),
    ];
    for (name, make) in pairs {
        let a = start();
        let up = run(make(a.clone(), true).as_mut(), &a, &negated, 8);
        let b = start();
        let down = run(make(b.clone(), false).as_mut(), &b, &objective, 8);
        assert_eq!(up, down, "{name}");
    }
}

#[test]
fn sgd_weight_decay_is_an_l2_penalty_on_the_gradient() {
    let lambda = 0.3;
    let a = start();
    let decayed = run(
        &mut Sgd::new(a.clone(), 0.05).momentum(0.5).weight_decay(lambda),
        &a,
        &objective,
        10,
    );
    let penalised = |p: &[Tensor]| {
        let squares = p
            .iter()
            .map(|t| (t * t).sum())
            .fold(Tensor::scalar(0.0f64), |a, b| a + b);
        objective(p) + squares * (lambda / 2.0)
    };
    let b = start();
    let explicit = run(
        &mut Sgd::new(b.clone(), 0.05).momentum(0.5),
        &b,
        &penalised,
        10,
    );
    for (x, y) in decayed
        .iter()
        .flatten()
        .flatten()
        .zip(explicit.iter().flatten().flatten())
    {
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }
}

#[test]
fn decoupled_weight_decay_shrinks_by_one_minus_lr_lambda_without_gradient() {
    // With a zero gradient Adam's step is 0/(0 + eps) = 0: only the decay acts.
    let zero = |p: &[Tensor]| {
        p.iter()
            .map(|t| (t * 0.0).sum())
            .fold(Tensor::scalar(0.0f64), |a, b| a + b)
    };
    let (lr, wd) = (0.1, 0.2);
    let makers: Vec<(&str, Make)> = vec![
        (
            "AdamW",
            Box::new(move |p| Box::new(AdamW::new(p, lr).weight_decay(wd))),
        ),
        (
            "Adam",
            Box::new(move |p| {
                Box::new(
                    Adam::new(p, lr)
                        .weight_decay(wd)
                        .decoupled_weight_decay(true),
                )
            }),
        ),
        (
            "NAdam",
            Box::new(move |p| {
                Box::new(
                    NAdam::new(p, lr)
                        .weight_decay(wd)
                        .decoupled_weight_decay(true),
                )
            }),
        ),
        (
            "RAdam",
            Box::new(move |p| {
                Box::new(
                    RAdam::new(p, lr)
                        .weight_decay(wd)
                        .decoupled_weight_decay(true),
                )
            }),
        ),
    ];
    for (name, make) in makers {
        let p = start();
        let first = values(&p);
        let traj = run(make(p.clone()).as_mut(), &p, &zero, 5);
        for (t, step) in traj.iter().enumerate() {
            let factor = (1.0 - lr * wd).powi(t as i32 + 1);
            for (got, x0) in step.iter().flatten().zip(first.iter().flatten()) {
                assert!(
                    (got - x0 * factor).abs() < 1e-14,
                    "{name} step {t}: {got} vs {}",
                    x0 * factor
                );
            }
        }
    }
    // AdamW is Adam with decoupled decay.
    let (a, b) = (start(), start());
    let adamw = run(
        &mut AdamW::new(a.clone(), 0.05).weight_decay(0.3),
        &a,
        &objective,
        8,
    );
    let adam = run(
        &mut Adam::new(b.clone(), 0.05)
            .weight_decay(0.3)
            .decoupled_weight_decay(true),
        &b,
        &objective,
        8,
    );
    assert_eq!(adamw, adam);
    // And coupled decay differs from it.
    let c = start();
    let coupled = run(
        &mut Adam::new(c.clone(), 0.05).weight_decay(0.3),
        &c,
        &objective,
        8,
    );
    assert_ne!(coupled, adam);
}

#[test]
fn groups_have_their_own_learning_rate_and_weight_decay() {
    let p = start();
    let mut opt = Sgd::with_groups(
        vec![
            ParamGroup::new(vec![p[0].clone()]),
            ParamGroup::new(vec![p[1].clone()]).lr(0.0),
        ],
        0.1,
    );
    let b0 = values(&p);
    run(&mut opt, &p, &objective, 3);
    assert_ne!(p[0].to_vec::<f64>(), b0[0]);
    assert_eq!(p[1].to_vec::<f64>(), b0[1], "a group at lr 0 does not move");

    // Per-group weight decay: the same as separate optimizers (the scalar parameter
    // is in no group and stays put).
    let (a, b) = (start(), start());
    let mut grouped = Adam::with_groups(
        vec![
            ParamGroup::new(vec![a[0].clone()]).weight_decay(0.5),
            ParamGroup::new(vec![a[1].clone()]).lr(0.01),
        ],
        0.05,
    )
    .weight_decay(0.1);
    let mut first = Adam::new(vec![b[0].clone()], 0.05).weight_decay(0.5);
    let mut second = Adam::new(vec![b[1].clone()], 0.01).weight_decay(0.1);
    for _ in 0..5 {
        for t in a.iter().chain(&b) {
            t.zero_grad();
        }
        objective(&a).backward().unwrap();
        objective(&b).backward().unwrap();
        grouped.step();
        first.step();
        second.step();
    }
    assert_eq!(values(&a), values(&b));
    assert_eq!(grouped.state_dict().param_groups[0].weight_decay, 0.5);
    assert_eq!(grouped.state_dict().param_groups[1].weight_decay, 0.1);

    // A group added later takes the optimizer's learning rate.
    let extra = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
    grouped.add_param_group(ParamGroup::new(vec![extra.clone()]));
    assert_eq!(grouped.group_lr(2), 0.05);
    (&extra * &extra).sum().backward().unwrap();
    grouped.step();
    // Adam's first step is lr · g / (|g| + eps), g = 2 + 0.1 (weight decay).
    assert!(
        (extra.item() - (1.0 - 0.05 * 2.1 / (2.1 + 1e-8))).abs() < 1e-15,
        "{}",
        extra.item()
    );
}

#[test]
fn parameters_without_gradient_are_left_alone() {
    let p = start();
    let mut opt = Adam::new(p.clone(), 0.1);
    (&p[0] * &p[0]).sum().backward().unwrap();
    let before = p[1].to_vec::<f64>();
    opt.step();
    assert_eq!(p[1].to_vec::<f64>(), before);
    let sd = opt.state_dict();
    assert!(sd.state.contains_key(&0) && !sd.state.contains_key(&1));
    // zero_grad clears the gradients (set_to_none).
    opt.zero_grad();
    assert!(p[0].grad().is_none());
}

#[test]
fn updates_are_not_recorded_and_keep_dtype_and_identity() {
    let w = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).requires_grad_(true);
    let mut opt = Adam::new(vec![w.clone()], 0.1);
    for _ in 0..200 {
        opt.zero_grad();
        (&w * &w).sum().backward().unwrap();
        opt.step();
    }
    assert_eq!(w.dtype(), DType::F32);
    assert!(w.is_leaf() && w.requires_grad());
    assert!(
        w.to_vec::<f32>().iter().all(|v| v.abs() < 0.05),
        "{:?}",
        w.to_vec::<f32>()
    );
    // The optimizer's state is kept at f32 precision too.
    let sd = opt.state_dict();
    if let autograd::optim::StateValue::Tensor { data, .. } = &sd.state[&0]["exp_avg"] {
        assert!(data.iter().all(|&v| v == v as f32 as f64));
    } else {
        panic!("exp_avg is a tensor");
    }
}

#[test]
fn lbfgs_with_strong_wolfe_solves_rosenbrock() {
    let x = Tensor::from_vec(vec![-1.5f64, 2.0], &[2]).requires_grad_(true);
    let mut opt = Lbfgs::new(vec![x.clone()], 1.0)
        .max_iter(50)
        .line_search_fn(Some("strong_wolfe"));
    let rosen = |x: &Tensor| {
        let (x0, x1) = (x.narrow(0, 0, 1), x.narrow(0, 1, 1));
        ((1.0 - &x0).pow(2.0) + (&x1 - x0.pow(2.0)).pow(2.0) * 100.0).sum()
    };
    let mut first = None;
    for _ in 0..5 {
        let l = opt.step_with(|| {
            x.zero_grad();
            let l = rosen(&x);
            l.backward().unwrap();
            l
        });
        first.get_or_insert(l.item());
    }
    assert_eq!(first, Some(12.5));
    let v = x.to_vec::<f64>();
    assert!(
        (v[0] - 1.0).abs() < 1e-4 && (v[1] - 1.0).abs() < 1e-4,
        "{v:?}"
    );
}

#[test]
#[should_panic(expected = "closure")]
fn lbfgs_step_without_closure_panics() {
    Lbfgs::new(start(), 1.0).step();
}

#[test]
#[should_panic(expected = "strong_wolfe")]
fn lbfgs_rejects_unknown_line_searches() {
    let _ = Lbfgs::new(start(), 1.0).line_search_fn(Some("backtracking"));
}

#[test]
fn clip_grad_norm_scales_to_max_norm_and_returns_the_total() {
    let p = start();
    p[0].set_grad(Some(Tensor::from_vec(vec![3.0f64, 0.0, 4.0], &[3])));
    p[1].set_grad(Some(Tensor::from_vec(vec![0.0f64, 12.0], &[2])));
    let total = clip_grad_norm_(&p, 6.5);
    assert_eq!(total, 13.0);
    let coef = 6.5 / (13.0 + 1e-6);
    assert_eq!(
        p[0].grad().unwrap().to_vec::<f64>(),
        vec![3.0 * coef, 0.0, 4.0 * coef]
    );
    assert_eq!(p[1].grad().unwrap().to_vec::<f64>(), vec![0.0, 12.0 * coef]);

    // Below the limit nothing changes.
    let total = clip_grad_norm_(&p, 100.0);
    assert!((total - 6.5).abs() < 1e-6);
    assert_eq!(p[1].grad().unwrap().to_vec::<f64>(), vec![0.0, 12.0 * coef]);

    // Infinity norm: the largest magnitude.
    p[1].set_grad(Some(Tensor::from_vec(vec![-20.0f64, 1.0], &[2])));
    let total = clip_grad_norm_with(&p, 2.0, f64::INFINITY);
    assert_eq!(total, 20.0);
    let g = p[1].grad().unwrap().to_vec::<f64>();
    assert!((g[0] + 2.0).abs() < 1e-6, "{g:?}");

    // No gradients at all.
    assert_eq!(clip_grad_norm_(&start(), 1.0), 0.0);
}

#[test]
fn clipped_gradients_feed_the_next_step() {
    let w = Tensor::from_vec(vec![10.0f64], &[1]).requires_grad_(true);
    let mut opt = Sgd::new(vec![w.clone()], 1.0);
    (&w * &w).sum().backward().unwrap(); // gradient 20
    clip_grad_value_(std::slice::from_ref(&w), 0.5);
    opt.step();
    assert_eq!(w.item(), 9.5);
}

#[test]
fn clip_grad_value_clamps_each_element() {
    let p = start();
    p[0].set_grad(Some(Tensor::from_vec(vec![3.0f64, -0.2, -4.0], &[3])));
    clip_grad_value_(&p, 1.0);
    assert_eq!(p[0].grad().unwrap().to_vec::<f64>(), vec![1.0, -0.2, -1.0]);
    assert!(p[1].grad().is_none());
}

#[test]
fn first_steps_follow_the_published_rules() {
    // One step from a gradient g = 2 w at w = 1 (g = 2), PyTorch's defaults.
    let one = |opt: &mut dyn Optimizer, w: &Tensor| {
        (w * w).sum().backward().unwrap();
        opt.step();
        w.item()
    };
    let w = || Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
    let t = w();
    // Adam: m̂ = g, v̂ = g², step lr · g / (|g| + eps).
    assert!(
        (one(&mut Adam::new(vec![t.clone()], 0.1), &t) - (1.0 - 0.1 * 2.0 / (2.0 + 1e-8))).abs()
            < 1e-15
    );
    let t = w();
    // Rprop: the first step is lr · sign(g).
    assert_eq!(one(&mut Rprop::new(vec![t.clone()], 0.1), &t), 0.9);
    let t = w();
    // Adagrad: lr · g / (√g² + eps).
    assert!(
        (one(&mut Adagrad::new(vec![t.clone()], 0.1), &t) - (1.0 - 0.1 * 2.0 / (2.0 + 1e-10)))
            .abs()
            < 1e-15
    );
    let t = w();
    // RMSprop: lr · g / (√((1 − α) g²) + eps).
    let want = 1.0 - 0.01 * 2.0 / ((0.01f64 * 4.0).sqrt() + 1e-8);
    assert!((one(&mut RmsProp::new(vec![t.clone()], 0.01), &t) - want).abs() < 1e-15);
    let t = w();
    // Adamax: u = |g| + eps, step lr · g / u (bias-corrected m = g).
    assert!(
        (one(&mut Adamax::new(vec![t.clone()], 0.1), &t) - (1.0 - 0.1 * 2.0 / (2.0 + 1e-8))).abs()
            < 1e-15
    );
    let t = w();
    // RAdam: the first steps are un-adapted momentum SGD: lr · m̂ = lr · g.
    assert!((one(&mut RAdam::new(vec![t.clone()], 0.1), &t) - 0.8).abs() < 1e-15);
}

#[test]
fn malformed_tensor_names_are_reported() {
    let err = StateDict::from_tensors(&[("state.x.exp_avg".into(), Tensor::scalar(1.0f64))])
        .unwrap_err()
        .to_string();
    assert!(err.contains("state.x.exp_avg"), "{err}");
    let err = StateDict::from_tensors(&[("param_groups.0.lr".into(), Tensor::scalar(1.0f64))])
        .unwrap_err()
        .to_string();
    assert!(err.contains("params"), "{err}");
}

/// `step` writes into the parameter's storage as PyTorch's `param.add_`: the
/// version moves, `detach()`ed twins see the new values, and a gradient that
/// shares the parameter's storage is read before it is overwritten.
#[test]
fn step_updates_the_parameter_in_place() {
    for dtype in [DType::F32, DType::F64] {
        let w = Tensor::from_vec(vec![1.0f64, -2.0, 0.5], &[3])
            .to_dtype(dtype)
            .requires_grad_(true);
        let twin = w.detach();
        let mut opt = Sgd::new(vec![w.clone()], 0.5).momentum(0.9);
        (&w * &w).sum().backward().unwrap();
        let v = w.version();
        opt.step();
        assert_eq!(w.version(), v + 1);
        assert_eq!(twin.to_vec::<f64>(), vec![0.0, 0.0, 0.0]);
        // The gradient is the parameter's own storage: g = w, so w <- w - 0.5 w.
        let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2])
            .to_dtype(dtype)
            .requires_grad_(true);
        w.set_grad(Some(w.detach()));
        Sgd::new(vec![w.clone()], 0.5).step();
        assert_eq!(w.to_vec::<f64>(), vec![0.5, -1.0]);
    }
}
