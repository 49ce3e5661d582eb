use autograd::nalgebra::Vector2;
use autograd::prelude::*;

#[differentiable]
fn f(v: Vector2<f64>) -> f64 {
    let halved = v.map(|e| {
        let mut y = e;
        loop {
            if y < 1.0 {
                break y;
            }
            y = y * 0.5;
        }
    });
    halved.sum()
}

#[differentiable]
fn g(v: Vector2<f64>) -> f64 {
    let halved = v.map(|e| {
        let mut y = e;
        while y > 1.0 {
            if y < 3.0 {
                break;
            }
            y = y * 0.5;
        }
        y
    });
    halved.sum()
}

fn main() {}
