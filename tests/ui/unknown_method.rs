use autograd::prelude::*;

#[differentiable]
fn f(x: f64) -> f64 {
    x.fract() * 2.0
}

fn main() {}
