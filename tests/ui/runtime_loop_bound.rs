use autograd::prelude::*;

#[differentiable]
fn f(x: f64, #[constant] n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = y * 2.0;
    }
    y
}

fn main() {}
