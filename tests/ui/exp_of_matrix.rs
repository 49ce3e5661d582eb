use autograd::nalgebra::Matrix2;
use autograd::prelude::*;

#[differentiable]
fn energy(m: Matrix2<f64>) -> f64 {
    m.exp().sum()
}

fn main() {}
