//! `autograd-gradbench VARIANT`: a GradBench tool. It reads the eval's messages
//! (JSON, one a line) on stdin and answers each on stdout:
//!
//! - `start` with the tool's name (`autograd-static` or `autograd-tape`);
//! - `define` with `success: true` for the modules this variant implements;
//! - `evaluate` with the function's `output`, running it until both `min_runs`
//!   and `min_seconds` are reached and reporting one `evaluate` timing per run
//!   (decoding the input and encoding the output are not timed);
//! - `analysis` (the eval's verdict) with its id only.
//!
//! The functions are in `evals/`, which know nothing of JSON, so that the main
//! workspace's `tests/gradbench_functions.rs` can include them by path.

mod evals;

use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Static,
    Tape,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Static => "autograd-static",
            Variant::Tape => "autograd-tape",
        }
    }

    fn defines(self, module: &str) -> bool {
        match self {
            Variant::Static => matches!(
                module,
                "hello" | "llsq" | "lse" | "ba" | "ht" | "kmeans" | "saddle" | "particle" | "lstm"
            ),
            Variant::Tape => matches!(
                module,
                "hello"
                    | "llsq"
                    | "lse"
                    | "det"
                    | "gmm"
                    | "ba"
                    | "ht"
                    | "kmeans"
                    | "ode"
                    | "saddle"
                    | "particle"
                    | "lstm"
            ),
        }
    }

    /// Why this variant does not implement `module`, when the reason is a gap
    /// of the engine rather than work not done.
    fn gap(self, module: &str) -> Option<&'static str> {
        match (self, module) {
            (Variant::Static, "det") => Some(
                "the expansion by minors is recursive over sizes known at run time, \
                 which the static engine does not differentiate (issue #14)",
            ),
            (Variant::Static, "gmm") => Some(
                "d, k and n come with the input and the static engine takes fixed-size \
                 types only (no differentiated slices or DVector; issue #14)",
            ),
            (Variant::Static, "ode") => Some(
                "x has n entries known at run time and the static engine does not \
                 differentiate slices or DVector yet; each Runge-Kutta stage couples entry \
                 i to entry i - 1, so the function does not split into per-entry static \
                 functions (issue #14)",
            ),
            _ => None,
        }
    }
}

type Outcome = Result<(Value, Vec<u128>), String>;

/// Runs `f` at least `min_runs` times and for at least `min_seconds`, as every
/// GradBench tool does, and encodes the last output.
fn timed<T>(input: &Value, mut f: impl FnMut() -> T, encode: impl Fn(T) -> Value) -> Outcome {
    let min_runs = input
        .get("min_runs")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let min_seconds = input
        .get("min_seconds")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let mut timings = Vec::new();
    let mut elapsed = 0.0;
    loop {
        let start = Instant::now();
        let out = std::hint::black_box(f());
        let ns = start.elapsed().as_nanos();
        timings.push(ns);
        elapsed += ns as f64 * 1e-9;
        if timings.len() as u64 >= min_runs && elapsed >= min_seconds {
            return Ok((encode(out), timings));
        }
    }
}

fn field<'a>(input: &'a Value, name: &str) -> Result<&'a Value, String> {
    input
        .get(name)
        .ok_or_else(|| format!("input has no field `{name}`"))
}

fn floats(v: &Value) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or("expected an array of numbers")?
        .iter()
        .map(|x| x.as_f64().ok_or_else(|| "expected a number".to_string()))
        .collect()
}

/// A list of lists of numbers, flattened row after row.
fn float_rows(v: &Value) -> Result<Vec<f64>, String> {
    let rows = v.as_array().ok_or("expected an array of arrays")?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(floats(row)?);
    }
    Ok(out)
}

fn number(input: &Value, name: &str) -> Result<f64, String> {
    field(input, name)?
        .as_f64()
        .ok_or_else(|| format!("`{name}` is not a number"))
}

fn count(input: &Value, name: &str) -> Result<usize, String> {
    field(input, name)?
        .as_u64()
        .map(|v| v as usize)
        .ok_or_else(|| format!("`{name}` is not a whole number"))
}

