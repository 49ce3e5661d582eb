use autograd::prelude::*;

#[differentiable]
fn halve_until_small(x: f64) -> f64 {
    let mut y = x;
    while y > 1.0 {
        y = y * 0.5;
    }
    y
}

fn main() {}
