//! Models as plain structs in the static engine: `#[derive(Tangent)]` parameters,
//! `#[differentiable]` losses reading their fields, and the static optimizers
//! replaying PyTorch's own trajectories on every problem of
//! `tests/data/optim_trajectories.json` that fits static shapes (SGD, SGD with
//! momentum, Adam), to 1e-9 relative.

#[path = "common/trajectories.rs"]
mod trajectories;

use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;
use autograd::static_optim::{Adam, Sgd};
use trajectories::{cases, close, Case};

#[path = "../examples/data/thermometer.rs"]
mod thermometer;

#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
struct Line {
    w: f64,
    b: f64,
}

#[differentiable]
fn thermo(
    p: &Line,
    #[constant] t_un: &SVector<f64, 11>,
    #[constant] t_c: &SVector<f64, 11>,
) -> f64 {
    let t_p = t_un * p.w + SVector::repeat(p.b);
    (t_p - t_c).map(|d| d * d).mean()
}

#[differentiable]
fn rosenbrock(x: &SVector<f64, 2>) -> f64 {
    (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0].powi(2)).powi(2)
}

/// The reference's 2-3-1 tanh network.
#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
struct Net {
    w1: SMatrix<f64, 3, 2>,
    b1: SVector<f64, 3>,
    w2: SMatrix<f64, 1, 3>,
    b2: SVector<f64, 1>,
}

#[differentiable]
fn mlp(m: &Net, #[constant] x: &SMatrix<f64, 5, 2>, #[constant] y: &SVector<f64, 5>) -> f64 {
    let ones = SVector::<f64, 5>::repeat(1.0);
    let h = (x * m.w1.transpose() + ones * m.b1.transpose()).tanh();
    let out = h * m.w2.transpose() + ones * m.b2;
    (out - y).map(|d| d * d).mean()
}

/// Steps the parameters built from the case's start with `step` (given the loss's
/// gradient), checking every step's loss and parameters against the case.
/// `build` makes parameters from the case's row-major tensors.
fn replay<P: Params<Scalar = f64> + Copy>(
    case: &Case,
    build: &impl Fn(&[Vec<f64>]) -> P,
    loss: impl Fn(&P) -> (f64, P),
    mut step: impl FnMut(&mut P, &P),
) {
    let mut params = build(&case.start);
    for (k, (expected_loss, expected)) in case.losses.iter().zip(&case.params).enumerate() {
        let (l, g) = loss(&params);
        assert!(
            close(l, *expected_loss, 1e-9, 0.0),
            "{}: step {k}: loss {l} vs {expected_loss}",
            case.name
        );
        let before = params;
        step(&mut params, &g);
        let expected = build(expected);
        let entries = params
            .entries()
            .zip(expected.entries())
            .zip(before.entries());
        for (i, ((got, want), was)) in entries.enumerate() {
            // Relative to the value before the step too: a parameter that steps to
            // almost zero keeps the rounding of its previous magnitude.
            assert!(
                close(*got, *want, 1e-9, was.abs()),
                "{}: step {k}: entry {i}: {got} vs {want}",
                case.name
            );
        }
    }
}

fn run<P: Params<Scalar = f64> + Copy>(
    case: &Case,
    build: impl Fn(&[Vec<f64>]) -> P,
    loss: impl Fn(&P) -> (f64, P),
) {
    let lr = case.hyper["lr"].as_f64().expect("lr");
    let like = build(&case.start);
    match case.optimizer.as_str() {
        "SGD" => {
            let momentum = case
                .hyper
                .get("momentum")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            let mut opt = Sgd::new(&like, lr).momentum(momentum);
            replay(case, &build, loss, |p, g| opt.step(p, g));
        }
        "Adam" => {
            let mut opt = Adam::new(&like, lr);
            replay(case, &build, loss, |p, g| opt.step(p, g));
        }
        other => unreachable!("{other} is not replayed here"),
    }
}

