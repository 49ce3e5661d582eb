//! `format!("{t}")` is PyTorch's `str(t)`, character for character: every case of
//! `tests/data/tensor_print/reference.json`, printed by PyTorch itself (the script
//! that made it, `make_reference.py`, is beside it), is rebuilt from its entries
//! and printed here.

use autograd::Tensor;
use serde_json::Value;

#[path = "common/reference.rs"]
mod reference;

#[test]
fn printing_matches_pytorch() {
    let text = include_str!("data/tensor_print/reference.json");
    let reference: Value = serde_json::from_str(text).expect("reference.json is JSON");
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "the reference has its cases");
    let mut wrong = Vec::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let values = reference::floats(&c["values"]);
        let shape = reference::shape(&c["shape"]);
        let mut t = match c["dtype"].as_str().unwrap() {
            "float32" => Tensor::from_vec(
                values.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
                &shape,
            ),
            "float64" => Tensor::from_vec(values, &shape),
            other => panic!("dtype {other}"),
        };
        if c["requires_grad"].as_bool().unwrap() {
            t = t.requires_grad_(true);
        }
        let t = match c["op"].as_str() {
            None => t,
            Some("add_one") => &t + 1.0,
            Some("mul_two") => &t * 2.0,
            Some("sum") => t.sum(),
            Some(other) => panic!("op {other}"),
        };
        let printed = format!("{t}");
        let expected = c["printed"].as_str().unwrap();
        if printed != expected {
            wrong.push(format!(
                "{name}:\n--- PyTorch\n{expected}\n--- ours\n{printed}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
}
