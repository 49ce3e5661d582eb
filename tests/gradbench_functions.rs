//! The functions of our GradBench tool (`bench-peers/gradbench/src/evals/`), in
//! both variants where both exist: each derivative against central differences
//! of the objective, and the two variants' values against each other, on small
//! generated inputs.

#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/ba.rs"]
mod ba;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/descent.rs"]
mod descent;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/det.rs"]
mod det;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/gmm.rs"]
mod gmm;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/hello.rs"]
mod hello;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/ht.rs"]
mod ht;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/kmeans.rs"]
mod kmeans;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/llsq.rs"]
mod llsq;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/lse.rs"]
mod lse;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/lstm.rs"]
mod lstm;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/ode.rs"]
mod ode;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/particle.rs"]
mod particle;
#[allow(dead_code)]
#[path = "../bench-peers/gradbench/src/evals/saddle.rs"]
mod saddle;

use autograd::nalgebra::{SVector, Vector2, Vector3};
use autograd::testing::{assert_close, check_vjp, numeric_gradient};
use autograd::Tensor;
use saddle::Mode;

/// Deterministic numbers in `[-1, 1)` (a linear congruential generator).
fn numbers(seed: u64, len: usize) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// The central-difference gradient of `f` at `x`, a slice of any length.
fn numeric(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    autograd::testing::central_gradient(f, x)
}

#[test]
fn hello_double_is_the_gradient_of_square() {
    for x in [-1.5, 0.0, 3.0] {
        let expected = numeric_gradient(|x: &f64| hello::square(*x), &x);
        assert_close(&[hello::static_double(x)], &expected, 1e-8, "static double");
        assert_close(&[hello::tape_double(x)], &expected, 1e-8, "tape double");
        assert_eq!(hello::tape_square(x), hello::square(x));
    }
}

#[test]
fn llsq_gradients_match_central_differences() {
    for (m, n) in [(1, 3), (4, 9), (8, 16)] {
        let x = numbers(m as u64, m);
        let input = llsq::Input { x: x.clone(), n };
        let at = |x: &[f64]| llsq::tape_primal(&llsq::Input { x: x.to_vec(), n });
        let expected = numeric(at, &x);
        let primal = llsq::static_primal(&input).expect("a compiled size");
        assert_close(
            &[llsq::tape_primal(&input)],
            &[primal],
            1e-12,
            "llsq primal",
        );
        let g = llsq::static_gradient(&input).expect("a compiled size");
        assert_close(&g, &expected, 1e-6, "llsq static gradient");
        assert_close(
            &llsq::tape_gradient(&input),
            &expected,
            1e-6,
            "llsq tape gradient",
        );
    }
    let odd = llsq::Input {
        x: vec![0.5; 9],
        n: 4,
    };
    assert!(
        llsq::static_primal(&odd).is_none(),
        "9 is not a compiled size"
    );
}

#[test]
fn lse_gradients_match_central_differences() {
    for len in [1, 2, 7, 40] {
        let x: Vec<f64> = numbers(len as u64, len).iter().map(|v| 50.0 * v).collect();
        let expected = numeric(lse::static_primal, &x);
        let naive = x.iter().map(|v| v.exp()).sum::<f64>().ln();
        assert_close(&[lse::static_primal(&x)], &[naive], 1e-12, "lse primal");
        assert_close(&[lse::tape_primal(&x)], &[naive], 1e-12, "lse tape primal");
        assert_close(
            &lse::static_gradient(&x),
            &expected,
            1e-6,
            "lse static gradient",
        );
        assert_close(
            &lse::tape_gradient(&x),
            &expected,
            1e-6,
            "lse tape gradient",
        );
    }
}

#[test]
fn det_gradient_matches_central_differences() {
    for ell in [1, 2, 3, 4] {
        let a = numbers(ell as u64 + 10, ell * ell);
        let expected = numeric(|a: &[f64]| det::tape_primal(a, ell), &a);
        assert_close(
            &det::tape_gradient(&a, ell),
            &expected,
            1e-7,
            "det tape gradient",
        );
    }
    // The expansion gives the determinant: 2 x 2 and a triangular 3 x 3.
    assert_close(
        &[det::tape_primal(&[1.0, 2.0, 3.0, 4.0], 2)],
        &[-2.0],
        1e-15,
        "2 x 2",
    );
    let tri = [2.0, 5.0, 7.0, 0.0, 3.0, 1.0, 0.0, 0.0, -4.0];
    assert_close(&[det::tape_primal(&tri, 3)], &[-24.0], 1e-15, "triangular");
}

