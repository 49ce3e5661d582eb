use autograd::prelude::*;

#[differentiable]
fn f(x: f64, #[constant] scale: f64) -> f64 {
    let scaled = if x > 1.0 { Some(x * scale) } else { None };
    if let Some(s) = scaled {
        s
    } else {
        x
    }
}

fn main() {}
