use autograd::nalgebra::{DMatrix, DVector};
use autograd::prelude::*;

#[differentiable]
fn norm(x: &DVector<f64>) -> f64 {
    x.norm()
}

#[differentiable]
fn total(m: DMatrix<f64>, v: Vec<f64>) -> f64 {
    m.sum() + v[0]
}

// Supported: a slice, and dynamic constants.
#[differentiable]
fn scaled(x: &[f64], #[constant] w: &DVector<f64>) -> f64 {
    x[0] * w[0]
}

fn main() {}
