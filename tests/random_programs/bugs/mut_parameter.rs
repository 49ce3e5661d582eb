//! BUG (static engine): a by-value parameter with a `mut` binding (`mut x: f64`,
//! plain Rust) is neither differentiated nor rejected with a diagnostic: the
//! generated code fails with E0384 "cannot assign to immutable argument", placed
//! on the attribute, and rustc suggests `mut mut x`.

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
