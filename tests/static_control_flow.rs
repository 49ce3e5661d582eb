//! Control flow whose shape is known only at run time: `for` over a runtime
//! range, `while`, `loop` with `break` (and `break value`), `continue`, `return`
//! anywhere, `match` on a constant and `if let`. Each function's `grad`, `jvp` and `hvp` are checked against
//! central differences of the function as written (the iterations that ran are the
//! ones differentiated, so the differences are taken where the trip count does
//! not change within the step), and against closed forms.

use autograd::nalgebra::{SVector, Vector2};
use autograd::prelude::*;
use autograd::testing::{assert_close, central_difference, STEP};
use proptest::prelude::*;

const TOL: f64 = 1e-6;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(32)
}

/// The derivative of `f` at `x` by central differences.
fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    central_difference(|t| vec![f(x + t)], STEP * x.abs().max(1.0))[0]
}

/// `x^n` by `n` multiplications, `n` known at run time.
#[differentiable]
fn power(x: f64, #[constant] n: usize) -> f64 {
    let mut y = 1.0;
    for _ in 0..n {
        y *= x;
    }
    y
}

/// Halves until at most one: the trip count depends on the differentiated value.
#[differentiable]
fn halve_until_small(x: f64) -> f64 {
    let mut y = x;
    while y > 1.0 {
        y *= 0.5;
    }
    y * y
}

/// Newton's iteration for `sqrt(a)`, stopped by a tolerance.
#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a.max(1.0);
    loop {
        let fx = x * x - a;
        if fx.abs() < 1e-13 * a {
            break;
        }
        x = x - fx / (x + x);
    }
    x
}

/// The same iteration, its result given by `break value`.
#[differentiable]
fn newton_sqrt_value(a: f64) -> f64 {
    let mut x = a.max(1.0);
    let root = loop {
        let next = x - (x * x - a) / (x + x);
        if (next - x).abs() < 1e-14 * a {
            break next;
        }
        x = next;
    };
    root * 3.0
}

/// `continue` skips the even steps; `i as f64` casts a constant.
#[differentiable]
fn odd_terms(x: f64, #[constant] n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        if i % 2 == 0 {
            continue;
        }
        s += (x * i as f64).sin();
    }
    s
}

/// An early `return` outside and inside a loop.
#[differentiable]
fn first_above(x: f64, #[constant] limit: f64) -> f64 {
    if x < 0.0 {
        return -x * 2.0;
    }
    let mut y = x;
    for i in 0..100 {
        if y > limit {
            return y * (i as f64 + 1.0);
        }
        y = y * 1.5 + 0.1;
    }
    y
}

/// A spring integrated by explicit Euler steps, the step count known at run time.
#[differentiable]
fn spring(state: Vector2<f64>, k: f64, #[constant] dt: f64, #[constant] steps: usize) -> f64 {
    let mut s = state;
    for _ in 0..steps {
        let accel = -k * s[0];
        s = Vector2::new(s[0] + dt * s[1], s[1] + dt * accel);
    }
    s.norm_squared()
}

/// An inclusive constant range: the stack tape holds `N + 1` steps.
#[differentiable]
fn inclusive<const N: usize>(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..=N {
        s += x.powi(i as i32);
    }
    s
}

/// A `while` over a vector's length, with a `break` in the middle of the body.
#[differentiable]
fn partial_sum(v: SVector<f64, 4>, #[constant] stop: f64) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while i < v.len() {
        s += v[i] * v[i];
        if s > stop {
            break;
        }
        i += 1;
    }
    s
}

/// How a joint is driven: a constant the code matches on.
#[derive(Clone, Copy, Debug)]
pub enum Joint {
    /// A revolute joint: the angle enters through its sine.
    Revolute,
    /// A prismatic joint: the extension enters linearly, scaled.
    Prismatic(f64),
    /// A fixed joint.
    Fixed,
}

/// `match` on a constant: the arms return differentiated values; one arm binds a
/// constant, one has a guard.
#[differentiable]
fn joint_energy(q: f64, #[constant] joint: Joint, #[constant] stiff: bool) -> f64 {
    let mut e = q * q * 0.5;
    let drive = match joint {
        Joint::Revolute if stiff => q.sin() * 10.0,
        Joint::Revolute => q.sin(),
        Joint::Prismatic(scale) => {
            e += q * scale;
            q * scale
        }
        Joint::Fixed => 0.0,
    };
    e + drive
}

/// `if let` on a constant `Option`, and a `match` on an integer.
#[differentiable]
fn with_offset(x: f64, #[constant] offset: Option<f64>, #[constant] order: u32) -> f64 {
    let y = if let Some(o) = offset { x + o } else { x };
    match order {
        0 => y,
        1 => y * y,
        _ => y.powi(order as i32),
    }
}

