use autograd::nalgebra::{Isometry3, Point3, Vector3};
use autograd::prelude::*;

/// A camera at `eye` looking at `target`: `face_towards` has no rule; the pose is
/// differentiated as `Isometry3::new(t, w)` of a translation and a scaled axis.
#[differentiable]
fn look_at(eye: Point3<f64>, #[constant] target: Point3<f64>, #[constant] p: Point3<f64>) -> f64 {
    let camera = Isometry3::face_towards(&eye, &target, &Vector3::z());
    (camera.inverse() * p).z
}

fn main() {}
