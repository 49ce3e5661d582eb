use autograd::nalgebra::vector;
use autograd::prelude::*;

#[differentiable]
fn f(a: f64, b: f64) -> f64 {
    let v = vector![a, b];
    v.norm()
}

fn main() {}
