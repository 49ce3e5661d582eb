//! BA: the bundle-adjustment reprojection error of one observation, as in
//! ADBench's and GradBench's `ba` eval. A camera has 11 parameters,
//! `[r1 r2 r3 C1 C2 C3 f u0 v0 k1 k2]` (angle-axis rotation `r`, centre `C`, focal
//! length `f`, principal point `u`, radial distortion `k`); a point `X` has 3
//! coordinates, an observation a weight `w` and a feature `m` (a constant):
//!
//! ```text
//! Xcam = R(r) (X - C)                      Rodrigues' formula, r x (X - C) + (X - C) at r = 0
//! p    = (Xcam_0, Xcam_1) / Xcam_2
//! d    = p (1 + k1 |p|^2 + k2 |p|^4)
//! err  = w (f d + u - m)
//! ```
//!
//! The Jacobian of `err` is 2 x 15 (camera, point, weight). [`reprojection`] is the
//! function written as a user would with `#[differentiable]`; [`jacobian_by_hand`]
//! is the chain rule written out, as ADBench's "Manual" tool does. Included by path
//! by `benches/static_paired.rs` and `tests/static_ba.rs`.
#![allow(dead_code)]

use autograd::nalgebra::{Matrix2, Matrix2x3, Matrix3, SMatrix, SVector, Vector2, Vector3};
use autograd::prelude::*;

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
    let p = Vector2::new(xcam[0] / xcam[2], xcam[1] / xcam[2]);
    let rsq = p.norm_squared();
    let distorted = p * (1.0 + cam[9] * rsq + cam[10] * rsq * rsq);
    let proj = distorted * cam[6] + Vector2::new(cam[7], cam[8]);
    (proj - feat) * w
}

/// `[v]_x`, the matrix of `y -> v x y`.
fn cross_matrix(v: &Vector3<f64>) -> Matrix3<f64> {
    Matrix3::new(0.0, -v[2], v[1], v[2], 0.0, -v[0], -v[1], v[0], 0.0)
}

/// The Jacobian of [`reprojection`] by the chain rule: columns `0..11` the camera,
/// `11..14` the point, `14` the weight.
///
/// With `u = r / theta`, `a = u . Xo`, `R = c I + s [u]_x + (1 - c) u u^T`:
/// `dXcam/dXo = R` and `dXcam/dr = (c (u x Xo) - s Xo + s a u) u^T
/// + (-s [Xo]_x + (1 - c) (u Xo^T + a I)) (I - u u^T) / theta`
/// (at `r = 0`, `I + [r]_x` and `-[Xo]_x`); `dp/dXcam = [I | -p] / Xcam_2`;
/// `dd/dp = L I + 2 (k1 + 2 k2 |p|^2) p p^T`.
#[inline(never)]
pub fn jacobian_by_hand(
    cam: &SVector<f64, 11>,
    x: &Vector3<f64>,
    w: f64,
    feat: &Vector2<f64>,
) -> SMatrix<f64, 2, 15> {
    let rot = Vector3::new(cam[0], cam[1], cam[2]);
    let xo = x - Vector3::new(cam[3], cam[4], cam[5]);
    let (f, k1, k2) = (cam[6], cam[9], cam[10]);
    let sqtheta = rot.norm_squared();
    let (xcam, dxcam_dxo, dxcam_dr) = if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (c, s) = (theta.cos(), theta.sin());
        let u = rot / theta;
        let u_cross_xo = u.cross(&xo);
        let a = u.dot(&xo);
        let xcam = xo * c + u_cross_xo * s + u * (a * (1.0 - c));
        let uut = u * u.transpose();
        let r = Matrix3::identity() * c + cross_matrix(&u) * s + uut * (1.0 - c);
        let along = (u_cross_xo * c - xo * s + u * (s * a)) * u.transpose();
        let across = (cross_matrix(&xo) * -s
            + (u * xo.transpose() + Matrix3::identity() * a) * (1.0 - c))
            * (Matrix3::identity() - uut)
            / theta;
        (xcam, r, along + across)
    } else {
        let xcam = xo + rot.cross(&xo);
        (
            xcam,
            Matrix3::identity() + cross_matrix(&rot),
            -cross_matrix(&xo),
        )
    };
    let z = xcam[2];
    let p = Vector2::new(xcam[0] / z, xcam[1] / z);
    let dp_dxcam = Matrix2x3::new(1.0, 0.0, -p[0], 0.0, 1.0, -p[1]) / z;
    let rsq = p.norm_squared();
    let l = 1.0 + k1 * rsq + k2 * rsq * rsq;
    let distorted = p * l;
    let dd_dp = Matrix2::identity() * l + p * p.transpose() * (2.0 * (k1 + 2.0 * k2 * rsq));
    let err = distorted * f + Vector2::new(cam[7], cam[8]) - feat;
    // The error's derivative with respect to Xcam, then Xo.
    let de_dxcam = dd_dp * dp_dxcam * (w * f);
    let de_dxo = de_dxcam * dxcam_dxo;

    let mut jac = SMatrix::<f64, 2, 15>::zeros();
    jac.fixed_columns_mut::<3>(0)
        .copy_from(&(de_dxcam * dxcam_dr));
    jac.fixed_columns_mut::<3>(3).copy_from(&-de_dxo);
    jac.set_column(6, &(distorted * w));
    jac[(0, 7)] = w;
    jac[(1, 8)] = w;
    jac.set_column(9, &(p * (rsq * w * f)));
    jac.set_column(10, &(p * (rsq * rsq * w * f)));
    jac.fixed_columns_mut::<3>(11).copy_from(&de_dxo);
    jac.set_column(14, &err);
    jac
}