fn gmm_input(d: usize, k: usize, n: usize, m: usize) -> gmm::Input {
    let ls = d * (d - 1) / 2;
    gmm::Input {
        d,
        k,
        n,
        alpha: numbers(1, k),
        mu: numbers(2, k * d),
        q: numbers(3, k * d).iter().map(|v| 0.5 * v).collect(),
        l: numbers(4, k * ls),
        x: numbers(5, n * d),
        m,
        gamma: 1.3,
    }
}

#[test]
fn gmm_gradient_matches_central_differences() {
    for (d, k, n, m) in [(2, 3, 4, 0), (3, 2, 5, 2)] {
        let input = gmm_input(d, k, n, m);
        let g = gmm::tape_jacobian(&input);
        let sizes = [k, k * d, k * d];
        let flat: Vec<f64> = [&input.alpha, &input.mu, &input.q, &input.l]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let at = |c: &[f64]| {
            let (alpha, rest) = c.split_at(sizes[0]);
            let (mu, rest) = rest.split_at(sizes[1]);
            let (q, l) = rest.split_at(sizes[2]);
            gmm::tape_objective(&gmm::Input {
                alpha: alpha.to_vec(),
                mu: mu.to_vec(),
                q: q.to_vec(),
                l: l.to_vec(),
                x: input.x.clone(),
                ..input
            })
        };
        let expected = numeric(at, &flat);
        let got: Vec<f64> = [g.alpha, g.mu, g.q, g.l].concat();
        assert_close(&got, &expected, 1e-6, "gmm tape gradient");
    }
}

/// The log posterior of one component and one point in one dimension, by the
/// densities themselves: `log(N(x; mu, 1/e^{2q}) W(e^{2q}; 1/gamma^2, 2 + m))`.
#[test]
fn gmm_objective_is_the_log_posterior_in_one_dimension() {
    let (x, mu, q, m, gamma) = (0.3f64, -0.2f64, 0.4f64, 1usize, 1.3f64);
    let input = gmm::Input {
        d: 1,
        k: 1,
        n: 1,
        alpha: vec![0.7],
        mu: vec![mu],
        q: vec![q],
        l: vec![],
        x: vec![x],
        m,
        gamma,
    };
    let precision = (2.0 * q).exp();
    let normal = (-0.5 * precision * (x - mu).powi(2)).exp()
        * (precision / (2.0 * std::f64::consts::PI)).sqrt();
    // Wishart in one dimension with V = 1/gamma^2, n = 2 + m: a gamma density in
    // the precision, shape n/2, scale 2V; Gamma(3/2) = sqrt(pi)/2.
    let shape = (2 + m) as f64 / 2.0;
    let scale = 2.0 / (gamma * gamma);
    let wishart = precision.powf(shape - 1.0) * (-precision / scale).exp()
        / (scale.powf(shape) * std::f64::consts::PI.sqrt() / 2.0);
    let expected = (normal * wishart).ln();
    assert_close(
        &[gmm::tape_objective(&input)],
        &[expected],
        1e-12,
        "gmm objective",
    );
}

type Observation = (SVector<f64, 11>, Vector3<f64>, f64);

