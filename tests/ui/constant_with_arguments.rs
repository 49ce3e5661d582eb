use autograd::prelude::*;

#[differentiable]
fn f(x: f64, #[constant(true)] c: f64) -> f64 {
    x * c
}

fn main() {}
