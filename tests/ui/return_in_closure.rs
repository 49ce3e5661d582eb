use autograd::nalgebra::Vector2;
use autograd::prelude::*;

#[differentiable]
fn f(v: Vector2<f64>) -> f64 {
    let clipped = v.map(|e| {
        if e > 1.0 {
            return 1.0;
        }
        e
    });
    clipped.sum()
}

fn main() {}
