use autograd::nalgebra::Matrix2;
use autograd::prelude::*;

#[differentiable]
fn total(m: Matrix2<f64>) -> f64 {
    let inv = m.try_inverse();
    inv.unwrap().sum()
}

fn main() {}
