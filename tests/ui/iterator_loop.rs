use autograd::nalgebra::SVector;
use autograd::prelude::*;

#[differentiable]
fn f(v: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for x in v.iter() {
        s += *x;
    }
    s
}

fn main() {}
