//! The thermometer calibration of "Deep Learning with PyTorch" (Stevens, Antiga
//! and Viehmann, chapter 5), end to end on the `Tensor` tape, with the static
//! engine beside it:
//!
//! 1. the linear model `t_c = w t_u + b` and the mean squared error;
//! 2. gradient descent with the gradient written by hand (section 5.4), from
//!    `(w, b) = (1, 0)`: one step at lr 1e-5, then 5000 epochs at lr 1e-2 on the
//!    normalised input `0.1 t_u`;
//! 3. the same with autograd (`backward`, updates under `no_grad`), with
//!    `optim::Sgd`, and with `optim::Adam` at lr 0.1 on the raw input (5.5);
//! 4. a train/validation split, validation under `no_grad` (5.5.3), with a
//!    progress bar and a PNG of both loss curves in `examples/out/`;
//! 5. the same 5000 epochs with `#[differentiable]`: the gradient generated at
//!    compile time, in `f64`.
//!
//! Run with `cargo run --release --example thermometer`.

use autograd::nalgebra::SVector;
use autograd::optim::{Adam, Sgd};
use autograd::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

#[path = "data/thermometer.rs"]
mod thermometer;

/// The result of a fit: the final loss and parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Training loss after the last update.
    pub loss: f64,
    /// Slope.
    pub w: f64,
    /// Intercept.
    pub b: f64,
}

/// Temperatures in Celsius, `f32` as in the book.
pub fn t_c() -> Tensor {
    Tensor::from_vec(thermometer::T_C.map(|v| v as f32).to_vec(), &[11])
}

/// The readings in unknown units.
pub fn t_u() -> Tensor {
    Tensor::from_vec(thermometer::T_U.map(|v| v as f32).to_vec(), &[11])
}

/// `w t_u + b`.
pub fn model(t_u: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    t_u * w + b
}

/// Mean squared error.
pub fn loss_fn(t_p: &Tensor, t_c: &Tensor) -> Tensor {
    (t_p - t_c).pow(2.0).mean()
}

/// The gradient of the loss with respect to `(w, b)`, by the chain rule written
/// out (the book's `grad_fn`): `dL/dt_p = 2 (t_p - t_c) / n`, `dt_p/dw = t_u`,
/// `dt_p/db = 1`.
pub fn manual_grad(t_u: &Tensor, t_c: &Tensor, t_p: &Tensor) -> (f64, f64) {
    let dloss_dtp = (t_p - t_c) * 2.0 / t_p.shape()[0] as f64;
    ((&dloss_dtp * t_u).sum().item(), dloss_dtp.sum().item())
}

fn scalar(v: f64) -> Tensor {
    Tensor::scalar(v as f32)
}

/// Gradient descent with [`manual_grad`], from `(w, b)`; prints the loss at the
/// epochs in `report`.
pub fn manual_loop(
    n_epochs: usize,
    lr: f64,
    (w, b): (f64, f64),
    t_u: &Tensor,
    report: &[usize],
) -> Fit {
    let t_c = t_c();
    let (mut w, mut b) = (scalar(w), scalar(b));
    let mut loss = f64::NAN;
    for epoch in 1..=n_epochs {
        let t_p = model(t_u, &w, &b);
        loss = loss_fn(&t_p, &t_c).item();
        let (gw, gb) = manual_grad(t_u, &t_c, &t_p);
        w = &w - lr * gw;
        b = &b - lr * gb;
        if report.contains(&epoch) {
            println!(
                "  epoch {epoch:>5}  loss {loss:>12.6}  w {:>9.4}  b {:>9.4}",
                w.item(),
                b.item()
            );
        }
    }
    Fit {
        loss,
        w: w.item(),
        b: b.item(),
    }
}

/// Gradient descent with autograd: `backward`, the update under `no_grad`, the
/// gradients zeroed by hand (section 5.5.1).
pub fn autograd_loop(n_epochs: usize, lr: f64, t_u: &Tensor) -> Fit {
    let t_c = t_c();
    let w = scalar(1.0).requires_grad_(true);
    let b = scalar(0.0).requires_grad_(true);
    let mut loss = f64::NAN;
    for _ in 0..n_epochs {
        w.zero_grad();
        b.zero_grad();
        let l = loss_fn(&model(t_u, &w, &b), &t_c);
        l.backward().expect("the loss is a scalar");
        loss = l.item();
        no_grad(|| {
            w.sub_(&(w.grad().unwrap() * lr));
            b.sub_(&(b.grad().unwrap() * lr));
        });
    }
    Fit {
        loss,
        w: w.item(),
        b: b.item(),
    }
}

