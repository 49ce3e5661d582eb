use autograd::prelude::*;

#[differentiable]
fn f(a: f64, b: f64) -> f64 {
    let v = [a, b];
    v[0] * v[1]
}

fn main() {}
