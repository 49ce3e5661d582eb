//! `NAME::jacobian` in the static engine: against closed forms, against the
//! generated gradient (a scalar output's Jacobian is its gradient as a row), and
//! against central differences of the function itself, column by column, by
//! proptest over values; both strategies (one `jvp` per column when the output
//! has as many entries as the parameters or more, one `vjp` per row otherwise),
//! and no allocation.

use autograd::nalgebra::{SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, directional_derivative, Flat};
use proptest::prelude::*;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{assert_none_since, counts, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Polar to Cartesian coordinates: two outputs, two parameters (columns by `jvp`).
#[differentiable]
fn polar(r: f64, theta: f64) -> SVector<f64, 2> {
    Vector2::new(r * theta.cos(), r * theta.sin())
}

/// A spring's force on a point: three outputs, four differentiated entries
/// (rows by `vjp`).
#[differentiable]
fn spring_force(
    k: f64,
    x: &SVector<f64, 3>,
    #[constant] rest: &SVector<f64, 3>,
) -> SVector<f64, 3> {
    let d = x - rest;
    d * (-k * d.norm())
}

/// A scalar output: the Jacobian is the gradient as one row.
#[differentiable]
fn neuron(w: f64, b: f64, #[constant] x: f64) -> f64 {
    (w * x + b).tanh()
}

/// A matrix parameter and a matrix output: entries column by column on both sides.
#[differentiable]
fn layer(w: &SMatrix<f64, 2, 3>, v: &SVector<f64, 3>) -> SVector<f64, 2> {
    (w * v).map(|s| s.tanh())
}

/// Column `j` of a Jacobian of `f` at `x` by central differences.
fn numeric_column<X: Flat, Y: Flat>(f: impl Fn(&X) -> Y, x: &X, j: usize) -> Vec<f64> {
    let mut e = vec![0.0; x.flat().len()];
    e[j] = 1.0;
    let dir = x.unflatten(&mut &e[..]);
    directional_derivative(f, x, &dir)
}

#[test]
fn polar_matches_its_closed_form() {
    let (r, t) = (2.0, 0.7);
    let jac = polar::jacobian(r, t);
    let expected = SMatrix::<f64, 2, 2>::new(t.cos(), -r * t.sin(), t.sin(), r * t.cos());
    assert_close(jac.as_slice(), expected.as_slice(), 1e-15, "polar");
}

#[test]
fn scalar_output_is_the_gradient_as_a_row() {
    let jac = neuron::jacobian(-0.5, 0.5, 1.5);
    let (_, g) = neuron::grad(-0.5, 0.5, 1.5);
    assert_eq!(jac.shape(), (1, 2));
    assert_eq!((jac[(0, 0)], jac[(0, 1)]), (g.w, g.b));
}

#[test]
fn rows_by_vjp_match_the_closed_form() {
    // F = -k |d| d with d = x - rest: dF/dk = -|d| d, dF/dx = -k (|d| I + d d^T / |d|).
    let (k, x, rest) = (
        3.0,
        Vector3::new(1.0, -2.0, 0.5),
        Vector3::new(0.2, 0.1, -0.3),
    );
    let jac = spring_force::jacobian(k, &x, &rest);
    let d = x - rest;
    let n = d.norm();
    let dk = -d * n;
    let dx = -(SMatrix::<f64, 3, 3>::identity() * n + d * d.transpose() / n) * k;
    assert_close(jac.column(0).as_slice(), dk.as_slice(), 1e-14, "dF/dk");
    for j in 0..3 {
        assert_close(
            jac.column(j + 1).as_slice(),
            dx.column(j).as_slice(),
            1e-14,
            "dF/dx",
        );
    }
}

#[test]
fn a_static_jacobian_allocates_nothing() {
    let (w, v) = (
        SMatrix::<f64, 2, 3>::repeat(0.2),
        Vector3::new(1.0, 2.0, 3.0),
    );
    let (k, x, rest) = (3.0, Vector3::new(1.0, -2.0, 0.5), Vector3::zeros());
    let before = counts();
    let a = layer::jacobian(&w, &v);
    let b = spring_force::jacobian(k, &x, &rest);
    let c = polar::jacobian(1.0, 2.0);
    assert_none_since(before, "jacobian");
    assert_eq!((a.shape(), b.shape(), c.shape()), ((2, 9), (3, 4), (2, 2)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_column_matches_central_differences(
        w in prop::array::uniform6(-1.0f64..1.0),
        v in prop::array::uniform3(-1.0f64..1.0),
        r in 0.1f64..3.0,
        t in -3.0f64..3.0,
        k in 0.1f64..3.0,
    ) {
        let w = SMatrix::<f64, 2, 3>::from_column_slice(&w);
        let v = Vector3::from_column_slice(&v);
        let jac = layer::jacobian(&w, &v);
        for j in 0..9 {
            let col = numeric_column(|p: &(SMatrix<f64, 2, 3>, SVector<f64, 3>)| layer(&p.0, &p.1), &(w, v), j);
            assert_close(jac.column(j).as_slice(), &col, 1e-7, "layer");
        }
        let jac = polar::jacobian(r, t);
        for j in 0..2 {
            let col = numeric_column(|p: &(f64, f64)| polar(p.0, p.1), &(r, t), j);
            assert_close(jac.column(j).as_slice(), &col, 1e-7, "polar");
        }
        let rest = Vector3::new(0.3, -0.2, 0.1);
        let x = v + Vector3::new(2.0, 0.0, 0.0);
        let jac = spring_force::jacobian(k, &x, &rest);
        for j in 0..4 {
            let col = numeric_column(|p: &(f64, SVector<f64, 3>)| spring_force(p.0, &p.1, &rest), &(k, x), j);
            assert_close(jac.column(j).as_slice(), &col, 1e-7, "spring_force");
        }
    }
}
