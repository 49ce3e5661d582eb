use autograd::nalgebra::{UnitQuaternion, Vector3};
use autograd::prelude::*;

#[differentiable]
fn roll_pitch_yaw(r: f64, p: f64, y: f64, #[constant] v: Vector3<f64>) -> f64 {
    let q = UnitQuaternion::from_euler_angles(r, p, y);
    (q * v).sum()
}

fn main() {}
