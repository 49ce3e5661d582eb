//! Methods: `#[differentiable]` on an `impl` block gives each differentiated method
//! the siblings `NAME_grad`, `NAME_vjp` and `NAME_jvp`, whose gradient is
//! `TYPE_NAME::Grad` (the module of the free function of the receiver that the
//! macro differentiates). The receiver is a constant, or a differentiated
//! parameter `this` under `#[differentiable(self)]`. Every derivative is checked
//! against central differences.

use autograd::nalgebra::{RealField, SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;
use autograd::testing::{assert_close, check_vjp, directional_derivative, numeric_gradient};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spring {
    pub k: f64,
    pub rest: f64,
}

#[differentiable]
impl Spring {
    /// The potential energy at extension `x`.
    pub fn energy(&self, x: f64) -> f64 {
        let d = x - self.rest;
        0.5 * self.k * d * d
    }

    /// Calls another differentiated method: differentiated through it.
    pub fn damped_energy(&self, x: f64, c: f64) -> f64 {
        self.energy(x) * (-c * x * x).exp() + Self::floor_energy(c)
    }

    /// An associated function, through `Self::`.
    fn floor_energy(c: f64) -> f64 {
        c.tanh() * Self::SCALE
    }

    /// By value, a vector output.
    pub fn pull(self, p: &Vector3<f64>) -> Vector3<f64> {
        let r = p.norm();
        p * (self.k * (r - self.rest) / r) + Self::offset(r)
    }

    fn offset(r: f64) -> Vector3<f64> {
        Vector3::new(r.sin(), 0.0, -r)
    }
}

impl Spring {
    const SCALE: f64 = 0.25;
}

/// Only the marked methods are differentiated; the others are left as written.
#[derive(Clone, Copy, Debug, PartialEq, Tangent)]
pub struct Pendulum {
    pub length: f64,
    pub mass: f64,
}

#[differentiable]
impl Pendulum {
    /// Not marked: a constructor, left alone.
    pub fn new(length: f64) -> Self {
        Pendulum { length, mass: 1.0 }
    }

    /// The period of small oscillations with its receiver differentiated.
    #[differentiable(self)]
    pub fn period(&self, g: f64) -> f64 {
        2.0 * core::f64::consts::PI * (self.length / g).sqrt() + 0.0 * self.mass
    }

    /// Energy after integrating the pendulum with a `while` loop (semi-implicit
    /// Euler until time `t_end`), differentiated in its start angle and receiver.
    #[differentiable(self)]
    pub fn energy_after(&self, theta0: f64, #[constant] t_end: f64) -> f64 {
        let dt = 0.01;
        let mut t = 0.0;
        let mut theta = theta0;
        let mut omega = 0.0;
        while t < t_end {
            omega -= dt * 9.81 / self.length * theta.sin();
            theta += dt * omega;
            t += dt;
        }
        let h = self.length * (1.0 - theta.cos());
        self.mass * (0.5 * self.length * self.length * omega * omega + 9.81 * h)
    }
}

/// Generic impls keep their generics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights<T, const N: usize> {
    pub w: SVector<T, N>,
}

#[differentiable]
impl<T: RealField + Copy, const N: usize> Weights<T, N> {
    pub fn score(&self, x: &SVector<T, N>) -> T {
        self.w.dot(x).tanh()
    }

    pub fn outer(&self, x: &SVector<T, N>) -> SMatrix<T, N, N> {
        self.w * x.transpose()
    }
}

#[test]
fn a_constant_receiver_gives_the_parameters_gradient() {
    let s = Spring { k: 2.0, rest: 1.0 };
    let (v, g) = s.energy_grad(3.0);
    assert_eq!(v, s.energy(3.0));
    assert_eq!((v, g.x), (4.0, 4.0));
    let numeric = numeric_gradient(|x: &f64| s.energy(*x), &3.0);
    assert_close(&[g.x], &numeric, 1e-8, "energy");

    let (v, d) = s.energy_jvp(3.0, &spring_energy::Grad { x: 0.5 });
    assert_eq!((v, d), (4.0, 2.0));
    let (v, pb) = s.energy_vjp(3.0);
    assert_eq!((v, pb(2.0).x), (4.0, 8.0));
    // The module of the free function holds the rest.
    let (_, _, hv) = spring_energy::hvp(&s, 3.0, &spring_energy::Grad { x: 1.0 });
    assert_eq!(hv.x, 2.0);
}

#[test]
fn a_method_calling_a_method_is_differentiated_through_it() {
    let s = Spring { k: 1.5, rest: 0.5 };
    let (v, g) = s.damped_energy_grad(1.2, 0.3);
    assert_eq!(v, s.damped_energy(1.2, 0.3));
    let numeric = numeric_gradient(|p: &(f64, f64)| s.damped_energy(p.0, p.1), &(1.2, 0.3));
    assert_close(&[g.x, g.c], &numeric, 1e-7, "damped energy");
    let (_, g) = Spring::floor_energy_grad(0.7);
    assert_close(
        &[g.c],
        &[0.25 * (1.0 - 0.7f64.tanh().powi(2))],
        1e-12,
        "floor energy",
    );
}

