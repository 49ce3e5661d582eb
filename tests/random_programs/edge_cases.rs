//! Hand-written programs at the edges of what the generator draws: scoping of
//! shadowed names in blocks, branches and loop bodies, closures whose body has
//! lets, an `if` or a call, `else if` chains, const-generic loop bounds, generic
//! scalars in `f32`, `detach` inside a loop, `&` parameters passed on to other
//! differentiable functions, and fan-out of one value to many uses. Each is checked
//! against central differences of the plain function.

use autograd::nalgebra::{RealField, SMatrix, SVector};
use autograd::prelude::*;
use autograd::testing::{check_vjp, Flat};

const TOL: f64 = 1e-6;

/// `grad` of a scalar function against central differences at `x`.
fn check<X: Flat>(what: &str, f: impl Fn(&X) -> f64, x: X, grad: X) {
    check_vjp(what, f, &x, &1.0, &grad, TOL);
}

type M22 = SMatrix<f64, 2, 2>;
type M23 = SMatrix<f64, 2, 3>;
type V3 = SVector<f64, 3>;

fn m22() -> M22 {
    M22::new(0.3, -0.5, 0.9, -0.2)
}

#[differentiable]
fn shadow_in_block(x: f64, y: f64) -> f64 {
    let r = {
        let x = x * 2.0;
        x + y
    };
    r * x
}

#[test]
fn shadowing_inside_a_block_ends_with_the_block() {
    let (v, g) = shadow_in_block::grad(0.7, -0.3);
    assert_eq!(v, shadow_in_block(0.7, -0.3));
    check(
        "shadow in block",
        |p: &(f64, f64)| shadow_in_block(p.0, p.1),
        (0.7, -0.3),
        (g.x, g.y),
    );
}

#[differentiable]
fn shadow_in_branch(x: f64, y: f64) -> f64 {
    let mut z = y;
    if x > 0.0 {
        let y = y * 3.0;
        z += y * x;
    }
    z * y
}

#[test]
fn shadowing_inside_a_branch_ends_with_the_branch() {
    for x in [0.7, -0.7] {
        let (v, g) = shadow_in_branch::grad(x, -0.3);
        assert_eq!(v, shadow_in_branch(x, -0.3));
        check(
            "shadow in branch",
            |p: &(f64, f64)| shadow_in_branch(p.0, p.1),
            (x, -0.3),
            (g.x, g.y),
        );
    }
}

#[differentiable]
fn shadow_in_loop(x: f64, v: &V3) -> f64 {
    let mut acc = x;
    for i in 0..3 {
        let step = acc * v[i];
        let x = step.sin();
        acc += x;
    }
    acc * x
}

#[test]
fn shadowing_inside_a_loop_body_ends_with_the_iteration() {
    let v = V3::new(0.3, -0.5, 0.9);
    let (val, g) = shadow_in_loop::grad(0.7, &v);
    assert_eq!(val, shadow_in_loop(0.7, &v));
    check(
        "shadow in loop",
        |p: &(f64, V3)| shadow_in_loop(p.0, &p.1),
        (0.7, v),
        (g.x, g.v),
    );
}

#[differentiable]
fn closure_with_if(m: &M23, s: f64) -> f64 {
    let leaky = m.map(|v| if v > 0.0 { v * s } else { v * 0.1 });
    leaky.sum()
}

#[differentiable]
fn closure_with_lets(m: &M22, s: f64) -> f64 {
    let l = m.map(|v| {
        let t = v * s;
        let t = t.tanh();
        t * v
    });
    l.sum()
}

#[differentiable]
fn helper(a: f64, b: f64) -> f64 {
    (a * b).sin() + a
}

#[differentiable]
fn closure_calls(m: &M22, s: f64) -> f64 {
    m.map(|v| helper(v, s)).sum()
}

