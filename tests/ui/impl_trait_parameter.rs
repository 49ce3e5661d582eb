use autograd::nalgebra::RealField;
use autograd::prelude::*;

#[differentiable]
fn f(x: impl RealField + Copy) -> f64 {
    1.0
}

fn main() {}
