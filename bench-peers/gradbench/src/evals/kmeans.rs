//! GradBench's `kmeans` eval: for `n` points `P_i` and `k` centroids `C_j` in
//! `d` dimensions,
//!
//! ```text
//! cost(C) = sum_i min_j |C_j - P_i|^2
//! dir(C)  = J H^{-1},    J = d cost / dC,   H = d^2 cost / dC^2
//! ```
//!
//! `H` is diagonal (each centroid's coordinate appears in its own squares only),
//! so its diagonal is the Hessian-vector product `H 1`, and `H^{-1}` divides
//! entry by entry: both variants compute `J` and `H 1` by AD and divide.
//!
//! Static: `k` and `n` come with the input, which the static engine cannot take as
//! one argument (no differentiated slices or `DVector`). As in `lse`, it
//! differentiates one point's term, [`sq_dist`] over `SVector<f64, D>` for the
//! `d` in [`STATIC_DIMS`], and plain Rust takes the minimum over the centroids and
//! sums over the points: the minimum's derivative goes to the closest centroid
//! alone, which is what differentiating `min` gives. `hvp` returns the term's
//! gradient and its Hessian times the ones vector in one sweep.
//!
//! Tape: the `n x k` matrix of squared distances as `|P_i|^2 - 2 P_i . C_j +
//! |C_j|^2` (one matrix product), its minimum along each row (`min_dim`, whose
//! backward sends the gradient to the smallest entry), summed; `J` by
//! `autograd::grad` with `create_graph`, `H 1` by differentiating `sum(J)`.

use autograd::nalgebra::SVector;
use autograd::prelude::*;

pub struct Input {
    /// `n x d`, row-major.
    pub points: Vec<f64>,
    /// `k x d`, row-major.
    pub centroids: Vec<f64>,
    pub d: usize,
}

impl Input {
    pub fn n(&self) -> usize {
        self.points.len() / self.d
    }
    pub fn k(&self) -> usize {
        self.centroids.len() / self.d
    }
}

/// One point's squared distance to one centroid.
#[differentiable]
pub fn sq_dist<const D: usize>(c: &SVector<f64, D>, #[constant] p: &SVector<f64, D>) -> f64 {
    (c - p).norm_squared()
}

fn rows<const D: usize>(flat: &[f64]) -> Vec<SVector<f64, D>> {
    flat.chunks_exact(D)
        .map(SVector::<f64, D>::from_column_slice)
        .collect()
}

/// The closest centroid to `p` and the squared distance to it (the first of
/// equal ones, as `min` along a row).
fn closest<const D: usize>(cs: &[SVector<f64, D>], p: &SVector<f64, D>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in cs.iter().enumerate() {
        let v = sq_dist(c, p);
        if v < best.1 {
            best = (j, v);
        }
    }
    best
}

fn cost_d<const D: usize>(input: &Input) -> f64 {
    let cs = rows::<D>(&input.centroids);
    input
        .points
        .chunks_exact(D)
        .map(|p| closest(&cs, &SVector::from_column_slice(p)).1)
        .sum()
}

fn dir_d<const D: usize>(input: &Input) -> Vec<f64> {
    let cs = rows::<D>(&input.centroids);
    let mut jac = vec![SVector::<f64, D>::zeros(); cs.len()];
    let mut hess = jac.clone();
    let ones = sq_dist::Grad {
        c: SVector::<f64, D>::repeat(1.0),
    };
    for p in input.points.chunks_exact(D) {
        let p = SVector::from_column_slice(p);
        let (j, _) = closest(&cs, &p);
        let (_, g, h1) = sq_dist::hvp(&cs[j], &p, &ones);
        jac[j] += g.c;
        hess[j] += h1.c;
    }
    jac.iter()
        .zip(&hess)
        .flat_map(|(g, h)| g.component_div(h).as_slice().to_vec())
        .collect()
}

/// The dimensions `d` the static variant is compiled for (the eval sends 8 and 16).
pub const STATIC_DIMS: &[usize] = &[1, 2, 3, 4, 8, 16];

macro_rules! dispatch {
    ($d:expr, $f:ident, $input:expr) => {
        match $d {
            1 => Some($f::<1>($input)),
            2 => Some($f::<2>($input)),
            3 => Some($f::<3>($input)),
            4 => Some($f::<4>($input)),
            8 => Some($f::<8>($input)),
            16 => Some($f::<16>($input)),
            _ => None,
        }
    };
}

/// `None` when `d` is not one of [`STATIC_DIMS`].
pub fn static_cost(input: &Input) -> Option<f64> {
    dispatch!(input.d, cost_d, input)
}

/// `None` when `d` is not one of [`STATIC_DIMS`].
pub fn static_dir(input: &Input) -> Option<Vec<f64>> {
    dispatch!(input.d, dir_d, input)
}

fn tape_cost_of(p: &Tensor, c: &Tensor) -> Tensor {
    let k = c.shape()[0];
    let pp = (p * p).sum_dim(1, true);
    let cc = (c * c).sum_dim(1, false).reshape(&[1, k]);
    let d2 = pp - p.matmul(&c.t()) * 2.0 + cc;
    d2.min_dim(1, false).0.sum()
}

fn tensors(input: &Input, grad: bool) -> (Tensor, Tensor) {
    let (n, k, d) = (input.n(), input.k(), input.d);
    (
        Tensor::from_vec(input.points.clone(), &[n, d]),
        Tensor::from_vec(input.centroids.clone(), &[k, d]).requires_grad_(grad),
    )
}

pub fn tape_cost(input: &Input) -> f64 {
    let (p, c) = tensors(input, false);
    tape_cost_of(&p, &c).item()
}

pub fn tape_dir(input: &Input) -> Vec<f64> {
    let (p, c) = tensors(input, true);
    let cost = tape_cost_of(&p, &c);
    let jac = autograd::grad(&cost, &c, None, false, true)
        .expect("cost depends on the centroids")
        .remove(0);
    let hess = autograd::grad(&jac.sum(), &c, None, false, false)
        .expect("the gradient depends on the centroids")
        .remove(0);
    (jac.detach() / hess).to_vec::<f64>()
}