/// Checks `grad`, `jvp` and the second derivative of `hvp` of a scalar function
/// of one scalar against central differences.
fn check_scalar(
    name: &str,
    f: impl Fn(f64) -> f64,
    grad: impl Fn(f64) -> (f64, f64),
    jvp: impl Fn(f64, f64) -> (f64, f64),
    hvp: impl Fn(f64, f64) -> (f64, f64, f64),
    x: f64,
) {
    let (v, g) = grad(x);
    assert_close(&[v], &[f(x)], 1e-13, &format!("{name} value"));
    assert_close(&[g], &[fd(&f, x)], TOL, &format!("{name} grad at {x}"));
    let (vj, t) = jvp(x, 0.7);
    assert_close(&[vj, t], &[f(x), 0.7 * g], 1e-12, &format!("{name} jvp"));
    let (vh, gh, h) = hvp(x, 1.0);
    assert_close(
        &[vh, gh],
        &[f(x), g],
        1e-12,
        &format!("{name} hvp first order"),
    );
    let fdh = fd(|t| grad(t).1, x);
    assert_close(&[h], &[fdh], 1e-5, &format!("{name} hvp at {x}"));
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn runtime_for(x in -1.5..1.5f64, n in 0usize..7) {
        check_scalar(
            "power",
            |x| power(x, n),
            |x| { let (v, g) = power::grad(x, n); (v, g.x) },
            |x, t| power::jvp(x, n, &power::Grad { x: t }),
            |x, t| { let (v, g, h) = power::hvp(x, n, &power::Grad { x: t }); (v, g.x, h.x) },
            x,
        );
        let (_, g) = power::grad(x, n);
        let closed = if n == 0 { 0.0 } else { n as f64 * x.powi(n as i32 - 1) };
        assert_close(&[g.x], &[closed], 1e-12, "d/dx x^n");
    }

    #[test]
    fn while_loop(x in 0.1..40.0f64) {
        // Away from the powers of two, where the trip count changes.
        prop_assume!((x.log2() - x.log2().round()).abs() > 1e-3);
        check_scalar(
            "halve_until_small",
            halve_until_small,
            |x| { let (v, g) = halve_until_small::grad(x); (v, g.x) },
            |x, t| halve_until_small::jvp(x, &halve_until_small::Grad { x: t }),
            |x, t| { let (v, g, h) = halve_until_small::hvp(x, &halve_until_small::Grad { x: t }); (v, g.x, h.x) },
            x,
        );
    }

    #[test]
    fn loop_break_newton(a in 0.2..50.0f64) {
        // The iterations that ran are differentiated; at convergence their
        // derivative is that of sqrt: 1 / (2 sqrt a).
        let (v, g) = newton_sqrt::grad(a);
        assert_close(&[v], &[a.sqrt()], 1e-12, "newton value");
        assert_close(&[g.a], &[0.5 / a.sqrt()], 1e-9, "newton derivative");
        let (_, _, h) = newton_sqrt::hvp(a, &newton_sqrt::Grad { a: 1.0 });
        assert_close(&[h.a], &[-0.25 * a.powf(-1.5)], 1e-6, "newton second derivative");
        let (v, g) = newton_sqrt_value::grad(a);
        assert_close(&[v, g.a], &[3.0 * a.sqrt(), 1.5 / a.sqrt()], 1e-9, "break value");
        let (_, t) = newton_sqrt_value::jvp(a, &newton_sqrt_value::Grad { a: 2.0 });
        assert_close(&[t], &[3.0 / a.sqrt()], 1e-9, "break value jvp");
    }

    #[test]
    fn continue_and_casts(x in -2.0..2.0f64, n in 0usize..9) {
        check_scalar(
            "odd_terms",
            |x| odd_terms(x, n),
            |x| { let (v, g) = odd_terms::grad(x, n); (v, g.x) },
            |x, t| odd_terms::jvp(x, n, &odd_terms::Grad { x: t }),
            |x, t| { let (v, g, h) = odd_terms::hvp(x, n, &odd_terms::Grad { x: t }); (v, g.x, h.x) },
            x,
        );
        let closed: f64 = (1..n).step_by(2).map(|i| i as f64 * (x * i as f64).cos()).sum();
        assert_close(&[odd_terms::grad(x, n).1.x], &[closed], 1e-12, "odd_terms closed form");
    }

    #[test]
    fn early_return(x in -3.0..3.0f64, limit in 1.0..30.0f64) {
        prop_assume!(x.abs() > 1e-3);
        // Away from the points where the returning iteration changes.
        let crosses = |x: f64| {
            let mut y = x;
            for i in 0..100 { if y > limit { return i; } y = y * 1.5 + 0.1; }
            100
        };
        let h = STEP * x.abs().max(1.0) * 10.0;
        prop_assume!(x < 0.0 || crosses(x - h) == crosses(x + h));
        check_scalar(
            "first_above",
            |x| first_above(x, limit),
            |x| { let (v, g) = first_above::grad(x, limit); (v, g.x) },
            |x, t| first_above::jvp(x, limit, &first_above::Grad { x: t }),
            |x, t| { let (v, g, h) = first_above::hvp(x, limit, &first_above::Grad { x: t }); (v, g.x, h.x) },
            x,
        );
    }

    #[test]
    fn spring_euler(p in -1.0..1.0f64, v in -1.0..1.0f64, k in 0.5..4.0f64, steps in 0usize..40) {
        let s = Vector2::new(p, v);
        let (val, g) = spring::grad(s, k, 0.01, steps);
        assert_close(&[val], &[spring(s, k, 0.01, steps)], 1e-13, "spring value");
        let fd_p = fd(|t| spring(Vector2::new(t, v), k, 0.01, steps), p);
        let fd_v = fd(|t| spring(Vector2::new(p, t), k, 0.01, steps), v);
        let fd_k = fd(|t| spring(s, t, 0.01, steps), k);
        assert_close(&[g.state[0], g.state[1], g.k], &[fd_p, fd_v, fd_k], TOL, "spring grad");
        let h = spring::hessian(s, k, 0.01, steps);
        let fd_hk = fd(|t| spring::grad(s, t, 0.01, steps).1.k, k);
        assert_close(&[h[(2, 2)]], &[fd_hk], 1e-5, "spring d2/dk2");
    }

    #[test]
    fn match_and_if_let(q in -2.0..2.0f64, scale in -2.0..2.0f64, order in 0u32..5,
                        off in prop::option::of(-1.0..1.0f64)) {
        for (joint, stiff) in [(Joint::Revolute, true), (Joint::Revolute, false),
                               (Joint::Prismatic(scale), false), (Joint::Fixed, true)] {
            check_scalar(
                "joint_energy",
                |q| joint_energy(q, joint, stiff),
                |q| { let (v, g) = joint_energy::grad(q, joint, stiff); (v, g.q) },
                |q, t| joint_energy::jvp(q, joint, stiff, &joint_energy::Grad { q: t }),
                |q, t| { let (v, g, h) = joint_energy::hvp(q, joint, stiff, &joint_energy::Grad { q: t }); (v, g.q, h.q) },
                q,
            );
        }
        let closed = q + 10.0 * q.cos();
        assert_close(&[joint_energy::grad(q, Joint::Revolute, true).1.q], &[closed], 1e-12, "revolute, stiff");
        check_scalar(
            "with_offset",
            |x| with_offset(x, off, order),
            |x| { let (v, g) = with_offset::grad(x, off, order); (v, g.x) },
            |x, t| with_offset::jvp(x, off, order, &with_offset::Grad { x: t }),
            |x, t| { let (v, g, h) = with_offset::hvp(x, off, order, &with_offset::Grad { x: t }); (v, g.x, h.x) },
            q,
        );
    }

    #[test]
    fn while_with_break(a in -2.0..2.0f64, b in -2.0..2.0f64, c in -2.0..2.0f64, d in -2.0..2.0f64,
                        stop in 0.5..6.0f64) {
        let v = SVector::<f64, 4>::new(a, b, c, d);
        let (s, g) = partial_sum::grad(v, stop);
        assert_close(&[s], &[partial_sum(v, stop)], 1e-13, "partial_sum value");
        // The gradient is 2 v_i on the entries summed before the break, 0 after.
        let mut acc = 0.0;
        let mut expected = [0.0; 4];
        for i in 0..4 {
            acc += v[i] * v[i];
            expected[i] = 2.0 * v[i];
            if acc > stop { break; }
        }
        assert_close(g.v.as_slice(), &expected, 1e-13, "partial_sum grad");
    }
}