#[test]
fn ba_jacobians_match_central_differences() {
    let cam = [
        0.1, -0.2, 0.3, 0.5, 0.4, -0.3, 400.0, 10.0, -5.0, 1e-3, 1e-6,
    ];
    let zero_rotation = [0.0, 0.0, 0.0, 0.5, 0.4, -0.3, 400.0, 10.0, -5.0, 1e-3, 1e-6];
    for cam in [cam, zero_rotation] {
        let (x, w, feat) = ([1.0, 2.0, 8.0], 0.8, [200.0, 100.0]);
        let (n, m, p) = (2, 3, 5);
        let input = ba::Input::duplicate(n, m, p, &cam, &x, w, &feat);
        let obs: Observation = (SVector::from(cam), Vector3::from(x), w);
        let f = Vector2::from(feat);
        let stat = ba::static_jacobian(&input);
        let tape = ba::tape_jacobian(&input);
        assert_eq!(stat.rows, tape.rows);
        assert_eq!(stat.cols, tape.cols);
        assert_eq!(stat.rows.len(), 3 * p + 1);
        for r in 0..2 {
            // Row r of the first observation's block, by the vector-Jacobian product
            // with the r-th unit cotangent.
            let mut u = Vector2::zeros();
            u[r] = 1.0;
            let block = |jac: &ba::SparseJacobian| -> Observation {
                let v = &jac.vals[15 * r..15 * (r + 1)];
                (
                    SVector::from_column_slice(&v[..11]),
                    Vector3::from_column_slice(&v[11..14]),
                    v[14],
                )
            };
            let reproj = |o: &Observation| ba::reprojection(&o.0, &o.1, o.2, &f);
            check_vjp("ba static block", reproj, &obs, &u, &block(&stat), 1e-6);
            check_vjp("ba tape block", reproj, &obs, &u, &block(&tape), 1e-6);
        }
        let dw = numeric_gradient(|w: &f64| ba::weight_error(*w), &w);
        assert_close(&stat.vals[stat.vals.len() - 1..], &dw, 1e-8, "static w_err");
        assert_close(&tape.vals[tape.vals.len() - 1..], &dw, 1e-8, "tape w_err");
        let (so, to) = (ba::static_objective(&input), ba::tape_objective(&input));
        assert_close(&to.reproj_err, &so.reproj_err, 1e-12, "ba objective");
        assert_close(&to.w_err, &so.w_err, 1e-12, "ba w_err");
    }
}

fn kmeans_input(d: usize, k: usize, n: usize) -> kmeans::Input {
    let points: Vec<f64> = numbers(d as u64 + 20, n * d);
    // As the eval: the last k points are the centroids, so none is empty.
    let centroids = points[(n - k) * d..].to_vec();
    kmeans::Input {
        points,
        centroids,
        d,
    }
}

#[test]
fn kmeans_direction_is_the_gradient_over_the_hessian_diagonal() {
    for (d, k, n) in [(1, 2, 7), (2, 3, 10), (3, 4, 25)] {
        let input = kmeans_input(d, k, n);
        let cost_at = |c: &[f64]| {
            kmeans::tape_cost(&kmeans::Input {
                points: input.points.clone(),
                centroids: c.to_vec(),
                d,
            })
        };
        let c = &input.centroids;
        let cost = kmeans::static_cost(&input).expect("a compiled d");
        assert_close(&[kmeans::tape_cost(&input)], &[cost], 1e-12, "kmeans cost");
        assert_close(&[cost_at(c)], &[cost], 1e-12, "kmeans cost");
        // J by central differences, H's diagonal by second differences (the cost
        // is quadratic in each centroid near c, so both are exact up to rounding).
        let jac = numeric(cost_at, c);
        let h = 1e-3;
        let expected: Vec<f64> = (0..c.len())
            .map(|i| {
                let mut up = c.clone();
                up[i] += h;
                let mut down = c.clone();
                down[i] -= h;
                let second = (cost_at(&up) - 2.0 * cost + cost_at(&down)) / (h * h);
                jac[i] / second
            })
            .collect();
        let stat = kmeans::static_dir(&input).expect("a compiled d");
        assert_close(&stat, &expected, 1e-6, "kmeans static dir");
        assert_close(
            &kmeans::tape_dir(&input),
            &expected,
            1e-6,
            "kmeans tape dir",
        );
    }
    assert!(
        kmeans::static_cost(&kmeans_input(5, 2, 4)).is_none(),
        "5 is not compiled"
    );
}

#[test]
fn ode_gradient_matches_central_differences() {
    for (n, s) in [(1, 1), (3, 2), (6, 4)] {
        let x: Vec<f64> = numbers(n as u64 + 30, n)
            .iter()
            .map(|v| 0.5 + 0.5 * v)
            .collect();
        let last = |x: &[f64]| ode::tape_primal(x, s)[n - 1];
        assert_close(
            &ode::tape_gradient(&x, s),
            &numeric(last, &x),
            1e-7,
            "ode gradient",
        );
    }
    // With n <= 4 the solution is a polynomial of degree <= 4 in t, which the
    // Runge-Kutta steps integrate exactly: y_{n-1}(2) = x_0 .. x_{n-1} 2^n / n!.
    let x = [0.3, 0.9, 0.5, 0.7];
    let y = ode::tape_primal(&x, 1);
    let exact = x.iter().product::<f64>() * 16.0 / 24.0;
    assert_close(&[y[3]], &[exact], 1e-14, "ode closed form");
}

