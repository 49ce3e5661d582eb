//! GradBench's `ba` eval (ADBench's bundle adjustment). The input is one camera
//! `cam = [r1 r2 r3 C1 C2 C3 f u0 v0 k1 k2]`, one point `x`, one weight `w` and one
//! feature `feat`, duplicated into `n` cameras, `m` points and `p` observations,
//! observation `i` seeing point `i % m` from camera `i % n`. Per observation:
//!
//! ```text
//! Xcam = R(r) (X - C)                      Rodrigues' formula, r x (X - C) + (X - C) at r = 0
//! q    = (Xcam_0, Xcam_1) / Xcam_2
//! proj = f q (1 + k1 |q|^2 + k2 |q|^4) + (u0, v0)
//! reproj_err = w (proj - feat),            w_err = 1 - w^2
//! ```
//!
//! The Jacobian is the `3p x (11 n + 3 m + p)` sparse matrix in compressed rows:
//! for observation `i`, two rows of 15 entries (its camera's 11 columns, its
//! point's 3, its weight's 1), then `p` rows of one entry (`d w_err / d w`). Both
//! variants build all of it; the protocol layer sends the part the eval checks.

use autograd::nalgebra::{SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;

pub const NCAM: usize = 11;

/// The duplicated problem.
pub struct Input {
    pub n: usize,
    pub m: usize,
    pub p: usize,
    pub cams: Vec<SVector<f64, NCAM>>,
    pub x: Vec<Vector3<f64>>,
    pub w: Vec<f64>,
    pub feats: Vec<Vector2<f64>>,
    /// `(camera, point)` of each observation.
    pub obs: Vec<(usize, usize)>,
}

impl Input {
    /// Duplicates one camera, point, weight and feature as the eval prescribes.
    pub fn duplicate(
        n: usize,
        m: usize,
        p: usize,
        cam: &[f64; NCAM],
        x: &[f64; 3],
        w: f64,
        feat: &[f64; 2],
    ) -> Input {
        Input {
            n,
            m,
            p,
            cams: vec![SVector::from_column_slice(cam); n],
            x: vec![Vector3::from_column_slice(x); m],
            w: vec![w; p],
            feats: vec![Vector2::from_column_slice(feat); p],
            obs: (0..p).map(|i| (i % n, i % m)).collect(),
        }
    }
}

/// The weighted reprojection error of point `x` seen by camera `cam` at `feat`.
#[differentiable]
pub fn reprojection(
    cam: &SVector<f64, 11>,
    x: &Vector3<f64>,
    w: f64,
    #[constant] feat: &Vector2<f64>,
) -> Vector2<f64> {
    let rot = cam.fixed_rows::<3>(0);
    let xo = x - cam.fixed_rows::<3>(3);
    let sqtheta = rot.norm_squared();
    let xcam = if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (c, s) = (theta.cos(), theta.sin());
        let axis = rot / theta;
        xo * c + axis.cross(&xo) * s + axis * (axis.dot(&xo) * (1.0 - c))
    } else {
        xo + rot.cross(&xo)
    };
    let q = Vector2::new(xcam[0] / xcam[2], xcam[1] / xcam[2]);
    let rsq = q.norm_squared();
    let distorted = q * (1.0 + cam[9] * rsq + cam[10] * rsq * rsq);
    let proj = distorted * cam[6] + Vector2::new(cam[7], cam[8]);
    (proj - feat) * w
}

/// `1 - w^2`, which keeps the weights near 1.
#[differentiable]
pub fn weight_error(w: f64) -> f64 {
    1.0 - w * w
}

/// The objective: `reproj_err` (2 per observation) and `w_err` (1 per observation).
pub struct Objective {
    pub reproj_err: Vec<f64>,
    pub w_err: Vec<f64>,
}

/// A sparse matrix in compressed rows: row `r` holds `cols[rows[r]..rows[r + 1]]`.
pub struct SparseJacobian {
    pub rows: Vec<usize>,
    pub cols: Vec<usize>,
    pub vals: Vec<f64>,
}