/// Which optimizer [`optim_loop`] uses.
#[derive(Clone, Copy, Debug)]
pub enum Opt {
    /// `optim::Sgd`.
    Sgd,
    /// `optim::Adam`.
    Adam,
}

/// The loop of section 5.5.2: `zero_grad`, forward, `backward`, `step`, with a
/// progress bar.
pub fn optim_loop(n_epochs: usize, opt: Opt, lr: f64, t_u: &Tensor, bar: &ProgressBar) -> Fit {
    let t_c = t_c();
    let params = vec![
        scalar(1.0).requires_grad_(true),
        scalar(0.0).requires_grad_(true),
    ];
    let mut optimizer: Box<dyn optim::Optimizer> = match opt {
        Opt::Sgd => Box::new(Sgd::new(params.clone(), lr)),
        Opt::Adam => Box::new(Adam::new(params.clone(), lr)),
    };
    bar.set_length(n_epochs as u64);
    bar.set_position(0);
    bar.set_message(format!("{opt:?}"));
    let mut loss = f64::NAN;
    for epoch in 1..=n_epochs {
        let l = loss_fn(&model(t_u, &params[0], &params[1]), &t_c);
        optimizer.zero_grad();
        l.backward().expect("the loss is a scalar");
        optimizer.step();
        loss = l.item();
        if epoch % 100 == 0 {
            bar.set_message(format!("{opt:?} loss {loss:.4}"));
        }
        bar.inc(1);
    }
    Fit {
        loss,
        w: params[0].item(),
        b: params[1].item(),
    }
}

/// Training and validation losses per epoch of [`split_loop`].
pub struct Curves {
    /// Training loss before each update.
    pub train: Vec<f64>,
    /// Validation loss at the same parameters, computed under `no_grad`.
    pub val: Vec<f64>,
    /// The samples held out.
    pub val_indices: Vec<usize>,
}

/// Section 5.5.3: 20% of the samples held out (chosen by `randperm` after
/// `manual_seed(seed)`), SGD on the rest, the validation loss computed under
/// `no_grad`, so it builds no graph.
pub fn split_loop(n_epochs: usize, lr: f64, seed: u64, bar: &ProgressBar) -> (Fit, Curves) {
    autograd::manual_seed(seed);
    let n = 11;
    let n_val = (0.2 * n as f64) as usize;
    let perm = autograd::data::randperm(n);
    let (val_idx, train_idx) = perm.split_at(n_val);
    let (t_u, t_c) = (t_u() * 0.1, t_c());
    let (tu_train, tc_train) = (
        t_u.index_select(0, train_idx),
        t_c.index_select(0, train_idx),
    );
    let (tu_val, tc_val) = (t_u.index_select(0, val_idx), t_c.index_select(0, val_idx));
    let params = vec![
        scalar(1.0).requires_grad_(true),
        scalar(0.0).requires_grad_(true),
    ];
    let mut opt = Sgd::new(params.clone(), lr);
    let mut curves = Curves {
        train: Vec::with_capacity(n_epochs),
        val: Vec::with_capacity(n_epochs),
        val_indices: val_idx.to_vec(),
    };
    bar.set_length(n_epochs as u64);
    bar.set_position(0);
    bar.set_message("train/validation");
    for _ in 0..n_epochs {
        let train_loss = loss_fn(&model(&tu_train, &params[0], &params[1]), &tc_train);
        let val_loss = no_grad(|| loss_fn(&model(&tu_val, &params[0], &params[1]), &tc_val));
        assert!(!val_loss.requires_grad());
        opt.zero_grad();
        train_loss.backward().expect("the loss is a scalar");
        opt.step();
        curves.train.push(train_loss.item());
        curves.val.push(val_loss.item());
        bar.inc(1);
    }
    let fit = Fit {
        loss: *curves.train.last().unwrap_or(&f64::NAN),
        w: params[0].item(),
        b: params[1].item(),
    };
    (fit, curves)
}

/// `mean((w t_u + b - t_c)^2)`, differentiated at compile time.
#[differentiable]
fn loss(
    w: f64,
    b: f64,
    #[constant] t_u: &SVector<f64, 11>,
    #[constant] t_c: &SVector<f64, 11>,
) -> f64 {
    let t_p = t_u * w + SVector::repeat(b);
    (t_p - t_c).map(|d| d * d).mean()
}

