//! `#[differentiable]` functions declared inside a function body (a test, `main`),
//! where the generated module cannot name them by a path.

use autograd::nalgebra::{Matrix2, SVector};
use autograd::prelude::*;

#[test]
fn derivatives_of_a_function_declared_in_a_test() {
    #[differentiable]
    fn rosenbrock(p: &SVector<f64, 2>) -> f64 {
        (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2)
    }

    let p = SVector::<f64, 2>::new(0.5, 0.25);
    let (v, g) = rosenbrock::grad(&p);
    assert_eq!(v, rosenbrock(&p));
    assert_eq!(v, 0.25);
    // d/dx = -2(1 - x) - 400 x (y - x^2) = -1 at (0.5, 0.25); d/dy = 200 (y - x^2) = 0.
    assert_eq!(g.p, SVector::<f64, 2>::new(-1.0, 0.0));
    let h = rosenbrock::hessian(&SVector::<f64, 2>::new(1.0, 1.0));
    assert_eq!(h, Matrix2::new(802.0, -400.0, -400.0, 200.0));

    // As one node of the dynamic graph.
    let x = Tensor::from_vec(vec![0.5_f64, 0.25], &[2]).requires_grad_(true);
    let y = rosenbrock::apply(&x);
    assert_eq!(y.item(), 0.25);
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![-1.0, 0.0]);
}

#[test]
fn only_the_derivatives_used_is_no_dead_code() {
    // Built with `-D warnings` by CI's clippy: `square` itself is never called.
    #[differentiable]
    fn square(x: f64) -> f64 {
        x * x
    }
    assert_eq!(square::grad(3.0), (9.0, square::Grad { x: 6.0 }));
}