impl SparseJacobian {
    fn with_capacity(p: usize) -> SparseJacobian {
        let mut rows = Vec::with_capacity(3 * p + 1);
        rows.push(0);
        SparseJacobian {
            rows,
            cols: Vec::with_capacity(31 * p),
            vals: Vec::with_capacity(31 * p),
        }
    }

    /// Observation `i`'s two rows; `block(r, j)` is `d reproj_err_r / d` entry `j`
    /// of (camera, point, weight).
    fn push_reprojection(&mut self, input: &Input, i: usize, block: impl Fn(usize, usize) -> f64) {
        let (cam, pt) = input.obs[i];
        let point_base = NCAM * input.n;
        let weight_base = point_base + 3 * input.m;
        for r in 0..2 {
            for j in 0..NCAM {
                self.cols.push(NCAM * cam + j);
                self.vals.push(block(r, j));
            }
            for j in 0..3 {
                self.cols.push(point_base + 3 * pt + j);
                self.vals.push(block(r, NCAM + j));
            }
            self.cols.push(weight_base + i);
            self.vals.push(block(r, NCAM + 3));
            self.rows.push(self.cols.len());
        }
    }

    fn push_weight(&mut self, input: &Input, i: usize, d: f64) {
        self.cols.push(NCAM * input.n + 3 * input.m + i);
        self.vals.push(d);
        self.rows.push(self.cols.len());
    }
}

pub fn static_objective(input: &Input) -> Objective {
    let mut reproj_err = Vec::with_capacity(2 * input.p);
    for (i, &(cam, pt)) in input.obs.iter().enumerate() {
        let e = reprojection(&input.cams[cam], &input.x[pt], input.w[i], &input.feats[i]);
        reproj_err.extend_from_slice(e.as_slice());
    }
    let w_err = input.w.iter().map(|&w| weight_error(w)).collect();
    Objective { reproj_err, w_err }
}

pub fn static_jacobian(input: &Input) -> SparseJacobian {
    let mut jac = SparseJacobian::with_capacity(input.p);
    for (i, &(cam, pt)) in input.obs.iter().enumerate() {
        let block: SMatrix<f64, 2, 15> =
            reprojection::jacobian(&input.cams[cam], &input.x[pt], input.w[i], &input.feats[i]);
        jac.push_reprojection(input, i, |r, j| block[(r, j)]);
    }
    for (i, &w) in input.w.iter().enumerate() {
        jac.push_weight(input, i, weight_error::grad(w).1.w);
    }
    jac
}

/// The tape variant works on all observations at once, as PyTorch's tool does:
/// each of the 15 parameters of an observation is a column of `p` values (the
/// observation's camera's, point's and weight's), every op is element-wise over
/// observations, and the block of observation `i` is entry `i` of the gradients of
/// `sum(err_0)` and `sum(err_1)`, one backward each.
fn tape_columns(input: &Input) -> (Vec<Tensor>, Tensor, Tensor) {
    let p = input.p;
    let mut params = Vec::with_capacity(15);
    for j in 0..NCAM {
        let col = input.obs.iter().map(|&(c, _)| input.cams[c][j]).collect();
        params.push(Tensor::from_vec(col, &[p]));
    }
    for j in 0..3 {
        let col = input.obs.iter().map(|&(_, pt)| input.x[pt][j]).collect();
        params.push(Tensor::from_vec(col, &[p]));
    }
    params.push(Tensor::from_vec(input.w.clone(), &[p]));
    let f0 = Tensor::from_vec(input.feats.iter().map(|f| f[0]).collect(), &[p]);
    let f1 = Tensor::from_vec(input.feats.iter().map(|f| f[1]).collect(), &[p]);
    (params, f0, f1)
}