fn array<const N: usize>(input: &Value, name: &str) -> Result<[f64; N], String> {
    floats(field(input, name)?)?
        .try_into()
        .map_err(|v: Vec<f64>| format!("`{name}` has {} entries, expected {N}", v.len()))
}

fn rows_of(flat: &[f64], width: usize) -> Value {
    if width == 0 {
        return json!(vec![Vec::<f64>::new(); flat.len()]);
    }
    json!(flat.chunks(width).collect::<Vec<_>>())
}

fn indices(v: &Value) -> Result<Vec<usize>, String> {
    v.as_array()
        .ok_or("expected an array of indices")?
        .iter()
        .map(|x| {
            x.as_u64()
                .map(|x| x as usize)
                .ok_or_else(|| "expected a non-negative whole number".to_string())
        })
        .collect()
}

/// Rows of exactly `N` numbers each.
fn fixed_rows<const N: usize>(v: &Value, name: &str) -> Result<Vec<[f64; N]>, String> {
    v.as_array()
        .ok_or_else(|| format!("`{name}` is not an array"))?
        .iter()
        .map(|row| {
            floats(row)?.try_into().map_err(|r: Vec<f64>| {
                format!("a row of `{name}` has {} entries, expected {N}", r.len())
            })
        })
        .collect()
}

/// A list of 4 x 4 matrices, each a list of rows.
fn matrices4(v: &Value, name: &str) -> Result<Vec<autograd::nalgebra::Matrix4<f64>>, String> {
    v.as_array()
        .ok_or_else(|| format!("`{name}` is not an array"))?
        .iter()
        .map(|m| {
            let rows = fixed_rows::<4>(m, name)?;
            if rows.len() != 4 {
                return Err(format!(
                    "a matrix of `{name}` has {} rows, expected 4",
                    rows.len()
                ));
            }
            Ok(autograd::nalgebra::Matrix4::from_fn(|r, c| rows[r][c]))
        })
        .collect()
}

