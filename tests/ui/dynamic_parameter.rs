use autograd::nalgebra::{DMatrixView, DVector};
use autograd::prelude::*;

// A view has no rules: the message says to take an owned `DMatrix`.
#[differentiable]
fn trace_of(m: DMatrixView<f64>) -> f64 {
    m[(0, 0)]
}

#[differentiable]
fn total(v: Vec<f64>) -> f64 {
    v[0]
}

// Supported: owned dynamic vectors and matrices, by value or by `&`, slices, and
// dynamic constants.
#[differentiable]
fn scaled(x: &[f64], #[constant] w: &DVector<f64>, v: DVector<f64>, u: &DVector<f64>) -> f64 {
    x[0] * w[0] + v.dot(u)
}

fn main() {}
