use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;

#[differentiable]
fn apply(w: &SMatrix<f64, 2, 3>, x: &SVector<f64, 4>) -> f64 {
    let y = w * x;
    y.sum()
}

fn main() {}