#[test]
fn closures_with_branches_lets_and_calls() {
    let m = M23::new(0.3, -0.5, 0.9, -0.2, 0.4, -0.8);
    let (val, g) = closure_with_if::grad(&m, 1.3);
    assert_eq!(val, closure_with_if(&m, 1.3));
    check(
        "closure with if",
        |p: &(M23, f64)| closure_with_if(&p.0, p.1),
        (m, 1.3),
        (g.m, g.s),
    );

    let (val, g) = closure_with_lets::grad(&m22(), 1.3);
    assert_eq!(val, closure_with_lets(&m22(), 1.3));
    check(
        "closure with lets",
        |p: &(M22, f64)| closure_with_lets(&p.0, p.1),
        (m22(), 1.3),
        (g.m, g.s),
    );

    let (val, g) = closure_calls::grad(&m22(), 1.3);
    assert_eq!(val, closure_calls(&m22(), 1.3));
    check(
        "closure calls",
        |p: &(M22, f64)| closure_calls(&p.0, p.1),
        (m22(), 1.3),
        (g.m, g.s),
    );
}

#[differentiable]
fn else_if_chain(x: f64, y: f64) -> f64 {
    let z = if x > 1.0 {
        x * y
    } else if x > 0.0 {
        y.sin() * x
    } else {
        y
    };
    z * 2.0
}

#[test]
fn else_if_chains_take_each_arm() {
    for (x, y) in [(1.5, 0.3), (0.5, 0.3), (-0.5, 0.3)] {
        let (val, g) = else_if_chain::grad(x, y);
        assert_eq!(val, else_if_chain(x, y));
        check(
            "else if",
            |p: &(f64, f64)| else_if_chain(p.0, p.1),
            (x, y),
            (g.x, g.y),
        );
    }
}

#[differentiable]
fn generic_loop<const N: usize>(v: &SVector<f64, N>, s: f64) -> f64 {
    let mut acc = s;
    for i in 0..N {
        acc = (acc * v[i] + s).tanh();
    }
    acc
}

#[test]
fn const_generic_loop_bounds_at_several_sizes() {
    let v4 = SVector::<f64, 4>::new(0.3, -0.5, 0.9, 0.1);
    let (val, g) = generic_loop::grad(&v4, 0.6);
    assert_eq!(val, generic_loop(&v4, 0.6));
    check(
        "generic loop 4",
        |p: &(SVector<f64, 4>, f64)| generic_loop(&p.0, p.1),
        (v4, 0.6),
        (g.v, g.s),
    );
    let v1 = SVector::<f64, 1>::new(-0.8);
    let (_, g) = generic_loop::grad(&v1, 0.6);
    check(
        "generic loop 1",
        |p: &(SVector<f64, 1>, f64)| generic_loop(&p.0, p.1),
        (v1, 0.6),
        (g.v, g.s),
    );
}

#[differentiable]
fn generic_scalar<T: RealField + Copy>(x: T, m: &SMatrix<T, 2, 2>) -> T {
    let s = m.sum() * x;
    (s * s).sin() + m.norm() * x.tanh()
}

#[test]
fn generic_scalars_in_f64_and_f32() {
    let (val, g) = generic_scalar::grad(0.8, &m22());
    assert_eq!(val, generic_scalar(0.8, &m22()));
    check(
        "generic scalar",
        |p: &(f64, M22)| generic_scalar(p.0, &p.1),
        (0.8, m22()),
        (g.x, g.m),
    );
    let m32 = m22().map(|v| v as f32);
    let (v32, g32) = generic_scalar::grad(0.8f32, &m32);
    assert!((f64::from(v32) - val).abs() < 1e-5);
    assert!((f64::from(g32.x) - g.x).abs() < 1e-4);
    let gm: M22 = g32.m.map(f64::from);
    assert!((gm - g.m).abs().max() < 1e-4, "{gm} vs {}", g.m);
}

#[differentiable]
fn detach_in_loop(m: &M22, h0: &SVector<f64, 2>) -> f64 {
    let mut h = *h0;
    for i in 0..3 {
        let w = autograd::detach(*m * (i as f64));
        h = (w * h + m * h).tanh();
    }
    h.sum()
}

