//! Replays PyTorch's own optimizer trajectories (`tests/data/optim_trajectories.json`,
//! see `tests/data/README.md`): every optimizer on the three problems of the
//! reference README, parameters and loss compared at every step, 1e-9 relative
//! in f64 (L-BFGS 1e-7).

use autograd::optim::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, Asgd, Lbfgs, NAdam, Optimizer, RAdam, RmsProp, Rprop,
    Sgd,
};
use autograd::Tensor;

#[path = "common/trajectories.rs"]
mod trajectories;
use trajectories::{cases, close, floats, Case};

/// The loss of the reference README's problem `name` at `params`.
fn loss(problem: &str, p: &[Tensor]) -> Tensor {
    match problem {
        "thermo" => {
            let t_c = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0];
            let t_u = [
                35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4,
            ];
            let t_c = Tensor::from_vec(t_c.to_vec(), &[11]);
            let t_un = Tensor::from_vec(t_u.to_vec(), &[11]) * 0.1;
            let (w, b) = (&p[0], &p[1]);
            (w * &t_un + b - &t_c).pow(2.0).mean()
        }
        "rosenbrock" => {
            let x = &p[0];
            let (x0, x1) = (x.narrow(0, 0, 1), x.narrow(0, 1, 1));
            let a = (1.0 - &x0).pow(2.0);
            let b = (&x1 - x0.pow(2.0)).pow(2.0) * 100.0;
            (a + b).sum()
        }
        "mlp" => {
            let x: Vec<f64> = (0..5)
                .flat_map(|i| (0..2).map(move |j| ((i + j) as f64).sin()))
                .collect();
            let x = Tensor::from_vec(x, &[5, 2]);
            let y: Vec<f64> = (0..5).map(|i| (1.5 * i as f64).cos()).collect();
            let y = Tensor::from_vec(y, &[5, 1]);
            let (w1, b1, w2, b2) = (&p[0], &p[1], &p[2], &p[3]);
            let hidden = (x.matmul(&w1.t()) + b1).tanh();
            (hidden.matmul(&w2.t()) + b2 - &y).pow(2.0).mean()
        }
        other => panic!("unknown problem {other:?}"),
    }
}

/// The case's optimizer, its hyper-parameters given through the builders.
fn optimizer(case: &Case, params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let h = &case.hyper;
    let num = |k: &str| h.get(k).map(|v| v.as_f64().expect("a number"));
    let pair = |k: &str| {
        h.get(k).map(|v| {
            let v = floats(v);
            (v[0], v[1])
        })
    };
    let flag = |k: &str| h.get(k).map(|v| v.as_bool().expect("a bool"));
    let known = [
        "lr",
        "momentum",
        "dampening",
        "nesterov",
        "weight_decay",
        "betas",
        "eps",
        "amsgrad",
        "etas",
        "alpha",
        "centered",
        "max_iter",
    ];
    for k in h.keys() {
        assert!(
            known.contains(&k.as_str()),
            "{}: hyper-parameter {k} not replayed",
            case.name
        );
    }
    let lr = num("lr");
    let betas = pair("betas");
    // Applies the listed builders for the keys the case sets, then weight decay.
    macro_rules! apply {
        ($opt:expr $(, $key:literal => $method:ident($get:ident))* $(,)?) => {{
            let mut o = $opt;
            $(if let Some(v) = $get($key) { o = o.$method(v); })*
            if let Some(v) = num("weight_decay") { o = o.weight_decay(v); }
            let o: Box<dyn Optimizer> = Box::new(o);
            o
        }};
    }
    // The same, for the Adam family, with betas.
    macro_rules! apply_betas {
        ($opt:expr $(, $key:literal => $method:ident($get:ident))* $(,)?) => {{
            let mut o = $opt;
            if let Some((b1, b2)) = betas { o = o.betas(b1, b2); }
            apply!(o $(, $key => $method($get))*)
        }};
    }
    assert!(
        betas.is_none()
            || ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"].contains(&case.optimizer.as_str()),
        "{}: betas not replayed",
        case.name
    );
    match case.optimizer.as_str() {
        "SGD" => apply!(Sgd::new(params, lr.expect("SGD needs lr")),
            "momentum" => momentum(num), "dampening" => dampening(num),
            "nesterov" => nesterov(flag)),
        "Adam" => apply_betas!(Adam::new(params, lr.unwrap_or(1e-3)),
            "eps" => eps(num), "amsgrad" => amsgrad(flag)),
        "AdamW" => apply_betas!(AdamW::new(params, lr.unwrap_or(1e-3)),
            "eps" => eps(num), "amsgrad" => amsgrad(flag)),
        "RMSprop" => apply!(RmsProp::new(params, lr.unwrap_or(1e-2)),
            "alpha" => alpha(num), "eps" => eps(num), "momentum" => momentum(num),
            "centered" => centered(flag)),
        "Adagrad" => apply!(Adagrad::new(params, lr.unwrap_or(1e-2)), "eps" => eps(num)),
        "Adadelta" => apply!(Adadelta::new(params, lr.unwrap_or(1.0)), "eps" => eps(num)),
        "Adamax" => apply_betas!(Adamax::new(params, lr.unwrap_or(2e-3)), "eps" => eps(num)),
        "ASGD" => apply!(Asgd::new(params, lr.unwrap_or(1e-2)), "alpha" => alpha(num)),
        "Rprop" => {
            let mut o = Rprop::new(params, lr.unwrap_or(1e-2));
            if let Some((a, b)) = pair("etas") {
                o = o.etas(a, b);
            }
            Box::new(o)
        }
        "NAdam" => apply_betas!(NAdam::new(params, lr.unwrap_or(2e-3)), "eps" => eps(num)),
        "RAdam" => apply_betas!(RAdam::new(params, lr.unwrap_or(1e-3)), "eps" => eps(num)),
        "LBFGS" => {
            let mut o = Lbfgs::new(params, lr.unwrap_or(1.0));
            if let Some(n) = num("max_iter") {
                o = o.max_iter(n as usize);
            }
            Box::new(o)
        }
        other => panic!("unknown optimizer {other:?}"),
    }
}

