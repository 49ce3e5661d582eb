//! GradBench's `ode` eval (cmpad's `an_ode`): `y(t)` in `R^n` with `y(0) = 0` and
//!
//! ```text
//! y_0'(t) = x_0,    y_i'(t) = x_i y_{i-1}(t)  (i > 0)
//! ```
//!
//! integrated from `t = 0` to `t = 2` by `s` steps of the classical fourth-order
//! Runge-Kutta method. `primal` is `y(2)`, `gradient` the gradient of its last
//! entry `y_{n-1}(2)` with respect to `x`. (The eval's README writes the
//! right-hand side as `sum_{j=1}^i x_j y_{i-1}`; cmpad's documentation and the
//! reference GradBench validates against use `x_i y_{i-1}`, as here.)
//!
//! Tape only: `n` comes with the input (1000 to 100000 in the eval) and the
//! static engine does not differentiate a slice or `DVector` parameter yet; each
//! stage couples entry `i` to entry `i - 1`, so the function does not split into
//! per-entry static functions composed in plain Rust (as `lse` does) without
//! writing the reverse sweep over the steps by hand. A gap (issue #14).
//!
//! On the tape the right-hand side is one product, `x * (1, y_0, .., y_{n-2})`,
//! and every stage is a few whole-vector ops: about `20 s` nodes of `n` entries.

use autograd::prelude::*;

/// `f(y) = x * (1, y_0, .., y_{n-2})`.
fn rhs(x: &Tensor, y: &Tensor) -> Tensor {
    let n = x.shape()[0];
    let one = Tensor::from_vec(vec![1.0f64], &[1]);
    let shifted = if n > 1 {
        Tensor::cat(&[one, y.narrow(0, 0, n - 1)], 0)
    } else {
        one
    };
    x * shifted
}

/// `y(2)` after `s` Runge-Kutta steps.
fn solve(x: &Tensor, s: usize) -> Tensor {
    let h = 2.0 / s as f64;
    let mut y = x.zeros_like();
    for _ in 0..s {
        let k1 = rhs(x, &y);
        let k2 = rhs(x, &(&y + &k1 * (h / 2.0)));
        let k3 = rhs(x, &(&y + &k2 * (h / 2.0)));
        let k4 = rhs(x, &(&y + &k3 * h));
        y += (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0);
    }
    y
}

pub fn tape_primal(x: &[f64], s: usize) -> Vec<f64> {
    let x = Tensor::from_vec(x.to_vec(), &[x.len()]);
    solve(&x, s).to_vec::<f64>()
}

pub fn tape_gradient(x: &[f64], s: usize) -> Vec<f64> {
    let n = x.len();
    let x = Tensor::from_vec(x.to_vec(), &[n]).requires_grad_(true);
    solve(&x, s)
        .narrow(0, n - 1, 1)
        .sum()
        .backward()
        .expect("backward of a scalar");
    x.grad().expect("x requires grad").to_vec::<f64>()
}
