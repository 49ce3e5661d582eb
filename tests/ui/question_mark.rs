use autograd::prelude::*;

fn check(x: f64) -> Option<f64> {
    Some(x)
}

#[differentiable]
fn f(x: f64) -> f64 {
    let y = check(x)?;
    y * x
}

fn main() {}
