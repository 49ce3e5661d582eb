//! Regression: a `#[constant]` reference read inside a `map` closure (the closure
//! lives on in the returned pullback, so it must own a copy).

use autograd::nalgebra::SVector;
use autograd::prelude::*;

#[differentiable]
fn scale_by_constant(x: &SVector<f64, 3>, #[constant] c: &f64) -> f64 {
    x.map(|v| v * *c).sum()
}

fn main() {
    let x = SVector::<f64, 3>::new(0.5, -1.0, 2.0);
    let (v, g) = scale_by_constant::grad(&x, &2.0);
    assert_eq!(v, 3.0);
    assert_eq!(g.x, SVector::<f64, 3>::repeat(2.0));
}
