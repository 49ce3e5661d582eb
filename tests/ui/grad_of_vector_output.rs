use autograd::nalgebra::Vector2;
use autograd::prelude::*;

#[differentiable]
fn f(x: f64) -> Vector2<f64> {
    Vector2::new(x, x * x)
}

fn main() {
    // `grad` is generated only for scalar outputs; vector outputs use `vjp`.
    let _ = f::grad(1.0);
}
