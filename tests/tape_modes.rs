//! The tape's modes beyond `no_grad`: `inference_mode`, `detect_anomaly`,
//! `checkpoint`, and in-place ops that rebase the graph, with PyTorch's
//! semantics (what PyTorch 2.15 does is quoted beside each case).

use autograd::prelude::*;
use autograd::{
    detect_anomaly, inference_mode, is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled,
    Error,
};

fn panic_message(r: std::thread::Result<()>) -> String {
    let e = r.unwrap_err();
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- inference_mode

#[test]
fn inference_mode_records_nothing_and_marks_new_tensors() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    let (y, c, v) = inference_mode(|| {
        assert!(is_inference_mode_enabled());
        assert!(!is_grad_enabled());
        // `torch.enable_grad()` inside inference mode records nothing either.
        let e = autograd::set_grad_enabled(true, || &x * 2.0);
        assert!(!e.requires_grad() && e.grad_fn().is_none());
        (&x * 2.0, Tensor::ones(&[2]), x.detach())
    });
    assert!(!is_inference_mode_enabled() && is_grad_enabled());
    assert!(y.is_inference() && c.is_inference());
    assert!(!y.requires_grad() && y.grad_fn().is_none());
    // A view of a normal tensor stays normal (PyTorch: view ops on normal
    // tensors give normal tensors); a view of an inference tensor is one.
    assert!(!v.is_inference() && !x.is_inference());
    assert!(c.reshape(&[2, 1]).is_inference() && c.detach().is_inference());
    // Normal tensors made outside are not inference tensors.
    assert!(!Tensor::ones(&[2]).is_inference());
}

#[test]
fn inference_tensors_track_no_version_but_normal_ones_do() {
    let normal = Tensor::ones(&[2]);
    let c = inference_mode(|| {
        let c = Tensor::ones(&[2]);
        c.mul_(2.0).add_(&Tensor::ones(&[2]));
        // PyTorch: in-place ops on normal tensors inside inference mode still
        // bump their version (n._version == 1 after n.add_(1)).
        normal.add_(1.0);
        c
    });
    assert_eq!(c.to_vec::<f32>(), vec![3.0, 3.0]);
    assert_eq!(c.version(), 0);
    assert_eq!(normal.version(), 1);
}

#[test]
fn inference_tensors_outside_inference_mode_follow_pytorchs_rules() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let c = inference_mode(|| Tensor::from_vec(vec![3.0f32, 4.0], &[2]));
    // Read-only use is fine, and an op that saves nothing of it records
    // (PyTorch: `x + c` has grad_fn AddBackward0).
    let y = &x + &c;
    assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
    y.sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0]);
    // In place: "Inplace update to inference tensor outside InferenceMode is
    // not allowed".
    let err = c.try_add_(1.0).unwrap_err();
    assert!(
        matches!(err, Error::InferenceTensor { op: "add_", .. }),
        "{err}"
    );
    // "Setting requires_grad=True on inference tensor outside InferenceMode is
    // not allowed."
    let err = c.try_requires_grad_(true).unwrap_err();
    assert!(matches!(err, Error::InferenceTensor { .. }), "{err}");
    // Inside inference mode both are allowed.
    inference_mode(|| {
        c.add_(1.0);
        c.requires_grad_(true);
        c.requires_grad_(false);
    });
    assert_eq!(c.to_vec::<f32>(), vec![4.0, 5.0]);
    // Saving one for backward: "Inference tensors cannot be saved for
    // backward." (x * c saves c).
    let msg = panic_message(std::panic::catch_unwind(|| {
        let _ = &x * &c;
    }));
    assert!(
        msg.contains("inference") && msg.contains("saved for backward"),
        "{msg}"
    );
    // Without a graph nothing is saved: fine.
    let _ = no_grad(|| &x * &c);
    // The workaround PyTorch suggests: a clone outside is a normal tensor.
    x.zero_grad();
    let normal = c.deep_clone();
    assert!(!normal.is_inference());
    (&x * &normal).sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![4.0, 5.0]);
}

