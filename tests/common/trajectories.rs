//! PyTorch's optimizer trajectories (`tests/data/optim_trajectories.json`, see
//! `tests/data/README.md`), shared by the tape's and the static engine's replays.
#![allow(dead_code)]

use serde_json::{Map, Value};

const DATA: &str = include_str!("../data/optim_trajectories.json");

/// One recorded run.
pub struct Case {
    pub name: String,
    pub optimizer: String,
    pub hyper: Map<String, Value>,
    pub problem: String,
    pub start: Vec<Vec<f64>>,
    pub shapes: Vec<Vec<usize>>,
    pub params: Vec<Vec<Vec<f64>>>,
    pub losses: Vec<f64>,
}

/// A number, or one of the strings that stand for Python's `NaN`, `Infinity` and
/// `-Infinity` (see [`cases`]).
pub fn float(x: &Value) -> f64 {
    match x {
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        x => x.as_f64().expect("a number"),
    }
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(float).collect()
}

pub fn cases() -> Vec<Case> {
    // Python's json writes the non-finite floats of diverging runs as bare
    // `NaN` / `Infinity`, which strict JSON (serde_json) rejects: quote them.
    let text = DATA
        .replace("-Infinity", "\"-Infinity\"")
        .replace(" Infinity", " \"Infinity\"")
        .replace("[Infinity", "[\"Infinity\"")
        .replace("NaN", "\"NaN\"");
    let root: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(root["dtype"], "float64");
    root["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let hyper = c["hyper"].as_object().expect("hyper").clone();
            let optimizer = c["optimizer"].as_str().expect("optimizer").to_string();
            let problem = c["problem"].as_str().expect("problem").to_string();
            let settings: Vec<String> = hyper.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Case {
                name: format!("{optimizer} on {problem} ({})", settings.join(", ")),
                optimizer,
                problem,
                hyper,
                start: c["start"]
                    .as_array()
                    .expect("start")
                    .iter()
                    .map(floats)
                    .collect(),
                shapes: c["shapes"]
                    .as_array()
                    .expect("shapes")
                    .iter()
                    .map(|s| floats(s).into_iter().map(|d| d as usize).collect())
                    .collect(),
                params: c["params"]
                    .as_array()
                    .expect("params")
                    .iter()
                    .map(|step| step.as_array().expect("step").iter().map(floats).collect())
                    .collect(),
                losses: floats(&c["losses"]),
            }
        })
        .collect()
}

/// Equal to `tol` relative to `scale` (at least the larger magnitude); NaN
/// matches NaN and infinities match themselves (the reference holds diverging
/// runs).
pub fn close(a: f64, b: f64, tol: f64, scale: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * a.abs().max(b.abs()).max(scale)
}
