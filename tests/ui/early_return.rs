use autograd::prelude::*;

#[differentiable]
fn f(x: f64) -> f64 {
    if x > 0.0 {
        return x * 2.0;
    }
    x
}

fn main() {}
