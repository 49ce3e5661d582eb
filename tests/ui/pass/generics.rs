use autograd::nalgebra::{RealField, SMatrix, SVector};
use autograd::prelude::*;

#[differentiable]
fn quadratic<T: RealField + Copy, const N: usize>(a: &SMatrix<T, N, N>, x: &SVector<T, N>) -> T {
    x.dot(&(a * x))
}

#[differentiable]
fn scale<T>(x: T, #[constant] k: T) -> T
where
    T: RealField + Copy,
{
    x * k
}

#[differentiable]
fn only_constant_generic<const N: usize>(s: f64, #[constant] v: &SVector<f64, N>) -> f64 {
    v.sum() * s
}

fn main() {
    let a = SMatrix::<f64, 2, 2>::identity();
    let x = SVector::<f64, 2>::new(1.0, 2.0);
    let (v, g) = quadratic::grad(&a, &x);
    assert_eq!(v, 5.0);
    assert_eq!(g.x, x * 2.0);
    let (_, g32) = scale::grad(2.0_f32, 3.0_f32);
    assert_eq!(g32.x, 3.0);
    let (_, g) = only_constant_generic::grad(2.0, &x);
    assert_eq!(g.s, 3.0);
}