/// An lstm input as the eval draws it: parameters and state in `[0, 1)`, the
/// sequence of bits.
fn lstm_input(l: usize, b: usize, c: usize) -> lstm::Input {
    let unit =
        |seed, len| -> Vec<f64> { numbers(seed, len).iter().map(|v| 0.5 + 0.5 * v).collect() };
    let bits = numbers(l as u64 + 50, c * b)
        .iter()
        .map(|&v| f64::from(u8::from(v > 0.0)))
        .collect();
    lstm::Input::new(
        unit(l as u64 + 40, 8 * l * b),
        2 * l,
        unit(l as u64 + 41, 3 * b),
        unit(l as u64 + 42, 2 * l * b),
        bits,
        c,
    )
    .unwrap()
}

#[test]
fn lstm_jacobians_match_central_differences() {
    for (l, b, c) in [(1, 1, 2), (1, 3, 3), (2, 4, 5), (3, 2, 4)] {
        let input = lstm_input(l, b, c);
        let split = 8 * l * b;
        let at = |p: &[f64]| {
            let mut inp = lstm_input(l, b, c);
            inp.main_params = p[..split].to_vec();
            inp.extra_params = p[split..].to_vec();
            lstm::static_objective(&inp)
        };
        let params = [input.main_params.clone(), input.extra_params.clone()].concat();
        let expected = numeric(at, &params);
        let what = format!("lstm l = {l}, b = {b}, c = {c}");
        assert_close(
            &[lstm::tape_objective(&input)],
            &[lstm::static_objective(&input)],
            1e-14,
            &what,
        );
        assert_close(&lstm::static_jacobian(&input), &expected, 1e-7, &what);
        assert_close(&lstm::tape_jacobian(&input), &expected, 1e-7, &what);
    }
}

#[test]
fn lstm_objective_by_hand_for_one_cell() {
    // l = 1, b = 1, c = 2: one step of one cell.
    let input = lstm_input(1, 1, 2);
    let (m, e, s, q) = (
        &input.main_params,
        &input.extra_params,
        &input.state,
        &input.sequence,
    );
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let x = q[0] * e[0];
    let k = s[1] * sig(x * m[0] + m[4]) + sig(s[0] * m[1] + m[5]) * (s[0] * m[3] + m[7]).tanh();
    let h = sig(x * m[2] + m[6]) * k.tanh();
    let y = h * e[1] + e[2];
    let expected = -q[1] * (y - (2.0 + y.exp()).ln());
    assert_close(
        &[lstm::static_objective(&input)],
        &[expected],
        1e-14,
        "lstm by hand",
    );
}

fn unit2(i: usize) -> Vector2<f64> {
    descent::unit(i)
}

#[test]
fn saddle_nested_gradients_match_central_differences() {
    let s = Vector2::new(1.0, 1.0);
    for p1 in [Vector2::new(0.3, -0.7), Vector2::new(1.0, 1.0)] {
        let fd = numeric_gradient(|p: &Vector2<f64>| saddle::max_r(*p, s), &p1);
        assert_close(
            &[saddle::max_f(p1, s)],
            &[saddle::max_r(p1, s)],
            1e-15,
            "max",
        );
        assert_close(saddle::max_r::grad(p1, s).1.p1.as_slice(), &fd, 1e-6, "rr");
        assert_close(saddle::max_f::grad(p1, s).1.p1.as_slice(), &fd, 1e-6, "rf");
        for (i, &d) in fd.iter().enumerate() {
            let g = saddle::max_r::Grad { p1: unit2(i) };
            let fr = saddle::max_r::jvp(p1, s, &g).1;
            let ff = saddle::max_f::jvp(p1, s, &saddle::max_f::Grad { p1: g.p1 }).1;
            assert_close(&[fr, ff], &[d, d], 1e-6, "fr, ff");
        }
        // The tape, reverse over both inner modes (one outer gradient each).
        for inner in [Mode::Reverse, Mode::Forward] {
            let p = saddle::tensor(&p1).requires_grad_(true);
            let v = saddle::tape_max(&p, &s, inner, true);
            assert_close(&[v.item()], &[saddle::max_r(p1, s)], 1e-12, "tape max");
            let g = saddle::tape_gradient(Mode::Reverse, &v, &p, false);
            assert_close(&g.to_vec::<f64>(), &fd, 1e-6, "tape outer gradient");
        }
    }
    // The whole eval, static: the point GradBench expects, to the last bits.
    for f in ["rr", "rf", "fr", "ff"] {
        let (outer, inner) = saddle::modes(f).unwrap();
        let r = saddle::static_saddle([1.0, 1.0], outer, inner);
        assert_close(&r, &[8.246324826140356e-06; 4], 1e-15, f);
    }
}

