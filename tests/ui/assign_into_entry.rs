use autograd::nalgebra::Vector2;
use autograd::prelude::*;

#[differentiable]
fn f(a: f64) -> f64 {
    let mut v = Vector2::zeros();
    v[0] = a;
    v.sum()
}

fn main() {}
