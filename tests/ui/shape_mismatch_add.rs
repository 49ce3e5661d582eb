use autograd::nalgebra::{Matrix2, Matrix3};
use autograd::prelude::*;

#[differentiable]
fn total(a: Matrix2<f64>, b: Matrix3<f64>) -> f64 {
    (a + b).sum()
}

fn main() {}