#[test]
fn particle_nested_gradients_match_central_differences() {
    // The forces are gradients of the potential, their pullbacks its Hessian.
    for (x, w) in [(Vector2::new(0.5, 8.0), 0.0), (Vector2::new(6.0, 3.0), 0.3)] {
        let fd = numeric_gradient(|x: &Vector2<f64>| particle::potential(*x, w), &x);
        let minus: Vec<f64> = fd.iter().map(|v| -v).collect();
        assert_close(particle::force_r(x, w).as_slice(), &minus, 1e-7, "force_r");
        assert_close(particle::force_f(x, w).as_slice(), &minus, 1e-7, "force_f");
        let u = Vector2::new(0.7, -1.3);
        let f_r = |o: &(Vector2<f64>, f64)| particle::force_r(o.0, o.1);
        let g = particle::force_r::vjp(x, w).1(u);
        check_vjp("force_r pullback", f_r, &(x, w), &u, &(g.x, g.w), 1e-6);
        let g = particle::force_f::vjp(x, w).1(u);
        check_vjp("force_f pullback", f_r, &(x, w), &u, &(g.x, g.w), 1e-6);
    }
    for w in [0.0, 0.2] {
        let fd = numeric_gradient(|w: &f64| particle::miss_r(*w), &w);
        assert_close(
            &[particle::miss_f(w)],
            &[particle::miss_r(w)],
            1e-14,
            "miss",
        );
        assert_close(&[particle::miss_r::grad(w).1.w], &fd, 1e-6, "rr");
        assert_close(&[particle::miss_f::grad(w).1.w], &fd, 1e-6, "rf");
        let t = particle::miss_r::Grad { w: 1.0 };
        assert_close(&[particle::miss_r::jvp(w, &t).1], &fd, 1e-6, "fr");
        assert_close(
            &[particle::miss_f::jvp(w, &particle::miss_f::Grad { w: 1.0 }).1],
            &fd,
            1e-6,
            "ff",
        );
        let wt = Tensor::scalar(w).requires_grad_(true);
        let miss = particle::tape_miss(&wt, Mode::Reverse, true);
        assert_close(&[miss.item()], &[particle::miss_r(w)], 1e-12, "tape miss");
        let g = autograd::grad(&miss, &wt, None, false, false).unwrap();
        assert_close(&[g[0].item()], &fd, 1e-6, "tape rr");
    }
    for f in ["rr", "rf", "fr", "ff"] {
        let (outer, inner) = saddle::modes(f).unwrap();
        let w = particle::static_particle(0.0, outer, inner);
        assert_close(&[w], &[0.2071918746486116], 1e-12, f);
    }
}

