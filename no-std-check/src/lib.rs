//! A `#![no_std]` crate without `alloc` that differentiates with `#[differentiable]`:
//! what a microcontroller's firmware would do. `.ci/run` builds and tests it on its
//! own, so that no other package turns `std` back on.
//!
//! A loop bounded by a constant keeps its reverse steps on the stack:
//!
//! ```
//! use autograd::prelude::*;
//!
//! #[differentiable]
//! fn doubled(x: f64) -> f64 {
//!     let mut y = x;
//!     for _ in 0..4 {
//!         y = y * 2.0;
//!     }
//!     y
//! }
//! assert_eq!(doubled::grad(1.0).1.x, 16.0);
//! ```
//!
//! One whose trip count is known only at run time needs a heap, which this crate
//! does not have: it is a compile error on the loop, saying to enable `alloc` or
//! bound the loop by a constant.
//!
//! ```compile_fail
//! use autograd::prelude::*;
//!
//! #[differentiable]
//! fn doubled(x: f64, #[constant] n: usize) -> f64 {
//!     let mut y = x;
//!     for _ in 0..n {
//!         y = y * 2.0;
//!     }
//!     y
//! }
//! ```
#![no_std]

use autograd::nalgebra::{Matrix2, Vector2};
use autograd::prelude::*;

/// A two-link arm's squared distance to a target: a small robotics loss.
#[differentiable]
pub fn reach_error(q: &Vector2<f64>, #[constant] target: &Vector2<f64>) -> f64 {
    let (l1, l2) = (1.0, 0.5);
    let tip = Vector2::new(
        q[0].cos() * l1 + (q[0] + q[1]).cos() * l2,
        q[0].sin() * l1 + (q[0] + q[1]).sin() * l2,
    );
    (tip - target).norm_squared()
}

/// A linear controller's quadratic cost, generic over the scalar.
#[differentiable]
pub fn control_cost(k: &Matrix2<f32>, #[constant] x: &Vector2<f32>) -> f32 {
    let u = k * x;
    u.dot(&u) + x.norm_squared()
}

/// One gradient-descent step on the arm's joint angles.
pub fn step(q: Vector2<f64>, target: &Vector2<f64>, lr: f64) -> (f64, Vector2<f64>) {
    let (err, g) = reach_error::grad(&q, target);
    (err, q - g.q * lr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_descent_reaches_the_target() {
        let target = Vector2::new(0.8, 0.9);
        let mut q = Vector2::new(0.3, 0.3);
        let mut err = f64::INFINITY;
        for _ in 0..500 {
            (err, q) = step(q, &target, 0.1);
        }
        assert!(err < 1e-12, "error after descent: {err}");
    }

    #[test]
    fn the_gradient_matches_the_closed_form() {
        let k = Matrix2::new(1.0f32, 2.0, -0.5, 0.25);
        let x = Vector2::new(0.5f32, -1.0);
        let (_, g) = control_cost::grad(&k, &x);
        // d/dK |K x|^2 = 2 (K x) x^T
        let expected = (k * x) * x.transpose() * 2.0;
        assert!((g.k - expected).norm() < 1e-6);
    }
}
