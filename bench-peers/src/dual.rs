//! num-dual: W1-W3 in forward mode with vector dual numbers (`DualSVec64<N>`,
//! one derivative lane per parameter), through `num_dual::gradient`. W3 has 369
//! parameters, so every operation carries a 369-wide derivative.

use crate::data::{self, LossGrad};
use crate::Case;
use autograd::nalgebra::SVector;
use num_dual::{gradient, DualNum, DualSVec64};
use std::hint::black_box as bb;

const LIB: &str = "num-dual";

fn w1_loss<T: DualNum<Primitive = f64> + Copy>(w: T, b: T, t_u: &[f64; 11], t_c: &[f64; 11]) -> T {
    let mut s = T::from(0.0);
    for i in 0..11 {
        let d = w * t_u[i] + b - t_c[i];
        s += d * d;
    }
    s / 11.0
}

fn w2_loss<T: DualNum<Primitive = f64> + Copy>(w: T, b: T, x: f64, y: f64) -> T {
    let p = (w * x + b).tanh();
    let r = T::from(y) - p;
    r * r
}

/// The 4-16-16-1 network on parameters flattened in the order w1 (16x4
/// row-major), b1, w2 (16x16), b2, w3 (1x16), b3.
fn w3_loss<T: DualNum<Primitive = f64> + Copy>(p: &[T], x: &[f64; 4], y: f64) -> T {
    let (w1, rest) = p.split_at(64);
    let (b1, rest) = rest.split_at(16);
    let (w2, rest) = rest.split_at(256);
    let (b2, rest) = rest.split_at(16);
    let (w3, b3) = rest.split_at(16);
    let mut h1 = [T::from(0.0); 16];
    for i in 0..16 {
        let mut s = b1[i];
        for j in 0..4 {
            s += w1[i * 4 + j] * x[j];
        }
        h1[i] = s.tanh();
    }
    let mut out = b3[0];
    for i in 0..16 {
        let mut s = b2[i];
        for j in 0..16 {
            s += w2[i * 16 + j] * h1[j];
        }
        out += w3[i] * s.tanh();
    }
    let r = out - y;
    r * r
}

const W3_N: usize = 64 + 16 + 256 + 16 + 16 + 1;

fn w1() -> LossGrad {
    let d = data::w1();
    let (loss, g) = gradient(
        |v: SVector<DualSVec64<2>, 2>| w1_loss(v[0], v[1], &d.t_u, &d.t_c),
        &SVector::from([d.w, d.b]),
    );
    LossGrad { loss, grads: vec![vec![g[0]], vec![g[1]]] }
}

fn w2() -> LossGrad {
    let d = data::w2();
    let (loss, g) = gradient(
        |v: SVector<DualSVec64<2>, 2>| w2_loss(v[0], v[1], d.x, d.y),
        &SVector::from([d.w, d.b]),
    );
    LossGrad { loss, grads: vec![vec![g[0]], vec![g[1]]] }
}

fn w3_flat() -> (SVector<f64, W3_N>, [f64; 4], f64) {
    let d = data::w3();
    let flat: Vec<f64> = d.params.iter().flat_map(|a| a.data.iter().copied()).collect();
    (SVector::from_column_slice(&flat), d.x, d.y)
}

fn w3_grad(p: &SVector<f64, W3_N>, x: &[f64; 4], y: f64) -> (f64, SVector<f64, W3_N>) {
    gradient(|v: SVector<DualSVec64<W3_N>, W3_N>| w3_loss(v.as_slice(), x, y), p)
}

fn w3() -> LossGrad {
    let (p, x, y) = w3_flat();
    let (loss, g) = w3_grad(&p, &x, y);
    let mut grads = Vec::new();
    let mut at = 0;
    for n in [64, 16, 256, 16, 16, 1] {
        grads.push(g.as_slice()[at..at + n].to_vec());
        at += n;
    }
    LossGrad { loss, grads }
}

pub fn cases() -> Vec<Case> {

    let d1 = data::w1();
    let d2 = data::w2();
    let (p3, x3, y3) = w3_flat();
    vec![
        Case::new("W1", LIB, "gradient", Box::new(w1), Box::new(move || {
            let (t_u, t_c) = (bb(&d1.t_u), bb(&d1.t_c));
            bb(gradient(
                |v: SVector<DualSVec64<2>, 2>| w1_loss(v[0], v[1], t_u, t_c),
                &SVector::from([bb(d1.w), bb(d1.b)]),
            ));
        })),
        Case::new("W2", LIB, "gradient", Box::new(w2), Box::new(move || {
            let (x, y) = (bb(d2.x), bb(d2.y));
            bb(gradient(
                |v: SVector<DualSVec64<2>, 2>| w2_loss(v[0], v[1], x, y),
                &SVector::from([bb(d2.w), bb(d2.b)]),
            ));
        })),
        Case::new("W3", LIB, "gradient", Box::new(w3), Box::new(move || {
            bb(w3_grad(bb(&p3), bb(&x3), bb(y3)));
        })),
    ]
}