/// A small synthetic hand: the 22 bones of ADBench's (wrist, five fingers of
/// four bones, forearm), rest transforms of random rotations and offsets,
/// `verts` vertices of three bones each, triangles over them, and `n` points.
fn ht_input(seed: u64, verts: usize, n: usize, complicated: bool, mirrored: bool) -> ht::Input {
    use autograd::nalgebra::{Matrix4, Rotation3, Vector4};
    let mut parents = vec![None];
    for f in 0..5 {
        parents.push(Some(0));
        for j in 0..3 {
            parents.push(Some(1 + 4 * f + j));
        }
    }
    parents.push(Some(0));
    let bones = parents.len();
    let r = numbers(seed, 12 * bones + 7 * verts + 4 * n + 2 * n + 26);
    let mut at = 0;
    let mut take = |k: usize| {
        at += k;
        &r[at - k..at]
    };
    let mut rigid = || {
        let v = take(6);
        let mut m = Rotation3::from_scaled_axis(Vector3::new(v[0], v[1], v[2])).to_homogeneous();
        m[(0, 3)] = v[3];
        m[(1, 3)] = v[4];
        m[(2, 3)] = v[5];
        m
    };
    let base_relatives: Vec<Matrix4<f64>> = (0..bones).map(|_| rigid()).collect();
    let inverse_base_absolutes: Vec<Matrix4<f64>> = (0..bones).map(|_| rigid()).collect();
    let mut base_positions = Vec::new();
    let mut weights = vec![0.0; verts * bones];
    for v in 0..verts {
        let x = take(7);
        base_positions.push(Vector4::new(x[0], x[1], x[2], 1.0));
        // Three bones, all of one finger's chain for some vertices.
        let finger = v % 5;
        for (j, b) in [2 + 4 * finger, 3 + 4 * finger, (7 * v) % bones]
            .iter()
            .enumerate()
        {
            weights[v * bones + b] += 0.2 + 0.3 * (x[3 + j] + 1.0);
        }
    }
    let triangles: Vec<[usize; 3]> = (0..verts)
        .map(|v| [v, (v + 1) % verts, (v + 3) % verts])
        .collect();
    let mut points = Vec::new();
    let mut correspondences = Vec::new();
    for i in 0..n {
        let p = take(4);
        points.push(Vector3::new(p[0], p[1], p[2]));
        correspondences.push((i * 5 + 2) % verts);
    }
    let u = take(2 * n).to_vec();
    let us = if complicated {
        (0..n)
            .map(|i| [0.3 + 0.2 * u[2 * i], 0.3 + 0.2 * u[2 * i + 1]])
            .collect()
    } else {
        Vec::new()
    };
    let theta: [f64; 26] = take(26).try_into().unwrap();
    let model = ht::Model::new(
        parents,
        base_relatives,
        inverse_base_absolutes,
        base_positions,
        weights,
        triangles,
        mirrored,
    )
    .unwrap();
    let input = ht::Input {
        model,
        correspondences,
        points,
        theta,
        us,
    };
    input.check().unwrap();
    input
}

#[test]
fn ht_jacobians_match_central_differences() {
    for (seed, complicated, mirrored) in [
        (1, false, false),
        (2, true, false),
        (3, true, true),
        (4, false, true),
    ] {
        let mut input = ht_input(seed, 9, 6, complicated, mirrored);
        let rows = 3 * input.points.len();
        let cols = input.columns();
        let first = cols - ht::NTHETA;
        let objective = ht::static_objective(&input);
        assert_close(
            &ht::tape_objective(&input),
            &objective,
            1e-12,
            "tape objective",
        );
        // Central differences column by column: theta entries one at a time,
        // each us column moving every point's us together (residual i depends
        // on us_i alone).
        let h = 1e-6;
        let mut expected = vec![0.0; rows * cols];
        for k in 0..cols {
            let at = |input: &mut ht::Input, step: f64| {
                if k < first {
                    input.us.iter_mut().for_each(|u| u[k] += step);
                } else {
                    input.theta[k - first] += step;
                }
            };
            at(&mut input, h);
            let plus = ht::static_objective(&input);
            at(&mut input, -2.0 * h);
            let minus = ht::static_objective(&input);
            at(&mut input, h);
            for i in 0..rows {
                expected[i * cols + k] = (plus[i] - minus[i]) / (2.0 * h);
            }
        }
        let what = format!("ht seed {seed} complicated {complicated} mirrored {mirrored}");
        assert_close(
            &ht::static_jacobian(&input),
            &expected,
            1e-6,
            &format!("{what}: static"),
        );
        assert_close(
            &ht::tape_jacobian(&input),
            &expected,
            1e-6,
            &format!("{what}: tape"),
        );
    }
}

#[test]
fn ht_global_rotation_is_the_identity_below_its_threshold() {
    let mut input = ht_input(5, 6, 4, true, false);
    input.theta[..3].copy_from_slice(&[1e-5, -2e-5, 3e-5]);
    let (s, t) = (ht::static_jacobian(&input), ht::tape_jacobian(&input));
    assert_close(&t, &s, 1e-10, "tape against static at a tiny rotation");
    let cols = input.columns();
    // The reference's rotation is constant there: its columns are 0.
    for row in s.chunks(cols) {
        assert!(row[2..5].iter().all(|&v| v == 0.0));
    }
}