/// Gradient descent with the generated `loss::grad`, in `f64`, from `(1, 0)`.
pub fn static_loop(n_epochs: usize, lr: f64, scale: f64) -> Fit {
    let t_u = SVector::<f64, 11>::from(thermometer::T_U) * scale;
    let t_c = SVector::<f64, 11>::from(thermometer::T_C);
    let (mut w, mut b) = (1.0, 0.0);
    let mut value = f64::NAN;
    for _ in 0..n_epochs {
        let (v, g) = loss::grad(w, b, &t_u, &t_c);
        value = v;
        w -= lr * g.w;
        b -= lr * g.b;
    }
    Fit { loss: value, w, b }
}

/// Draws the training and validation losses (log scale) to a PNG.
pub fn plot(curves: &Curves, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let log = |v: &f64| v.max(1e-12).log10();
    let all = curves.train.iter().chain(&curves.val).map(log);
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let mut chart = ChartBuilder::on(&root)
        .margin(20)
        .build_cartesian_2d(0..curves.train.len(), lo - 0.1..hi + 0.1)?;
    chart.configure_mesh().draw()?;
    let series = |v: &[f64]| v.iter().map(log).enumerate().collect::<Vec<_>>();
    chart.draw_series(LineSeries::new(series(&curves.train), BLUE.stroke_width(2)))?;
    chart.draw_series(LineSeries::new(series(&curves.val), RED.stroke_width(2)))?;
    root.present()?;
    Ok(())
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template("{bar:40} {pos:>5}/{len:5} {msg}")
        .expect("the template is valid");
    bar.set_style(style);
    bar
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = [1, 2, 3, 10, 100, 500, 1000, 2000, 3000, 4000, 5000];
    let t_u = t_u();
    let t_un = &t_u * 0.1;

    println!("== one step by hand, lr 1e-5, from (w, b) = (1, 0)");
    let one = manual_loop(1, 1e-5, (1.0, 0.0), &t_u, &[1]);
    println!("  w {:.5}  b {:.6}", one.w, one.b);

    println!("== 5000 epochs by hand, lr 1e-2, input 0.1 t_u");
    let manual = manual_loop(5000, 1e-2, (1.0, 0.0), &t_un, &report);
    println!(
        "  loss {:.6}  w {:.4}  b {:.4}",
        manual.loss, manual.w, manual.b
    );

    println!("== the same with autograd");
    let auto = autograd_loop(5000, 1e-2, &t_un);
    println!("  loss {:.6}  w {:.4}  b {:.4}", auto.loss, auto.w, auto.b);

    let pb = bar();
    let sgd = optim_loop(5000, Opt::Sgd, 1e-2, &t_un, &pb);
    let adam = optim_loop(2000, Opt::Adam, 1e-1, &t_u, &pb);
    pb.finish_and_clear();
    println!("== optim::Sgd, 5000 epochs, lr 1e-2, input 0.1 t_u");
    println!("  loss {:.6}  w {:.4}  b {:.4}", sgd.loss, sgd.w, sgd.b);
    println!("== optim::Adam, 2000 epochs, lr 1e-1, raw t_u");
    println!("  loss {:.6}  w {:.4}  b {:.4}", adam.loss, adam.w, adam.b);

    let pb = bar();
    let (split, curves) = split_loop(3000, 1e-2, 0, &pb);
    pb.finish_and_clear();
    println!(
        "== train/validation split (validation samples {:?}), 3000 epochs of Sgd, lr 1e-2",
        curves.val_indices
    );
    for epoch in [1, 2, 3, 500, 1000, 2000, 3000] {
        println!(
            "  epoch {epoch:>5}  training loss {:>9.4}  validation loss {:>9.4}",
            curves.train[epoch - 1],
            curves.val[epoch - 1]
        );
    }
    println!("  w {:.4}  b {:.4}", split.w, split.b);

    println!("== the static engine: #[differentiable] loss, 5000 epochs, lr 1e-2, f64");
    let st = static_loop(5000, 1e-2, 0.1);
    println!("  loss {:.6}  w {:.4}  b {:.4}", st.loss, st.w, st.b);

    let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/out/thermometer_loss.png");
    plot(&curves, &png)?;
    println!(
        "loss curves (blue: training, red: validation, log scale): {}",
        png.display()
    );
    Ok(())
}
