use autograd::prelude::*;

#[differentiable]
fn f(x: f64) -> f64 {
    match x > 0.0 {
        true => x,
        false => -x,
    }
}

fn main() {}