#[test]
fn detach_inside_a_loop_stops_only_that_path() {
    let (m, h0) = (m22(), SVector::<f64, 2>::new(0.4, -0.7));
    let (val, g) = detach_in_loop::grad(&m, &h0);
    assert_eq!(val, detach_in_loop(&m, &h0));
    // The reference holds the detached `m * i` at the base point.
    let frozen = |p: &(M22, SVector<f64, 2>)| {
        let mut h = p.1;
        for i in 0..3 {
            let w = m * (i as f64);
            h = (w * h + p.0 * h).map(f64::tanh);
        }
        h.sum()
    };
    check("detach in loop", frozen, (m, h0), (g.m, g.h0));
}

#[differentiable]
fn takes_refs(v: &V3, x: &f64) -> f64 {
    v.sum() * x.tanh() + x * v[1]
}

#[differentiable]
fn passes_refs_on(v: &V3, x: &f64, y: f64) -> f64 {
    takes_refs(v, x) * y + takes_refs(&(v * 2.0), &y)
}

#[test]
fn reference_parameters_passed_on_to_callees() {
    let v = V3::new(0.3, -0.5, 0.9);
    let (val, g) = passes_refs_on::grad(&v, &0.4, -0.7);
    assert_eq!(val, passes_refs_on(&v, &0.4, -0.7));
    check(
        "refs passed on",
        |p: &(V3, f64, f64)| passes_refs_on(&p.0, &p.1, p.2),
        (v, 0.4, -0.7),
        (g.v, g.x, g.y),
    );
}

#[differentiable]
fn matrix_compound_assignment(m: M22, s: f64) -> f64 {
    let mut a = m;
    a *= s;
    a /= s * s + 1.0;
    a += m * m;
    a -= m.transpose();
    let mut b = a.clone();
    b = (b * a).tanh();
    b.norm_squared() + a.max() - a.min()
}

#[test]
fn compound_assignment_on_matrices() {
    let (val, g) = matrix_compound_assignment::grad(m22(), 1.2);
    assert_eq!(val, matrix_compound_assignment(m22(), 1.2));
    check(
        "matrix compound assignment",
        |p: &(M22, f64)| matrix_compound_assignment(p.0, p.1),
        (m22(), 1.2),
        (g.m, g.s),
    );
}

#[differentiable]
fn fan_out(x: f64, m: M22) -> f64 {
    let a = x * x;
    let b = a * x;
    let (c, d) = (b, a);
    let same = x.max(x) + x.min(x);
    let mm = m.component_mul(&m).sum() + m.dot(&m) + (m * m).sum();
    c + d * x + x + same + mm
}

#[test]
fn one_value_used_many_times() {
    let (val, g) = fan_out::grad(0.7, m22());
    assert_eq!(val, fan_out(0.7, m22()));
    check(
        "fan out",
        |p: &(f64, M22)| fan_out(p.0, p.1),
        (0.7, m22()),
        (g.x, g.m),
    );
}

#[differentiable]
fn assignments_in_loop_branches(v: &V3, s: f64) -> f64 {
    let mut a = s;
    let mut b = 0.0;
    for i in 0..3 {
        if v[i] > 0.0 {
            a *= v[i];
        } else {
            b += a * v[i];
        }
    }
    a + b
}

#[test]
fn branches_inside_loops_assign_different_variables() {
    let v = V3::new(0.3, -0.5, 0.9);
    let (val, g) = assignments_in_loop_branches::grad(&v, 0.6);
    assert_eq!(val, assignments_in_loop_branches(&v, 0.6));
    check(
        "loop branches",
        |p: &(V3, f64)| assignments_in_loop_branches(&p.0, p.1),
        (v, 0.6),
        (g.v, g.s),
    );
}

#[differentiable]
fn unused_parameter(x: f64, y: f64) -> f64 {
    let _ = y;
    x * 2.0
}

#[test]
fn an_unused_parameter_gets_a_zero_gradient() {
    let (_, g) = unused_parameter::grad(1.0, 2.0);
    assert_eq!((g.x, g.y), (2.0, 0.0));
}

// ---------------------------------------------------------------------------
