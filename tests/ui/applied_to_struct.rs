use autograd::prelude::*;

#[differentiable]
struct Model {
    w: f64,
}

fn main() {
    let _ = Model { w: 1.0 }.w;
}
