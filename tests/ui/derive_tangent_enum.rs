// `Tangent` on an enum: a tangent needs every field at once.
use autograd::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
enum Model {
    Linear(f64),
    Quadratic(f64, f64),
}

fn main() {
    let _ = Model::Linear(1.0);
    let _ = Model::Quadratic(1.0, 2.0);
}
