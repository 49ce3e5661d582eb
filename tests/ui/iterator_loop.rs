use autograd::nalgebra::SVector;
use autograd::prelude::*;

#[differentiable]
fn f(v: SVector<f64, 3>) -> f64 {
    let mut s = 0.0;
    for x in v.iter().filter(|x| **x > 0.0) {
        s += *x;
    }
    s
}

#[differentiable]
fn g(v: [f64; 3]) -> f64 {
    let folded = v.iter().copied().fold(0.0, f64::max);
    folded + v.iter().map(|x| x * x).sum::<f64>()
}

// The plain function infers the sum's type from its use; the macro, which
// cannot see types, asks for it.
#[differentiable]
fn h(v: [f64; 3]) -> f64 {
    let s = v.iter().map(|x| x * x).sum();
    let t: f64 = s;
    2.0 * t
}

fn main() {}
