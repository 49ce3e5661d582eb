//! Reading the reference JSON files that PyTorch's scripts write under
//! `tests/data/` (see `tests/data/README.md`): shapes, numbers and tensors
//! stored as `{"shape": [...], "values": [...]}`, row-major. Shared by
//! `nn_layers2.rs`, `nn_recurrent.rs` and `tape_print.rs`.
#![allow(dead_code)]

use autograd::Tensor;
use serde_json::Value;

/// A list of dimensions.
pub fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("a shape is a list")
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect()
}

/// A number, or a string that Rust parses as one: the scripts write what JSON
/// cannot hold (`inf`, `-inf`, `nan`), and `tensor_print` every value, as
/// Python's `repr`.
pub fn float(x: &Value) -> f64 {
    x.as_f64().unwrap_or_else(|| {
        let s = x.as_str().expect("a number or a string");
        s.parse()
            .unwrap_or_else(|_| panic!("{s:?} is not a number"))
    })
}

/// A list of numbers, each read by [`float`].
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list of numbers")
        .iter()
        .map(float)
        .collect()
}

/// An f64 tensor from `{"shape": [...], "values": [...]}`.
pub fn tensor(v: &Value) -> Tensor {
    Tensor::from_vec(floats(&v["values"]), &shape(&v["shape"]))
}