#[test]
fn inference_mode_nests_and_is_restored_after_a_panic() {
    let r = std::panic::catch_unwind(|| {
        inference_mode(|| {
            inference_mode(|| assert!(is_inference_mode_enabled()));
            assert!(is_inference_mode_enabled());
            panic!("boom")
        })
    });
    assert!(r.is_err());
    assert!(!is_inference_mode_enabled() && is_grad_enabled());
    // no_grad around it comes back too.
    no_grad(|| {
        inference_mode(|| assert!(!is_grad_enabled()));
        assert!(!is_grad_enabled() && !is_inference_mode_enabled());
    });
    let x = Tensor::ones(&[1]).requires_grad_(true);
    assert!((&x * 2.0).requires_grad());
}

// ---------------------------------------------------------------- detect_anomaly

/// `err` is the anomaly error for `node`'s input `output`, recorded at `line` of
/// this file (or outside the mode for `None`).
fn assert_anomaly(err: Error, node: &str, output: usize, line: Option<u32>) {
    let msg = err.to_string();
    // PyTorch 2.15: "Function 'DivBackward0' returned nan values in its 1th output."
    let head = format!("Function '{node}' returned nan values in its {output}th output");
    assert!(msg.starts_with(&head), "{msg}");
    match (&err, line) {
        (
            Error::AnomalyNan {
                recorded_at: Some(at),
                ..
            },
            Some(line),
        ) => {
            assert!(at.starts_with(&format!("{}:{line}:", file!())), "{at}");
            assert!(msg.contains(at.as_str()), "{msg}");
        }
        (
            Error::AnomalyNan {
                recorded_at: None, ..
            },
            None,
        ) => {
            assert!(msg.contains("outside detect_anomaly"), "{msg}")
        }
        _ => panic!("{msg}"),
    }
}

#[test]
fn a_nan_in_backward_names_the_node_and_where_it_was_recorded() {
    // Arrays (tensor gradients) and one element (gradients as values).
    for shape in [&[2][..], &[]] {
        let n: usize = shape.iter().product();
        let a = Tensor::from_vec(vec![0.0f64; n], shape).requires_grad_(true);
        let (err, line) = detect_anomaly(|| {
            assert!(is_anomaly_enabled());
            let (q, line) = (&a / &a, line!());
            (q.sum().backward().unwrap_err(), line)
        });
        assert_anomaly(err, "DivBackward0", 1, Some(line));
        assert!(a.grad().is_none(), "nothing accumulates after the error");
    }
    assert!(!is_anomaly_enabled());
    // A method op: sqrt at 0 times a zero gradient is 0 / 0.
    let x = Tensor::from_vec(vec![0.0f32, 4.0], &[2]).requires_grad_(true);
    let (err, line) = detect_anomaly(|| {
        let (r, line) = (x.sqrt(), line!());
        ((r * 0.0).sum().backward().unwrap_err(), line)
    });
    assert_anomaly(err, "SqrtBackward0", 0, Some(line));
}

#[test]
fn without_anomaly_mode_nans_flow_as_in_pytorch() {
    let a = Tensor::from_vec(vec![0.0f64, 1.0], &[2]).requires_grad_(true);
    (&a / &a).sum().backward().unwrap();
    // PyTorch: b.grad == tensor([nan, 0.]) for b / b at [0, 1].
    let g = a.grad().unwrap().to_vec::<f64>();
    assert!(g[0].is_nan() && g[1] == 0.0, "{g:?}");
}

#[test]
fn a_graph_recorded_outside_the_mode_is_checked_without_a_location() {
    // PyTorch checks whenever the mode is on during backward.
    let a = Tensor::from_vec(vec![0.0f64], &[1]).requires_grad_(true);
    let y = (&a / &a).sum();
    let err = detect_anomaly(|| y.backward().unwrap_err());
    assert_anomaly(err, "DivBackward0", 1, None);
    // A graph recorded in the mode and differentiated outside is not checked.
    let y = detect_anomaly(|| (&a / &a).sum());
    y.backward().unwrap();
    assert!(a.grad().unwrap().item().is_nan());
}