#[test]
fn a_receiver_by_value_with_a_vector_output() {
    let s = Spring { k: 3.0, rest: 0.8 };
    let p = Vector3::new(0.3, -1.1, 0.7);
    let u = Vector3::new(0.2, 0.9, -0.4);
    let (y, pb) = s.pull_vjp(&p);
    assert_eq!(y, s.pull(&p));
    let g: spring_pull::Grad = pb(u);
    check_vjp("pull", |p| s.pull(p), &p, &u, &g.p, 1e-7);
    let v = Vector3::new(1.0, 0.5, -0.25);
    let (_, d) = s.pull_jvp(&p, &spring_pull::Grad { p: v });
    let numeric = directional_derivative(|p| s.pull(p), &p, &v);
    assert_close(d.as_slice(), &numeric, 1e-7, "pull jvp");
}

#[test]
fn a_differentiated_receiver_is_the_field_this() {
    let p = Pendulum::new(2.0);
    let (t, g) = p.period_grad(9.81);
    assert_eq!(t, p.period(9.81));
    let numeric = numeric_gradient(
        |q: &(f64, f64, f64)| {
            Pendulum {
                length: q.0,
                mass: q.1,
            }
            .period(q.2)
        },
        &(2.0, 1.0, 9.81),
    );
    assert_close(&[g.this.length, g.this.mass, g.g], &numeric, 1e-7, "period");
    // The closed form: dT/dL = T / 2L, dT/dg = -T / 2g.
    assert_close(
        &[g.this.length, g.g],
        &[t / 4.0, -t / (2.0 * 9.81)],
        1e-12,
        "period closed form",
    );
}

#[test]
fn a_differentiated_receiver_through_a_while_loop() {
    let p = Pendulum {
        length: 1.3,
        mass: 0.7,
    };
    let (e, g) = p.energy_after_grad(0.4, 1.0);
    assert_eq!(e, p.energy_after(0.4, 1.0));
    let numeric = numeric_gradient(
        |q: &(f64, f64, f64)| {
            Pendulum {
                length: q.0,
                mass: q.1,
            }
            .energy_after(q.2, 1.0)
        },
        &(1.3, 0.7, 0.4),
    );
    assert_close(
        &[g.this.length, g.this.mass, g.theta0],
        &numeric,
        1e-6,
        "energy after the loop",
    );
}

#[test]
fn a_generic_impl() {
    let m = Weights {
        w: Vector2::new(0.5, -0.3),
    };
    let x = Vector2::new(1.0, 2.0);
    let (s, g) = m.score_grad(&x);
    assert_eq!(s, m.score(&x));
    let numeric = numeric_gradient(|x: &Vector2<f64>| m.score(x), &x);
    assert_close(g.x.as_slice(), &numeric, 1e-8, "score");
    let u = SMatrix::<f64, 2, 2>::new(1.0, -2.0, 0.5, 3.0);
    let (_, pb) = m.outer_vjp(&x);
    let g: weights_outer::Grad<f64, 2> = pb(u);
    check_vjp("outer", |x| m.outer(x), &x, &u, &g.x, 1e-8);
    // f32 too.
    let m = Weights {
        w: Vector2::new(0.5f32, -0.3),
    };
    let (_, g) = m.score_grad(&Vector2::new(1.0, 2.0));
    assert!((g.x[0] - 0.5 * (1.0 - (-0.1f32).tanh().powi(2))).abs() < 1e-6);
}

proptest! {
    #[test]
    fn methods_match_central_differences(
        k in 0.1f64..4.0, rest in -1.0f64..1.0, x in -2.0f64..2.0, c in 0.0f64..1.0,
        p in prop::array::uniform3(0.5f64..2.0), u in prop::array::uniform3(-1.0f64..1.0),
        length in 0.5f64..2.0, theta0 in -0.8f64..0.8,
    ) {
        let s = Spring { k, rest };
        let (_, g) = s.damped_energy_grad(x, c);
        let numeric = numeric_gradient(|q: &(f64, f64)| s.damped_energy(q.0, q.1), &(x, c));
        assert_close(&[g.x, g.c], &numeric, 1e-6, "damped energy");

        let (p, u) = (Vector3::from(p), Vector3::from(u));
        let (_, pb) = s.pull_vjp(&p);
        check_vjp("pull", |p| s.pull(p), &p, &u, &pb(u).p, 1e-6);

        let pend = Pendulum { length, mass: k };
        let (_, g) = pend.energy_after_grad(theta0, 0.5);
        let numeric = numeric_gradient(
            |q: &(f64, f64, f64)| Pendulum { length: q.0, mass: q.1 }.energy_after(q.2, 0.5),
            &(length, k, theta0),
        );
        assert_close(&[g.this.length, g.this.mass, g.theta0], &numeric, 1e-5, "pendulum");
    }
}
