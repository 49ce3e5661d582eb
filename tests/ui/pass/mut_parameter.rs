//! Regression: a parameter bound with `mut` keeps its `mut` in generated code.

use autograd::prelude::*;

#[differentiable]
fn scale_in_place(mut x: f64, y: f64) -> f64 {
    x *= y;
    x += y;
    x
}

fn main() {
    // d/dx (x y + y) = y, d/dy = x + 1
    let (v, g) = scale_in_place::grad(3.0, 2.0);
    assert_eq!(v, 8.0);
    assert_eq!((g.x, g.y), (2.0, 4.0));
}