#[test]
fn anomaly_mode_passes_finite_gradients_through_unchanged() {
    let x = Tensor::from_vec(vec![0.5f64, 2.0], &[2]).requires_grad_(true);
    detect_anomaly(|| (x.ln() * &x).sum().backward().unwrap());
    let g = x.grad().unwrap().to_vec::<f64>();
    // d(x ln x)/dx = ln x + 1.
    for (g, x) in g.iter().zip([0.5f64, 2.0]) {
        assert!((g - (x.ln() + 1.0)).abs() < 1e-12);
    }
}

// ------------------------------------------------------- in-place ops, rebased

fn xw() -> (Tensor, Tensor) {
    (
        Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true),
        Tensor::from_vec(vec![3.0f64, 4.0], &[2]).requires_grad_(true),
    )
}

fn grad_of(t: &Tensor) -> Option<Vec<f64>> {
    t.grad().map(|g| g.to_vec::<f64>())
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

#[test]
fn in_place_on_a_non_leaf_rebases_the_graph() {
    // PyTorch 2.15: y = x * 3; y.mul_(2) -> grad_fn MulBackward0 whose input is
    // MulBackward0; x.grad == [6., 6.].
    let (x, _) = xw();
    let y = &x * 3.0;
    let r = y.mul_(2.0);
    // The returned handle is the same tensor as y now is.
    assert!(r.grad_fn().unwrap().same(&y.grad_fn().unwrap()));
    let f = y.grad_fn().unwrap();
    assert_eq!(f.name(), "MulBackward0");
    let next = f.next_functions();
    assert_eq!(next[0].as_ref().unwrap().name(), "MulBackward0");
    assert_eq!(y.to_vec::<f64>(), vec![6.0, 12.0]);
    assert_eq!(y.version(), 1);
    y.sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![6.0, 6.0]);

    // y = x.sin(); y.add_(1) -> AddBackward0; x.grad == cos(x).
    let (x, _) = xw();
    let y = x.sin();
    y.add_(1.0);
    assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
    y.sum().backward().unwrap();
    assert_close(&grad_of(&x).unwrap(), &[1f64.cos(), 2f64.cos()]);

    // y = x * x; y.mul_(2.0) -> x.grad == [4., 8.] (MulBackward0 saved x only).
    let (x, _) = xw();
    let y = &x * &x;
    y.mul_(2.0);
    y.sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![4.0, 8.0]);
}

#[test]
fn in_place_with_an_operand_that_requires_grad() {
    // y = x * 1; y.mul_(w) -> MulBackward0; x.grad == [3., 4.], w.grad == [1., 2.]
    let (x, w) = xw();
    let y = &x * 1.0;
    y.mul_(&w);
    assert_eq!(y.grad_fn().unwrap().name(), "MulBackward0");
    y.sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![3.0, 4.0]);
    assert_eq!(grad_of(&w).unwrap(), vec![1.0, 2.0]);
    // y = x * 3; y.div_(w) -> x.grad == [1., 0.75], w.grad == [-1/3, -0.375]
    let (x, w) = xw();
    let y = &x * 3.0;
    y.div_(&w);
    assert_eq!(y.grad_fn().unwrap().name(), "DivBackward0");
    y.sum().backward().unwrap();
    assert_close(&grad_of(&x).unwrap(), &[1.0, 0.75]);
    assert_close(&grad_of(&w).unwrap(), &[-1.0 / 3.0, -0.375]);
    // y = x * 3; y.sub_(w).add_(2.0) -> AddBackward0; x.grad == [3., 3.],
    // w.grad == [-1., -1.]
    let (x, w) = xw();
    let y = &x * 3.0;
    y.sub_(&w).add_(2.0);
    assert_eq!(y.grad_fn().unwrap().name(), "AddBackward0");
    assert_eq!(
        y.grad_fn().unwrap().next_functions()[0]
            .as_ref()
            .unwrap()
            .name(),
        "SubBackward0"
    );
    y.sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![3.0, 3.0]);
    assert_eq!(grad_of(&w).unwrap(), vec![-1.0, -1.0]);
    // y = x * 3; y.div_(2.0) -> DivBackward0; x.grad == [1.5, 1.5]
    let (x, _) = xw();
    let y = &x * 3.0;
    y.div_(2.0);
    assert_eq!(y.grad_fn().unwrap().name(), "DivBackward0");
    y.sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![1.5, 1.5]);
}

