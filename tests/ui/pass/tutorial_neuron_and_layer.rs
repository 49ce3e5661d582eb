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

fn main() {
    let (loss, g) = neuron::grad(-0.5, 0.5, 1.0, 7.0);
    let _: (f64, f64, f64) = (loss, g.w, g.b);
    let w = SMatrix::<f64, 2, 3>::zeros();
    let x = SVector::<f64, 3>::zeros();
    let (y, pullback) = layer::vjp(&w, &x);
    let g: layer::Grad = pullback(SVector::repeat(1.0));
    let _: (SVector<f64, 2>, SMatrix<f64, 2, 3>, SVector<f64, 3>) = (y, g.w, g.x);
    // Grad derives Clone, Copy, Debug and PartialEq.
    let copy = g;
    assert_eq!(format!("{copy:?}"), format!("{g:?}"));
}
