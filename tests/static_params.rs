//! The vector-space operations of a parameter set (`Params`), checked on a nested
//! struct deriving `Tangent` against the same arithmetic written field by field.

use autograd::nalgebra::{SMatrix, SVector};
use autograd::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
struct Dense<const I: usize, const O: usize> {
    w: SMatrix<f64, O, I>,
    b: SVector<f64, O>,
}

/// A scalar, a generic nested struct twice, and a matrix, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
struct Model {
    temperature: f64,
    first: Dense<2, 3>,
    second: Dense<3, 1>,
    extra: SMatrix<f64, 2, 2>,
}

/// A model whose entries, in visiting order, are `f(0), f(1), ...`.
fn model(f: impl Fn(usize) -> f64) -> Model {
    // Matrices are visited column by column: entry (r, c) of an R-row matrix
    // starting at `at` is number `at + r + R c`.
    Model {
        temperature: f(0),
        first: Dense {
            w: SMatrix::from_fn(|r, c| f(1 + r + 3 * c)),
            b: SVector::from_fn(|r, _| f(7 + r)),
        },
        second: Dense {
            w: SMatrix::from_fn(|_, c| f(10 + c)),
            b: SVector::from_element(f(13)),
        },
        extra: SMatrix::from_fn(|r, c| f(14 + r + 2 * c)),
    }
}

const N: usize = 18;

/// The same arithmetic written out field by field.
fn by_hand(a: &Model, b: &Model, f: impl Fn(f64, f64) -> f64) -> Model {
    Model {
        temperature: f(a.temperature, b.temperature),
        first: Dense {
            w: a.first.w.zip_map(&b.first.w, &f),
            b: a.first.b.zip_map(&b.first.b, &f),
        },
        second: Dense {
            w: a.second.w.zip_map(&b.second.w, &f),
            b: a.second.b.zip_map(&b.second.b, &f),
        },
        extra: a.extra.zip_map(&b.extra, &f),
    }
}

fn a() -> Model {
    model(|i| 0.5 * i as f64 - 3.0)
}

fn b() -> Model {
    model(|i| (i as f64).sin())
}

#[test]
fn entries_follow_declaration_order_and_columns() {
    let m = model(|i| i as f64);
    let got: Vec<f64> = m.entries().copied().collect();
    let want: Vec<f64> = (0..N).map(|i| i as f64).collect();
    assert_eq!(got, want);
    assert_eq!(m.first.w[(2, 1)], 6.0);
}

#[test]
fn slices_are_the_entries_in_runs_one_per_field() {
    let mut m = model(|i| i as f64);
    let lengths: Vec<usize> = m.slices().map(<[f64]>::len).collect();
    assert_eq!(lengths, [1, 6, 3, 3, 1, 4]);
    let flat: Vec<f64> = m.slices().flatten().copied().collect();
    assert_eq!(flat, (0..N).map(|i| i as f64).collect::<Vec<_>>());
    for run in m.slices_mut() {
        run.iter_mut().for_each(|v| *v += 100.0);
    }
    assert_eq!(m, model(|i| i as f64 + 100.0));
    // A tuple of parameter sets chains its members' runs.
    let pair = (2.0f64, SVector::<f64, 3>::new(3.0, 4.0, 5.0));
    let runs: Vec<&[f64]> = pair.slices().collect();
    assert_eq!(runs, [&[2.0][..], &[3.0, 4.0, 5.0][..]]);
}

#[test]
fn zero_add_sub_and_accumulate() {
    let (a, b) = (a(), b());
    let zero = a.zero_like();
    assert!(zero.entries().all(|&v| v == 0.0));
    assert_eq!(zero, model(|_| 0.0));
    assert_eq!(a.add(&b), by_hand(&a, &b, |x, y| x + y));
    assert_eq!(a.sub(&b), by_hand(&a, &b, |x, y| x - y));
    assert_eq!(a.add(&zero), a);
    let mut acc = a;
    acc.accumulate(b);
    assert_eq!(acc, a.add(&b));
}