#[test]
fn consumers_recorded_before_the_in_place_op_see_the_old_value() {
    // y = x * 3; z = y + 1; y.mul_(2); (z + y).sum().backward() -> x.grad == [9., 9.]
    let (x, _) = xw();
    let y = &x * 3.0;
    let z = &y + 1.0;
    let held = y.clone(); // another handle of y sees the rebase too
    y.mul_(2.0);
    assert_eq!(held.grad_fn().unwrap().name(), "MulBackward0");
    (&z + &held).sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![9.0, 9.0]);
    // Two rebases in a row, and a consumer between them.
    let (x, _) = xw();
    let y = &x * 3.0;
    y.mul_(2.0);
    let z = &y * 1.0; // d/dx = 6
    y.add_(1.0).mul_(5.0); // d/dx = 30
    (&z + &y).sum().backward().unwrap();
    assert_eq!(grad_of(&x).unwrap(), vec![36.0, 36.0]);
}

#[test]
fn in_place_over_a_saved_value_fails_backward_as_in_pytorch() {
    // y = x.exp(); y.mul_(2); y.sum().backward() -> "one of the variables needed
    // for gradient computation has been modified by an inplace operation: ...
    // which is output 0 of Exp"
    let (x, _) = xw();
    let y = x.exp();
    y.mul_(2.0);
    assert_eq!(y.grad_fn().unwrap().name(), "MulBackward0");
    let err = y.sum().backward().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::ModifiedInPlace { .. }), "{msg}");
    assert!(
        msg.contains("ExpBackward0") && msg.contains("mul_"),
        "{msg}"
    );
    // tanh saves its output too.
    let (x, _) = xw();
    let y = x.tanh();
    y.add_(1.0);
    let msg = y.sum().backward().unwrap_err().to_string();
    assert!(
        msg.contains("TanhBackward0") && msg.contains("add_"),
        "{msg}"
    );
}

#[test]
fn in_place_is_refused_where_the_graph_cannot_be_rebased() {
    // A leaf that requires grad: PyTorch raises "a leaf Variable that requires
    // grad is being used in an in-place operation."
    let (x, w) = xw();
    let err = x.try_mul_(2.0).unwrap_err();
    assert!(
        matches!(err, Error::InPlaceOnGraph { op: "mul_", .. }),
        "{err}"
    );
    // Under no_grad it is the optimizer's update.
    no_grad(|| x.mul_(2.0));
    assert_eq!(x.to_vec::<f64>(), vec![2.0, 4.0]);
    // Not rebased here (PyTorch would): a view's data, and a leaf that does
    // not require grad with an operand that does.
    let y = &x * 1.0;
    let v = y.reshape(&[2, 1]);
    assert!(v.try_mul_(2.0).is_err() && y.try_mul_(2.0).is_err());
    let c = Tensor::zeros(&[2]).to_dtype(DType::F64);
    assert!(c.try_add_(&w).is_err());
    // Nothing changed in the refused cases.
    assert_eq!(y.to_vec::<f64>(), vec![2.0, 4.0]);
}

#[test]
fn rebased_gradients_match_finite_differences() {
    let f = |xs: &[Tensor]| {
        let y = xs[0].sin() * 2.0;
        y.mul_(&xs[1]).add_(&xs[0]).div_(3.0);
        let z = xs[1].sin(); // saves its input, not its output
        z.sub_(&xs[0]);
        (&y * &z).sum()
    };
    let a = Tensor::from_vec(vec![0.3, -0.7, 1.1], &[3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.5, 0.2, -0.4], &[3]).requires_grad_(true);
    autograd::gradcheck(f, &[a, b]).unwrap();
}
