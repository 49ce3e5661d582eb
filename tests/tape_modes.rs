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
