//! The bundle-adjustment reprojection workload (`benches/workloads/ba.rs`): the
//! generated `jacobian` and the hand-written chain rule agree with each other and
//! with central differences of the function, for random cameras, points, weights
//! and features (proptest), on both sides of Rodrigues' `theta = 0` branch.

#[path = "../benches/workloads/ba.rs"]
mod ba;

use autograd::nalgebra::{SMatrix, SVector, Vector2, Vector3};
use autograd::testing::{assert_close, directional_derivative, Flat};
use proptest::prelude::*;

type Args = (SVector<f64, 11>, Vector3<f64>, f64);

/// The 2 x 15 Jacobian by central differences, column by column.
fn numeric(args: &Args, feat: &Vector2<f64>) -> SMatrix<f64, 2, 15> {
    let f = |a: &Args| ba::reprojection(&a.0, &a.1, a.2, feat);
    let mut jac = SMatrix::<f64, 2, 15>::zeros();
    for j in 0..15 {
        let mut e = [0.0; 15];
        e[j] = 1.0;
        let dir = args.unflatten(&mut &e[..]);
        let col = directional_derivative(f, args, &dir);
        jac.set_column(j, &Vector2::new(col[0], col[1]));
    }
    jac
}

/// A camera from its parts; the point is placed at `xo` from the camera's centre,
/// in front of it when the rotation is small.
fn scene(rot: [f64; 3], centre: [f64; 3], intrinsics: [f64; 5], xo: [f64; 3]) -> Args {
    let mut cam = SVector::<f64, 11>::zeros();
    cam.as_mut_slice()[0..3].copy_from_slice(&rot);
    cam.as_mut_slice()[3..6].copy_from_slice(&centre);
    cam.as_mut_slice()[6..11].copy_from_slice(&intrinsics);
    let x = Vector3::from(centre) + Vector3::from(xo);
    (cam, x, 0.0)
}

fn check(args: &Args, feat: &Vector2<f64>) {
    let (cam, x, w) = args;
    let generated = ba::reprojection::jacobian(cam, x, *w, feat);
    let by_hand = ba::jacobian_by_hand(cam, x, *w, feat);
    let numeric = numeric(args, feat);
    assert_close(
        generated.as_slice(),
        by_hand.as_slice(),
        1e-12,
        "generated against hand-written",
    );
    assert_close(
        by_hand.as_slice(),
        numeric.as_slice(),
        1e-6,
        "hand-written against central differences",
    );
    assert_close(
        generated.as_slice(),
        numeric.as_slice(),
        1e-6,
        "generated against central differences",
    );
}

#[test]
fn the_weight_column_is_the_unweighted_error() {
    let (cam, x, _) = scene(
        [0.1, -0.2, 0.3],
        [0.5, 0.2, -1.0],
        [1.2, 0.1, -0.1, 0.05, -0.01],
        [0.3, -0.4, 4.0],
    );
    let feat = Vector2::new(0.2, 0.1);
    let jac = ba::reprojection::jacobian(&cam, &x, 0.8, &feat);
    let err = ba::reprojection(&cam, &x, 1.0, &feat);
    assert_close(
        jac.column(14).as_slice(),
        err.as_slice(),
        1e-15,
        "d err / d w",
    );
}

#[test]
fn zero_rotation_takes_the_first_order_branch() {
    let (cam, x, _) = scene(
        [0.0; 3],
        [0.5, 0.2, -1.0],
        [1.2, 0.1, -0.1, 0.05, -0.01],
        [0.3, -0.4, 4.0],
    );
    check(&(cam, x, 0.9), &Vector2::new(0.2, 0.1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn both_jacobians_match_central_differences(
        rot in prop::array::uniform3(-0.5f64..0.5),
        centre in prop::array::uniform3(-1.0f64..1.0),
        (f, u0, v0) in (0.5f64..2.0, -1.0f64..1.0, -1.0f64..1.0),
        (k1, k2) in (-0.1f64..0.1, -0.05f64..0.05),
        (ox, oy, oz) in (-1.0f64..1.0, -1.0f64..1.0, 3.0f64..6.0),
        w in 0.5f64..1.5,
        feat in prop::array::uniform2(-1.0f64..1.0),
    ) {
        let (cam, x, _) = scene(rot, centre, [f, u0, v0, k1, k2], [ox, oy, oz]);
        check(&(cam, x, w), &Vector2::from(feat));
    }
}