#[test]
fn static_optimizers_replay_pytorch_trajectories() {
    let t_un = SVector::from(thermometer::T_U) * 0.1;
    let t_c = SVector::from(thermometer::T_C);
    let x = SMatrix::<f64, 5, 2>::from_fn(|i, j| ((i + j) as f64).sin());
    let y = SVector::<f64, 5>::from_fn(|i, _| (1.5 * i as f64).cos());
    let mut replayed = 0;
    for case in cases()
        .iter()
        .filter(|c| c.optimizer == "SGD" || c.optimizer == "Adam")
    {
        match case.problem.as_str() {
            "thermo" => run(
                case,
                |t| Line {
                    w: t[0][0],
                    b: t[1][0],
                },
                |p| thermo::grad(p, &t_un, &t_c).map_grad(|g| g.p),
            ),
            "rosenbrock" => run(
                case,
                |t| SVector::<f64, 2>::from_column_slice(&t[0]),
                |p| rosenbrock::grad(p).map_grad(|g| g.x),
            ),
            "mlp" => {
                let build = |t: &[Vec<f64>]| Net {
                    w1: SMatrix::from_row_slice(&t[0]),
                    b1: SVector::from_column_slice(&t[1]),
                    w2: SMatrix::from_row_slice(&t[2]),
                    b2: SVector::from_column_slice(&t[3]),
                };
                run(case, build, |m| mlp::grad(m, &x, &y).map_grad(|g| g.m))
            }
            other => panic!("unknown problem {other}"),
        }
        replayed += 1;
    }
    assert_eq!(
        replayed, 9,
        "SGD, SGD with momentum and Adam on three problems"
    );
}

trait MapGrad<G> {
    fn map_grad<P>(self, f: impl FnOnce(G) -> P) -> (f64, P);
}
impl<G> MapGrad<G> for (f64, G) {
    fn map_grad<P>(self, f: impl FnOnce(G) -> P) -> (f64, P) {
        (self.0, f(self.1))
    }
}

#[test]
fn a_struct_model_differentiates_field_by_field() {
    let net = Net {
        w1: SMatrix::from_fn(|i, j| 0.1 * (i as f64) - 0.2 * (j as f64) + 0.05),
        b1: SVector::from_fn(|i, _| 0.1 * i as f64),
        w2: SMatrix::from_fn(|_, j| 0.3 - 0.2 * j as f64),
        b2: SVector::repeat(0.1),
    };
    let x = SMatrix::<f64, 5, 2>::from_fn(|i, j| ((i + j) as f64).sin());
    let y = SVector::<f64, 5>::from_fn(|i, _| (1.5 * i as f64).cos());
    let (_, g) = mlp::grad(&net, &x, &y);
    let numeric = autograd::testing::numeric_gradient(
        |flat: &(
            SMatrix<f64, 3, 2>,
            SVector<f64, 3>,
            SMatrix<f64, 1, 3>,
            SVector<f64, 1>,
        )| {
            mlp(
                &Net {
                    w1: flat.0,
                    b1: flat.1,
                    w2: flat.2,
                    b2: flat.3,
                },
                &x,
                &y,
            )
        },
        &(net.w1, net.b1, net.w2, net.b2),
    );
    let analytic: Vec<f64> = g.m.entries().copied().collect();
    autograd::testing::assert_close(&analytic, &numeric, 1e-7, "struct gradient");
    // Forward mode through fields agrees with reverse mode.
    let t = mlp::Grad {
        m: Net {
            w1: SMatrix::repeat(0.5),
            b1: SVector::repeat(-1.0),
            w2: SMatrix::repeat(0.25),
            b2: SVector::repeat(2.0),
        },
    };
    let (_, jv) = mlp::jvp(&net, &x, &y, &t);
    let dot: f64 = g.m.entries().zip(t.m.entries()).map(|(a, b)| a * b).sum();
    autograd::testing::assert_close(&[jv], &[dot], 1e-12, "jvp through fields");
}
