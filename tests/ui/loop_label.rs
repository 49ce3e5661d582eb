use autograd::prelude::*;

#[differentiable]
fn f(x: f64, #[constant] n: usize) -> f64 {
    let mut y = x;
    'outer: for _ in 0..n {
        for _ in 0..n {
            if y > 100.0 {
                break 'outer;
            }
            y = y * 2.0;
        }
    }
    y
}

fn main() {}