/// Runs one case; the first mismatch, if any.
fn replay(case: &Case) -> Result<(), String> {
    let params: Vec<Tensor> = case
        .start
        .iter()
        .zip(&case.shapes)
        .map(|(v, s)| Tensor::from_vec(v.clone(), s).requires_grad_(true))
        .collect();
    let mut opt = optimizer(case, params.clone());
    let tol = if case.optimizer == "LBFGS" {
        1e-7
    } else {
        1e-9
    };
    for (k, (want_params, want_loss)) in case.params.iter().zip(&case.losses).enumerate() {
        let mut closure = || {
            for p in &params {
                p.zero_grad();
            }
            let l = loss(&case.problem, &params);
            l.backward().expect("backward");
            l
        };
        let got = opt.step_closure(&mut closure).item();
        if !close(got, *want_loss, tol, 0.0) {
            return Err(format!(
                "step {}: loss {got:e}, PyTorch {want_loss:e}",
                k + 1
            ));
        }
        // An update `θ + Δ` can be no more accurate than the larger of |θ| and
        // |θ + Δ| allows: an element that cancels to nearly 0 (Adagrad's first
        // step, `θ − lr · g / |g|`, on a bias of 0.05 = lr) is compared relative to
        // the value it came from.
        let before = if k == 0 {
            &case.start
        } else {
            &case.params[k - 1]
        };
        for (i, (p, want)) in params.iter().zip(want_params).enumerate() {
            let got = p.to_vec::<f64>();
            for (j, (g, w)) in got.iter().zip(want).enumerate() {
                if !close(*g, *w, tol, before[i][j].abs()) {
                    return Err(format!(
                        "step {}: parameter {i} element {j} is {g:e}, PyTorch {w:e} (relative error {:.1e})",
                        k + 1,
                        (g - w).abs() / w.abs()
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_case_matches_pytorch() {
    let cases = cases();
    assert_eq!(cases.len(), 39, "the reference holds 39 cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| replay(c).err().map(|e| format!("{}: {e}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from PyTorch:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Diagnostic: the largest relative error of every case at every step
/// (`cargo test --test optim_trajectories -- --ignored --nocapture`).
#[test]
#[ignore]
fn print_errors() {
    for case in cases() {
        let params: Vec<Tensor> = case
            .start
            .iter()
            .zip(&case.shapes)
            .map(|(v, s)| Tensor::from_vec(v.clone(), s).requires_grad_(true))
            .collect();
        let mut opt = optimizer(&case, params.clone());
        let mut errs = Vec::new();
        for (want_params, want_loss) in case.params.iter().zip(&case.losses) {
            let mut closure = || {
                for p in &params {
                    p.zero_grad();
                }
                let l = loss(&case.problem, &params);
                l.backward().expect("backward");
                l
            };
            let got = opt.step_closure(&mut closure).item();
            let mut e = ((got - want_loss) / want_loss).abs();
            for (p, want) in params.iter().zip(want_params) {
                for (g, w) in p.to_vec::<f64>().iter().zip(want) {
                    e = e.max(((g - w) / w).abs());
                }
            }
            errs.push(format!("{e:.0e}"));
            if std::env::var("OPTIM_TRACE").is_ok_and(|v| case.name.starts_with(&v)) {
                let now: Vec<Vec<f64>> = params.iter().map(|p| p.to_vec::<f64>()).collect();
                println!("{got:?} {now:?}");
            }
        }
        println!("{}: {}", case.name, errs.join(" "));
    }
}
