use autograd::prelude::*;

#[differentiable]
fn f(a: f64) -> f64 {
    let mut v = [0.0; 2];
    let r = &mut v;
    r[0] = a;
    let mut s = 0.0;
    let t = &mut s;
    *t = a;
    v[0] + s
}

fn main() {}
