use autograd::nalgebra::Vector2;
use autograd::prelude::*;

#[differentiable]
fn area(a: Vector2<f64>, b: Vector2<f64>) -> f64 {
    a.cross(&b).sum()
}

fn main() {}
