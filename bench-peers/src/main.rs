//! W1-W5 timed with autograd and with peer libraries. See README.md.
//!
//! ```text
//! bench-peers [--threads N] [--budget SECONDS] [--only SUBSTRING]... [--out FILE.tsv]
//! bench-peers --export data/reference.json   # inputs and our gradients for pytorch_bench.py
//! ```

#[path = "../../benches/workloads/mod.rs"]
mod workloads;

mod burn_impl;
mod candle_impl;
mod data;
#[cfg(feature = "dfdx")]
mod dfdx_impl;
mod dual;
mod export;
mod hand_impl;
mod harness;
mod ours;

use data::LossGrad;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// One library's implementation of one workload.
pub struct Case {
    pub workload: &'static str,
    pub lib: &'static str,
    pub variant: &'static str,
    /// Computes the loss and gradient at the workload's starting point (fresh state).
    pub check: Box<dyn FnMut() -> LossGrad>,
    /// What is timed: W1-W3 a loss and its gradient; W4-W5 one training step
    /// (zero grad, forward, backward, SGD update).
    pub run: Box<dyn FnMut()>,
}

impl Case {
    pub fn new(
        workload: &'static str,
        lib: &'static str,
        variant: &'static str,
        check: Box<dyn FnMut() -> LossGrad>,
        run: Box<dyn FnMut()>,
    ) -> Case {
        Case { workload, lib, variant, check, run }
    }
    fn name(&self) -> String {
        format!("{}/{}/{}", self.workload, self.lib, self.variant)
    }
}

/// The gradient every library is compared with: our static engine on W1-W3
/// (f64), our tape on W4-W5 (f32).
pub fn reference(workload: &str) -> LossGrad {
    match workload {
        "W1" => ours::w1_static(),
        "W2" => ours::w2_static(),
        "W3" => ours::w3_static(),
        "W4" => ours::w4_tape(),
        "W5" => ours::w5_tape(),
        _ => unreachable!(),
    }
}

/// Relative tolerance of the gradient check: f64 on W1-W3, f32 on W4-W5.
pub fn tolerance(workload: &str) -> f64 {
    match workload {
        "W4" | "W5" => 1e-3,
        _ => 1e-9,
    }
}

struct Args {
    threads: usize,
    budget: f64,
    only: Vec<String>,
    out: Option<String>,
    export: Option<String>,
}

fn args() -> Args {
    let mut a = Args { threads: 1, budget: 1.0, only: vec![], out: None, export: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--threads" => a.threads = value().parse().expect("--threads N"),
            "--budget" => a.budget = value().parse().expect("--budget SECONDS"),
            "--only" => a.only.push(value()),
            "--out" => a.out = Some(value()),
            "--export" => a.export = Some(value()),
            _ => panic!("unknown argument {flag}; see src/main.rs"),
        }
    }
    a
}

fn main() {
    let a = args();
    // Every peer's thread pool reads these on first use: rayon (candle, burn's
    // ndarray backend, dfdx) and matrixmultiply (ndarray's GEMM).
    std::env::set_var("RAYON_NUM_THREADS", a.threads.to_string());
    std::env::set_var("MATMUL_NUM_THREADS", a.threads.to_string());
    autograd::set_num_threads(a.threads);
    // num-dual's W3 keeps 369-wide dual numbers on the stack.
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || run(a))
        .unwrap()
        .join()
        .unwrap();
}

fn run(a: Args) {
    if let Some(path) = a.export {
        export::write(&path).expect("writing the export file");
        println!("wrote {path}");
        return;
    }
    let mut cases = Vec::new();
    let selected = |c: &Case| a.only.is_empty() || a.only.iter().any(|s| c.name().contains(s.as_str()));
    let mut add = |mut v: Vec<Case>| cases.extend(v.drain(..).filter(|c| selected(c)));
    add({
        let mut v = vec![];
        ours::cases(&mut v);
        v
    });
    add(hand_impl::cases());
    add(dual::cases());
    add(candle_impl::cases());
    add(burn_impl::cases());
    #[cfg(feature = "dfdx")]
    add(dfdx_impl::cases());

    let mut out = a.out.as_ref().map(|p| {
        let new = !std::path::Path::new(p).exists();
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap();
        if new {
            writeln!(f, "threads\tworkload\tlib\tvariant\tmedian_ns\tmin_ns\tsamples\tcheck").unwrap();
        }
        f
    });
    println!("threads: {}  budget per case: {} s", a.threads, a.budget);
    println!("{:<34} {:>12} {:>12} {:>8}  check", "case", "median", "min", "samples");
    let mut refs: Vec<(&str, LossGrad)> = Vec::new();
    for mut c in cases {
        let r = match refs.iter().find(|(w, _)| *w == c.workload) {
            Some((_, r)) => r.clone(),
            None => {
                let r = reference(c.workload);
                refs.push((c.workload, r.clone()));
                r
            }
        };
        let checked = catch_unwind(AssertUnwindSafe(|| (c.check)()))
            .map_err(|e| panic_text(&e))
            .and_then(|g| data::check(&g, &r, tolerance(c.workload)));
        let (stat, check) = match checked {
            Ok(err) => {
                let run = &mut c.run;
                match catch_unwind(AssertUnwindSafe(|| harness::time(run, Duration::from_secs_f64(a.budget)))) {
                    Ok(s) => (Some(s), format!("ok {err:.1e}")),
                    Err(e) => (None, format!("panicked while timed: {}", panic_text(&e))),
                }
            }
            Err(e) => (None, format!("REFUSED: {e}")),
        };
        match stat {
            Some(s) => println!(
                "{:<34} {:>12} {:>12} {:>8}  {check}",
                c.name(),
                harness::fmt_ns(s.median_ns),
                harness::fmt_ns(s.min_ns),
                s.samples
            ),
            None => println!("{:<34} {:>12} {:>12} {:>8}  {check}", c.name(), "-", "-", "-"),
        }
        if let Some(f) = out.as_mut() {
            let (m, n, k) = stat.map_or((f64::NAN, f64::NAN, 0), |s| (s.median_ns, s.min_ns, s.samples));
            writeln!(f, "{}\t{}\t{}\t{}\t{m:.1}\t{n:.1}\t{k}\t{check}", a.threads, c.workload, c.lib, c.variant).unwrap();
        }
    }
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}
