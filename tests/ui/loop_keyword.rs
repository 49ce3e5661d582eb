use autograd::prelude::*;

#[differentiable]
fn spin(x: f64) -> f64 {
    let mut y = x;
    loop {
        y = y * 0.5;
    }
}

fn main() {}
