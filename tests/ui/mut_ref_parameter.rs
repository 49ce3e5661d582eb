use autograd::prelude::*;

#[differentiable]
fn scale(x: &mut f64, s: f64) -> f64 {
    *x * s
}

fn main() {}
