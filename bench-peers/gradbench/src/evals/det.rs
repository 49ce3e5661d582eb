//! GradBench's `det` eval (cmpad's `det_by_minor`): the determinant of an
//! `ell x ell` matrix (row-major) by expansion along the first row of each minor,
//! recursively, and its gradient.
//!
//! Tape only. The expansion is recursive with `ell!` leaves; the static engine
//! differentiates neither recursion nor calls between sizes known only at run
//! time, and a reverse sweep stored on the stack for `ell = 11` would hold
//! `e * 11!` pullbacks. A gap (issue #14). On the tape every entry is a
//! one-element tensor, so the graph has about `e * ell!` nodes: the eval's largest
//! sizes (10, 11) need gigabytes; `run.sh` sends 5 to 9.

use autograd::prelude::*;

/// The determinant of the minor of `a` (edge `n`) keeping the `m` rows and columns
/// listed from `r[n]` and `c[n]` on (`r[i]` is the row after row `i`), as cmpad's
/// `det_of_minor`: rows and columns are unlinked and relinked instead of copied.
fn det_of_minor(a: &[Tensor], n: usize, m: usize, r: &mut [usize], c: &mut [usize]) -> Tensor {
    let r0 = r[n];
    let mut cj = c[n];
    if m == 1 {
        return a[r0 * n + cj].clone();
    }
    let mut det = Tensor::scalar(0.0);
    let mut positive = true;
    r[n] = r[r0];
    let mut cj1 = n;
    for _ in 0..m {
        c[cj1] = c[cj];
        let term = &a[r0 * n + cj] * det_of_minor(a, n, m - 1, r, c);
        c[cj1] = cj;
        det = if positive { det + term } else { det - term };
        cj1 = cj;
        cj = c[cj];
        positive = !positive;
    }
    r[n] = r0;
    det
}

fn tape_det(a: &[Tensor], ell: usize) -> Tensor {
    let mut r: Vec<usize> = (1..=ell).chain([0]).collect();
    let mut c = r.clone();
    det_of_minor(a, ell, ell, &mut r, &mut c)
}

fn entries(a: &[f64], grad: bool) -> Vec<Tensor> {
    a.iter()
        .map(|&v| Tensor::scalar(v).requires_grad_(grad))
        .collect()
}

pub fn tape_primal(a: &[f64], ell: usize) -> f64 {
    tape_det(&entries(a, false), ell).item()
}

pub fn tape_gradient(a: &[f64], ell: usize) -> Vec<f64> {
    let leaves = entries(a, true);
    tape_det(&leaves, ell)
        .backward()
        .expect("backward of a scalar");
    leaves
        .iter()
        .map(|t| t.grad().map_or(0.0, |g| g.item()))
        .collect()
}
