//! The gradient descent of `saddle` and `particle`, as Pearlmutter and Siskind
//! define it (`multivariate-argmin` in "Using Programming Language Theory to Make
//! Automatic Differentiation Sound and Efficient", 2008): from `x` with the step
//! `eta = 1e-5`, stop when the gradient's norm is at most `1e-5` or a step would
//! move `x` by at most `1e-5`; take a step that lowers `f` (after 10 such steps
//! in a row, double `eta`), halve `eta` after one that does not.
//!
//! This copy is plain Rust, for the descents that are not themselves
//! differentiated (the outer `argmin`s and `saddle`'s last `argmax`); the inner
//! descent of `saddle`, which the outer derivative goes through, is written again
//! in each engine's language (`saddle.rs`).

use autograd::nalgebra::SVector;

/// Pearlmutter and Siskind's gradient descent from `x`; `grad` is `f`'s gradient.
pub fn argmin<const N: usize>(
    f: impl Fn(&SVector<f64, N>) -> f64,
    grad: impl Fn(&SVector<f64, N>) -> SVector<f64, N>,
    x: SVector<f64, N>,
) -> SVector<f64, N> {
    let (mut x, mut fx, mut gx) = (x, f(&x), grad(&x));
    let (mut eta, mut i) = (1e-5, 0);
    loop {
        if gx.norm() <= 1e-5 {
            return x;
        }
        if i == 10 {
            eta *= 2.0;
            i = 0;
            continue;
        }
        let next = x - eta * gx;
        if (x - next).norm() <= 1e-5 {
            return x;
        }
        let f_next = f(&next);
        if f_next < fx {
            (x, fx, gx) = (next, f_next, grad(&next));
            i += 1;
        } else {
            eta /= 2.0;
            i = 0;
        }
    }
}

/// The point where `f` is largest, by [`argmin`] of `-f`; `grad` is `f`'s gradient.
pub fn argmax<const N: usize>(
    f: impl Fn(&SVector<f64, N>) -> f64,
    grad: impl Fn(&SVector<f64, N>) -> SVector<f64, N>,
    x: SVector<f64, N>,
) -> SVector<f64, N> {
    argmin(|x| -f(x), |x| -grad(x), x)
}

/// The unit vectors of `R^N`, the tangents of forward-mode gradients.
pub fn unit<const N: usize>(i: usize) -> SVector<f64, N> {
    let mut e = SVector::zeros();
    e[i] = 1.0;
    e
}
