//! Forward mode (`NAME::jvp`): checked against finite differences of the
//! directional derivative, and against reverse mode through the identity
//! `<u, J v> = <J^T u, v>` for random `u`, `v`.

use autograd::nalgebra::{Matrix2, RealField, SMatrix, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, central_gradient, Flat};

/// A deterministic stream of values in [-1, 1].
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    fn like<X: Flat>(&mut self, x: &X) -> X {
        let v: Vec<f64> = x.flat().iter().map(|_| self.next()).collect();
        x.unflatten(&mut &v[..])
    }
}

fn dot<X: Flat>(a: &X, b: &X) -> f64 {
    a.flat().iter().zip(b.flat()).map(|(x, y)| x * y).sum()
}

#[differentiable]
fn rnn(w: &Matrix2<f64>, u: &Vector2<f64>, h0: Vector2<f64>) -> Vector2<f64> {
    let mut h = h0;
    for i in 0..4 {
        let k = i as f64;
        h = (w * h + u * k).map(|v| v.tanh());
    }
    h
}

#[differentiable]
fn branchy(x: f64, y: f64, #[constant] mode: u8) -> (f64, Vector2<f64>) {
    let mut acc = x * y;
    if mode == 0 {
        acc += x.sin();
    } else {
        acc *= y.exp();
    }
    let v = Vector2::new(acc, x.max(y));
    let s = if x > y { x - y } else { (y - x) * 2.0 };
    (s * acc, v * s)
}

#[differentiable]
fn captures(m: &SMatrix<f64, 2, 3>, s: f64, #[constant] c: &f64) -> f64 {
    let shifted = m.map(|v| (v * s).exp() + s * *c);
    let k = Vector3::repeat(s);
    (shifted * k).norm() + m[(1, 2)] * autograd::detach(s)
}

#[differentiable]
fn composed(a: f64, b: Vector2<f64>) -> f64 {
    let (p, q) = branchy(a, b[0], 1);
    let h = rnn(&Matrix2::from_element(a * 0.5), &b, q);
    h.sum() + p + b.norm_squared()
}

#[differentiable]
fn generic_cubic<T: RealField + Copy>(x: T, y: T) -> T {
    x * x * x + x * y
}

#[test]
fn jvp_and_vjp_agree_on_random_directions() {
    let mut rng = Lcg(7);
    for _ in 0..5 {
        let (w, u, h0) = (
            rng.like(&Matrix2::zeros()),
            rng.like(&Vector2::zeros()),
            rng.like(&Vector2::zeros()),
        );
        let t = rnn::Grad {
            w: rng.like(&w),
            u: rng.like(&u),
            h0: rng.like(&h0),
        };
        let cot = rng.like(&Vector2::zeros());
        let (y, jv) = rnn::jvp(&w, &u, h0, &t);
        let (y2, pb) = rnn::vjp(&w, &u, h0);
        assert_eq!(y, y2);
        let g = pb(cot);
        let lhs = dot(&cot, &jv);
        let rhs = dot(&(g.w, g.u, g.h0), &(t.w, t.u, t.h0));
        assert_close(&[lhs], &[rhs], 1e-12, "rnn <u, Jv> = <J^T u, v>");

        for mode in 0..2 {
            let (x, y) = (rng.next(), rng.next());
            let t = branchy::Grad {
                x: rng.next(),
                y: rng.next(),
            };
            let cot = (rng.next(), rng.like(&Vector2::zeros()));
            let (_, jv) = branchy::jvp(x, y, mode, &t);
            let (_, pb) = branchy::vjp(x, y, mode);
            let g = pb(cot);
            assert_close(
                &[dot(&cot, &jv)],
                &[g.x * t.x + g.y * t.y],
                1e-12,
                "branchy",
            );
        }
    }
}

#[test]
fn jvp_matches_finite_differences() {
    let mut rng = Lcg(11);
    let m = rng.like(&SMatrix::<f64, 2, 3>::zeros());
    let (s, c) = (0.3, 0.5);
    let t = captures::Grad {
        m: rng.like(&m),
        s: rng.next(),
    };
    let (v, jv) = captures::jvp(&m, s, &c, &t);
    assert_eq!(v, captures(&m, s, &c));
    // d/de f(x + e t) at e = 0; detach(s) is a constant of the finite difference.
    let along = |e: &[f64]| {
        let (m2, s2) = (m + t.m * e[0], s + t.s * e[0]);
        let shifted = m2.map(|v| (v * s2).exp() + s2 * c);
        (shifted * Vector3::repeat(s2)).norm() + m2[(1, 2)] * s
    };
    assert_close(&[jv], &central_gradient(along, &[0.0]), 1e-7, "captures");

    let (a, b) = (0.4, Vector2::new(-0.2, 0.7));
    let t = composed::Grad {
        a: 0.3,
        b: Vector2::new(-0.5, 0.25),
    };
    let (_, jv) = composed::jvp(a, b, &t);
    let (_, g) = composed::grad(a, b);
    assert_close(
        &[jv],
        &[g.a * t.a + g.b.dot(&t.b)],
        1e-12,
        "composed: jvp = <grad, t>",
    );
    let fd = central_gradient(|e| composed(a + t.a * e[0], b + t.b * e[0]), &[0.0]);
    assert_close(&[jv], &fd, 1e-7, "composed: jvp vs finite differences");
}

#[test]
fn jvp_of_a_generic_function() {
    let (v, d) = generic_cubic::jvp(2.0_f64, 3.0, &generic_cubic::Grad { x: 1.0, y: 0.0 });
    assert_eq!((v, d), (14.0, 3.0 * 4.0 + 3.0));
    let (_, d32) = generic_cubic::jvp(2.0_f32, 3.0, &generic_cubic::Grad { x: 0.0, y: 1.0 });
    assert_eq!(d32, 2.0);
}