fn tape_reprojection(params: &[Tensor], f0: &Tensor, f1: &Tensor) -> (Tensor, Tensor) {
    let r = &params[0..3];
    let xo: Vec<Tensor> = (0..3).map(|j| &params[NCAM + j] - &params[3 + j]).collect();
    let cross = |a: &[Tensor], b: &[Tensor]| {
        [
            &a[1] * &b[2] - &a[2] * &b[1],
            &a[2] * &b[0] - &a[0] * &b[2],
            &a[0] * &b[1] - &a[1] * &b[0],
        ]
    };
    let sqtheta = &r[0] * &r[0] + &r[1] * &r[1] + &r[2] * &r[2];
    // Rodrigues' formula where theta != 0, its first-order form where it is 0; the
    // unused side sees theta = 1, so that neither side divides by 0.
    let rotating = Tensor::from_vec(
        sqtheta
            .to_vec::<f64>()
            .iter()
            .map(|&s| f64::from(u8::from(s != 0.0)))
            .collect(),
        &[sqtheta.shape()[0]],
    );
    let theta = Tensor::where_(&rotating, &sqtheta, &Tensor::scalar(1.0)).sqrt();
    let (c, s) = (theta.cos(), theta.sin());
    let axis: Vec<Tensor> = r.iter().map(|ri| ri / &theta).collect();
    let axis_cross = cross(&axis, &xo);
    let along = (&axis[0] * &xo[0] + &axis[1] * &xo[1] + &axis[2] * &xo[2]) * (1.0 - &c);
    let r_cross = cross(r, &xo);
    let xcam: Vec<Tensor> = (0..3)
        .map(|j| {
            let rotated = &xo[j] * &c + &axis_cross[j] * &s + &axis[j] * &along;
            Tensor::where_(&rotating, &rotated, &(&xo[j] + &r_cross[j]))
        })
        .collect();
    let q0 = &xcam[0] / &xcam[2];
    let q1 = &xcam[1] / &xcam[2];
    let rsq = &q0 * &q0 + &q1 * &q1;
    let l = &params[9] * &rsq + &params[10] * &rsq * &rsq + 1.0;
    let proj0 = &q0 * &l * &params[6] + &params[7];
    let proj1 = &q1 * &l * &params[6] + &params[8];
    let w = &params[NCAM + 3];
    ((proj0 - f0) * w, (proj1 - f1) * w)
}

pub fn tape_objective(input: &Input) -> Objective {
    let (params, f0, f1) = tape_columns(input);
    let (e0, e1) = tape_reprojection(&params, &f0, &f1);
    let (e0, e1) = (e0.to_vec::<f64>(), e1.to_vec::<f64>());
    let reproj_err = e0.iter().zip(&e1).flat_map(|(&a, &b)| [a, b]).collect();
    let w = &params[NCAM + 3];
    let w_err = (1.0 - w * w).to_vec::<f64>();
    Objective { reproj_err, w_err }
}

// `i` indexes the innermost of three levels (row, parameter, observation).
#[allow(clippy::needless_range_loop)]
pub fn tape_jacobian(input: &Input) -> SparseJacobian {
    let (params, f0, f1) = tape_columns(input);
    let params: Vec<Tensor> = params.into_iter().map(|t| t.requires_grad_(true)).collect();
    let (e0, e1) = tape_reprojection(&params, &f0, &f1);
    let mut rows: [Vec<Vec<f64>>; 2] = [Vec::new(), Vec::new()];
    for (r, e) in [e0, e1].iter().enumerate() {
        // A parameter err_r does not depend on (v0 for err_0) keeps no gradient.
        for t in &params {
            t.zero_grad();
        }
        e.sum()
            .backward_with_options(
                None,
                autograd::BackwardOptions::default().retain_graph(true),
            )
            .expect("backward of a scalar");
        rows[r] = params
            .iter()
            .map(|t| {
                t.grad()
                    .map_or_else(|| vec![0.0; input.p], |g| g.to_vec::<f64>())
            })
            .collect();
    }
    let w = Tensor::from_vec(input.w.clone(), &[input.p]).requires_grad_(true);
    (1.0 - &w * &w)
        .sum()
        .backward()
        .expect("backward of a scalar");
    let dw = w.grad().expect("w requires grad").to_vec::<f64>();
    let mut jac = SparseJacobian::with_capacity(input.p);
    for i in 0..input.p {
        jac.push_reprojection(input, i, |r, j| rows[r][j][i]);
    }
    for (i, &d) in dw.iter().enumerate() {
        jac.push_weight(input, i, d);
    }
    jac
}