#[test]
fn inclusive_range_has_n_plus_one_steps() {
    let (v, g) = inclusive::grad::<3>(2.0);
    assert_close(
        &[v, g.x],
        &[1.0 + 2.0 + 4.0 + 8.0, 1.0 + 4.0 + 12.0],
        1e-13,
        "1 + x + x^2 + x^3",
    );
}

#[test]
fn zero_iterations_give_zero_gradient() {
    let (v, g) = power::grad(3.0, 0);
    assert_eq!((v, g.x), (1.0, 0.0));
    let (v, g) = halve_until_small::grad(0.5);
    assert_eq!((v, g.x), (0.25, 1.0));
}
/// A variable assigned in one branch only: the other branch's pullback passes its
/// cotangent to the value from before the `if` (this gradient was lost once).
#[differentiable]
fn assigned_in_one_branch(x: f64) -> f64 {
    let mut r = x * 2.0;
    let y = x * 3.0;
    if x < 10.0 {
        r = y;
    }
    r
}

#[test]
fn a_branch_that_leaves_a_variable_passes_its_gradient_through() {
    assert_eq!(
        assigned_in_one_branch::grad(20.0),
        (40.0, assigned_in_one_branch::Grad { x: 2.0 })
    );
    assert_eq!(
        assigned_in_one_branch::grad(1.0),
        (3.0, assigned_in_one_branch::Grad { x: 3.0 })
    );
    let h = assigned_in_one_branch::hvp(20.0, &assigned_in_one_branch::Grad { x: 1.0 });
    assert_eq!((h.1.x, h.2.x), (2.0, 0.0));
}
