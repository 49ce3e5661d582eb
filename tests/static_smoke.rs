use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;

#[differentiable]
pub fn neuron(w: f64, b: f64, #[constant] x: f64, #[constant] y: f64) -> f64 {
    let p = (w * x + b).tanh();
    (y - p).powi(2)
}

#[differentiable]
fn layer(w: &SMatrix<f64, 2, 3>, x: &SVector<f64, 3>) -> SVector<f64, 2> {
    (w * x).map(|v| v.tanh())
}

#[test]
fn neuron_matches_tutorial() {
    let (loss, g) = neuron::grad(-0.5, 0.5, 1.0, 7.0);
    assert_eq!(loss, 49.0);
    assert_eq!((g.w, g.b), (-14.0, -14.0));
}

#[test]
fn layer_vjp() {
    let w = SMatrix::<f64, 2, 3>::new(0.1, 0.2, 0.3, -0.4, 0.5, 0.6);
    let x = SVector::<f64, 3>::new(1.0, -2.0, 0.5);
    let (y, pb) = layer::vjp(&w, &x);
    let g = pb(SVector::repeat(1.0));
    println!("{y} {:?}", g);
}