fn ht_input(input: &Value) -> Result<evals::ht::Input, String> {
    use autograd::nalgebra::{Vector3, Vector4};
    let data = field(input, "data")?;
    let model = field(data, "model")?;
    let parents = field(model, "parents")?
        .as_array()
        .ok_or("`parents` is not an array")?
        .iter()
        .map(|p| {
            let p = p.as_i64().ok_or("a parent is not a whole number")?;
            Ok(usize::try_from(p).ok())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let triangles = field(model, "triangles")?
        .as_array()
        .ok_or("`triangles` is not an array")?
        .iter()
        .map(|t| {
            indices(t)?
                .try_into()
                .map_err(|_| "a triangle does not have 3 vertices".to_string())
        })
        .collect::<Result<Vec<[usize; 3]>, String>>()?;
    let model = evals::ht::Model::new(
        parents,
        matrices4(field(model, "base_relatives")?, "base_relatives")?,
        matrices4(
            field(model, "inverse_base_absolutes")?,
            "inverse_base_absolutes",
        )?,
        fixed_rows::<4>(field(model, "base_positions")?, "base_positions")?
            .iter()
            .map(|p| Vector4::from_column_slice(p))
            .collect(),
        float_rows(field(model, "weights")?)?,
        triangles,
        field(model, "is_mirrored")?
            .as_bool()
            .ok_or("`is_mirrored` is not a boolean")?,
    )?;
    let inp = evals::ht::Input {
        model,
        correspondences: indices(field(data, "correspondences")?)?,
        points: fixed_rows::<3>(field(data, "points")?, "points")?
            .iter()
            .map(|p| Vector3::from_column_slice(p))
            .collect(),
        theta: array::<{ evals::ht::NTHETA }>(input, "theta")?,
        us: fixed_rows::<2>(field(input, "us")?, "us")?,
    };
    inp.check()?;
    Ok(inp)
}

fn evaluate(variant: Variant, module: &str, function: &str, input: &Value) -> Outcome {
    use evals::*;
    let stat = variant == Variant::Static;
    match (module, function) {
        ("hello", "square") => {
            let x = input.as_f64().ok_or("expected a number")?;
            let f = if stat {
                |x| hello::square(x)
            } else {
                hello::tape_square
            };
            timed(input, || f(x), |y| json!(y))
        }
        ("hello", "double") => {
            let x = input.as_f64().ok_or("expected a number")?;
            let f = if stat {
                hello::static_double
            } else {
                hello::tape_double
            };
            timed(input, || f(x), |y| json!(y))
        }
        ("llsq", "primal" | "gradient") => {
            let inp = llsq::Input {
                x: floats(field(input, "x")?)?,
                n: count(input, "n")?,
            };
            let unsupported = || {
                format!(
                    "the static variant is compiled for x of length {:?}, not {}",
                    llsq::STATIC_SIZES,
                    inp.x.len()
                )
            };
            if !stat {
                return if function == "primal" {
                    timed(input, || llsq::tape_primal(&inp), |y| json!(y))
                } else {
                    timed(input, || llsq::tape_gradient(&inp), |y| json!(y))
                };
            }
            if !llsq::STATIC_SIZES.contains(&inp.x.len()) {
                return Err(unsupported());
            }
            if function == "primal" {
                timed(input, || llsq::static_primal(&inp), |y| json!(y.unwrap()))
            } else {
                timed(input, || llsq::static_gradient(&inp), |y| json!(y.unwrap()))
            }
        }
        ("lse", "primal") => {
            let x = floats(field(input, "x")?)?;
            let f = if stat {
                lse::static_primal
            } else {
                lse::tape_primal
            };
            timed(input, || f(&x), |y| json!(y))
        }
        ("lse", "gradient") => {
            let x = floats(field(input, "x")?)?;
            let f = if stat {
                lse::static_gradient
            } else {
                lse::tape_gradient
            };
            timed(input, || f(&x), |y| json!(y))
        }
        ("det", "primal" | "gradient") if !stat => {
            let a = floats(field(input, "A")?)?;
            let ell = count(input, "ell")?;
            if a.len() != ell * ell {
                return Err(format!(
                    "A has {} entries, expected ell^2 = {}",
                    a.len(),
                    ell * ell
                ));
            }
            if function == "primal" {
                timed(input, || det::tape_primal(&a, ell), |y| json!(y))
            } else {
                timed(input, || det::tape_gradient(&a, ell), |y| json!(y))
            }
        }
        ("gmm", "objective" | "jacobian") if !stat => {
            let inp = gmm::Input {
                d: count(input, "d")?,
                k: count(input, "k")?,
                n: count(input, "n")?,
                alpha: floats(field(input, "alpha")?)?,
                mu: float_rows(field(input, "mu")?)?,
                q: float_rows(field(input, "q")?)?,
                l: float_rows(field(input, "l")?)?,
                x: float_rows(field(input, "x")?)?,
                m: count(input, "m")?,
                gamma: number(input, "gamma")?,
            };
            if function == "objective" {
                timed(input, || gmm::tape_objective(&inp), |y| json!(y))
            } else {
                let (d, ls) = (inp.d, inp.d * (inp.d - 1) / 2);
                timed(
                    input,
                    || gmm::tape_jacobian(&inp),
                    |g| {
                        json!({
                            "alpha": g.alpha,
                            "mu": rows_of(&g.mu, d),
                            "q": rows_of(&g.q, d),
                            "l": rows_of(&g.l, ls),
                        })
                    },
                )
            }
        }
        ("ba", "objective" | "jacobian") => {
            let inp = ba::Input::duplicate(
                count(input, "n")?,
                count(input, "m")?,
                count(input, "p")?,
                &array::<11>(input, "cam")?,
                &array::<3>(input, "x")?,
                number(input, "w")?,
                &array::<2>(input, "feat")?,
            );
            if inp.p == 0 {
                return Err("p is 0".into());
            }
            if function == "objective" {
                let f = if stat {
                    ba::static_objective
                } else {
                    ba::tape_objective
                };
                // The eval checks one observation's errors and the count, as
                // GradBench's reference tool reports them.
                timed(
                    input,
                    || f(&inp),
                    |o| {
                        json!({
                            "reproj_error": {"elements": &o.reproj_err[..2], "repeated": o.reproj_err.len() / 2},
                            "w_err": {"element": o.w_err[0], "repeated": o.w_err.len()},
                        })
                    },
                )
            } else {
                let f = if stat {
                    ba::static_jacobian
                } else {
                    ba::tape_jacobian
                };
                // The first 30 entries of each list and the last one (the README).
                let head_and_last = |v: &[f64]| {
                    let mut out: Vec<f64> = v[..30.min(v.len())].to_vec();
                    out.push(*v.last().unwrap());
                    out
                };
                timed(
                    input,
                    || f(&inp),
                    |j| {
                        let as_f = |v: &[usize]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
                        let ints =
                            |v: Vec<f64>| v.into_iter().map(|x| x as u64).collect::<Vec<_>>();
                        json!({
                            "rows": ints(head_and_last(&as_f(&j.rows))),
                            "cols": ints(head_and_last(&as_f(&j.cols))),
                            "vals": head_and_last(&j.vals),
                        })
                    },
                )
            }
        }
        ("ht", "objective" | "jacobian") => {
            let inp = ht_input(input)?;
            let cols = inp.columns();
            match (function, stat) {
                ("objective", true) => timed(input, || ht::static_objective(&inp), |y| json!(y)),
                ("objective", false) => timed(input, || ht::tape_objective(&inp), |y| json!(y)),
                (_, true) => timed(input, || ht::static_jacobian(&inp), |j| rows_of(&j, cols)),
                (_, false) => timed(input, || ht::tape_jacobian(&inp), |j| rows_of(&j, cols)),
            }
        }
        ("kmeans", "cost" | "dir") => {
            let points = field(input, "points")?
                .as_array()
                .ok_or("`points` is not an array")?;
            let d = points.first().and_then(Value::as_array).map_or(0, Vec::len);
            if d == 0 {
                return Err("`points` is empty or its points have no coordinates".into());
            }
            let rows_of_d = |name: &str| -> Result<Vec<f64>, String> {
                let v = field(input, name)?;
                let rows = v
                    .as_array()
                    .ok_or_else(|| format!("`{name}` is not an array"))?;
                if rows.is_empty()
                    || rows
                        .iter()
                        .any(|r| r.as_array().is_none_or(|r| r.len() != d))
                {
                    return Err(format!(
                        "`{name}` must be a non-empty list of points with {d} coordinates"
                    ));
                }
                float_rows(v)
            };
            let inp = kmeans::Input {
                points: rows_of_d("points")?,
                centroids: rows_of_d("centroids")?,
                d,
            };
            if stat && !kmeans::STATIC_DIMS.contains(&d) {
                return Err(format!(
                    "the static variant is compiled for d in {:?}, not {d}",
                    kmeans::STATIC_DIMS
                ));
            }
            match (function, stat) {
                ("cost", true) => timed(input, || kmeans::static_cost(&inp), |y| json!(y.unwrap())),
                ("cost", false) => timed(input, || kmeans::tape_cost(&inp), |y| json!(y)),
                (_, true) => timed(
                    input,
                    || kmeans::static_dir(&inp),
                    |g| rows_of(&g.unwrap(), d),
                ),
                (_, false) => timed(input, || kmeans::tape_dir(&inp), |g| rows_of(&g, d)),
            }
        }
        ("ode", "primal" | "gradient") if !stat => {
            let x = floats(field(input, "x")?)?;
            let s = count(input, "s")?;
            if x.is_empty() || s == 0 {
                return Err("ode needs a non-empty x and s > 0".into());
            }
            if function == "primal" {
                timed(input, || ode::tape_primal(&x, s), |y| json!(y))
            } else {
                timed(input, || ode::tape_gradient(&x, s), |y| json!(y))
            }
        }
        ("lstm", "objective" | "jacobian") => {
            let main = field(input, "main_params")?;
            let rows = main.as_array().map_or(0, Vec::len);
            let sequence = field(input, "sequence")?;
            let c = sequence.as_array().map_or(0, Vec::len);
            let inp = lstm::Input::new(
                float_rows(main)?,
                rows,
                float_rows(field(input, "extra_params")?)?,
                float_rows(field(input, "state")?)?,
                float_rows(sequence)?,
                c,
            )?;
            match (function, stat) {
                ("objective", true) => timed(input, || lstm::static_objective(&inp), |y| json!(y)),
                ("objective", false) => timed(input, || lstm::tape_objective(&inp), |y| json!(y)),
                (_, true) => timed(input, || lstm::static_jacobian(&inp), |g| json!(g)),
                (_, false) => timed(input, || lstm::tape_jacobian(&inp), |g| json!(g)),
            }
        }
        ("saddle", f) if saddle::modes(f).is_some() => {
            let (outer, inner) = saddle::modes(f).unwrap();
            let start = array::<2>(input, "start")?;
            let run = if stat {
                saddle::static_saddle
            } else {
                saddle::tape_saddle
            };
            timed(input, || run(start, outer, inner), |r| json!(r))
        }
        ("particle", f) if saddle::modes(f).is_some() => {
            let (outer, inner) = saddle::modes(f).unwrap();
            let w = number(input, "w")?;
            let run = if stat {
                particle::static_particle
            } else {
                particle::tape_particle
            };
            timed(input, || run(w, outer, inner), |w| json!(w))
        }
        _ => Err(format!(
            "{} does not implement `{module}.{function}`",
            variant.name()
        )),
    }
}

fn respond(variant: Variant, message: &Value) -> Value {
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    match message.get("kind").and_then(Value::as_str) {
        Some("start") => json!({"id": id, "tool": variant.name()}),
        Some("define") => {
            let module = message.get("module").and_then(Value::as_str).unwrap_or("");
            if variant.defines(module) {
                json!({"id": id, "success": true})
            } else {
                let why = variant
                    .gap(module)
                    .map_or(String::new(), |why| format!(": {why}"));
                json!({"id": id, "success": false,
                       "error": format!("{} does not implement module `{module}`{why}", variant.name())})
            }
        }
        Some("evaluate") => {
            let module = message.get("module").and_then(Value::as_str).unwrap_or("");
            let function = message
                .get("function")
                .and_then(Value::as_str)
                .unwrap_or("");
            let input = message.get("input").unwrap_or(&Value::Null);
            match evaluate(variant, module, function, input) {
                Ok((output, ns)) => json!({
                    "id": id,
                    "success": true,
                    "output": output,
                    "timings": ns.iter().map(|&n| json!({"name": "evaluate", "nanoseconds": n})).collect::<Vec<_>>(),
                }),
                Err(error) => json!({"id": id, "success": false, "error": error}),
            }
        }
        _ => json!({"id": id}),
    }
}

fn main() {
    let variant = match std::env::args().nth(1).as_deref() {
        Some("autograd-static") => Variant::Static,
        Some("autograd-tape") => Variant::Tape,
        _ => {
            eprintln!("usage: autograd-gradbench (autograd-static | autograd-tape)");
            std::process::exit(2);
        }
    };
    // One thread, as every tool in the table: the tape's kernels otherwise run
    // on the machine's available parallelism (they do not read
    // RAYON_NUM_THREADS); on lse at n = 40000 two threads took 1.5x as long as
    // one on the 2-core VM.
    autograd::set_num_threads(1);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.expect("reading stdin");
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Value>(&line) {
            Ok(message) => respond(variant, &message),
            Err(e) => json!({"id": null, "success": false, "error": format!("not JSON: {e}")}),
        };
        writeln!(stdout, "{response}").expect("writing stdout");
        stdout.flush().expect("writing stdout");
    }
}