#[test]
fn scale_and_add_scaled() {
    let (a, b) = (a(), b());
    assert_eq!(a.scale(-2.5), by_hand(&a, &a, |x, _| -2.5 * x));
    let mut s = a;
    s.scale_mut(-2.5);
    assert_eq!(s, a.scale(-2.5));
    let mut p = a;
    p.add_scaled(0.25, &b);
    assert_eq!(p, by_hand(&a, &b, |x, y| x + 0.25 * y));
    // Hand computation of one entry: first.b[1] is entry 8.
    assert_eq!(p.first.b[1], (0.5 * 8.0 - 3.0) + 0.25 * 8f64.sin());
}

#[test]
fn map_and_zip_map() {
    let (a, b) = (a(), b());
    assert_eq!(a.map(|v| v * v + 1.0), by_hand(&a, &a, |x, _| x * x + 1.0));
    assert_eq!(
        a.zip_map(&b, |x, y| x.max(y)),
        by_hand(&a, &b, |x, y| x.max(y))
    );
    // Entries are visited in order: a counter records the visiting order.
    let mut k = 0.0;
    let order = a.map(|_| {
        k += 1.0;
        k - 1.0
    });
    assert_eq!(order, model(|i| i as f64));
}

#[test]
fn dot_and_norm() {
    let (a, b) = (a(), b());
    let want: f64 = (0..N)
        .map(|i| (0.5 * i as f64 - 3.0) * (i as f64).sin())
        .sum();
    assert!((a.dot(&b) - want).abs() < 1e-12, "{} vs {want}", a.dot(&b));
    let sq: f64 = (0..N).map(|i| (0.5 * i as f64 - 3.0).powi(2)).sum();
    assert!((a.norm_squared() - sq).abs() < 1e-12);
    assert!((a.norm() - sq.sqrt()).abs() < 1e-12);
    // The same through the fields: the dot products of the parts add up.
    let parts = a.temperature * b.temperature
        + a.first.w.dot(&b.first.w)
        + a.first.b.dot(&b.first.b)
        + a.second.w.dot(&b.second.w)
        + a.second.b.dot(&b.second.b)
        + a.extra.dot(&b.extra);
    assert!((a.dot(&b) - parts).abs() < 1e-12);
}

#[test]
fn a_hand_written_optimizer_with_the_operations() {
    // Gradient descent with momentum and norm clipping on sum_i (p_i - t_i)^2,
    // written against `Params` only: it works for any derived struct.
    fn descend<P: Params<Scalar = f64>>(p: &mut P, target: &P, steps: usize) {
        let mut velocity = p.zero_like();
        for _ in 0..steps {
            let mut g = p.sub(target).scale(2.0);
            let n = g.norm();
            if n > 1.0 {
                g.scale_mut(1.0 / n);
            }
            velocity = velocity.scale(0.9).add(&g);
            p.add_scaled(-0.05, &velocity);
        }
    }
    let mut p = a();
    let target = b();
    descend(&mut p, &target, 400);
    assert!(p.sub(&target).norm() < 1e-6, "{}", p.sub(&target).norm());
}

#[test]
fn matrices_and_scalars_agree_with_nalgebra() {
    // On a matrix the method-call syntax picks nalgebra's inherent methods; the
    // trait's versions compute the same.
    let m = SMatrix::<f64, 2, 3>::from_fn(|r, c| (r * 3 + c) as f64 - 2.0);
    let n = SMatrix::<f64, 2, 3>::from_fn(|r, c| (r + c) as f64 * 0.5);
    assert_eq!(Params::dot(&m, &n), m.dot(&n));
    assert_eq!(Params::norm(&m), m.norm());
    assert_eq!(Params::scale(&m, 3.0), m.scale(3.0));
    assert_eq!(Params::map(&m, |v| v.abs()), m.abs());
    assert_eq!(Params::add(&m, &n), m + n);
    assert_eq!(Params::dot(&2.0, &-4.0), -8.0);
    let t = (1.0, SVector::<f64, 2>::new(2.0, 3.0));
    assert_eq!(t.dot(&t), 14.0);
}
