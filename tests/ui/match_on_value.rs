use autograd::prelude::*;

#[differentiable]
fn f(x: f64, #[constant] k: u8) -> f64 {
    match k {
        0 => x,
        _ => x * 2.0,
    }
}

fn main() {}
