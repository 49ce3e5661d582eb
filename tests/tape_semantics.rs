//! PyTorch's autograd semantics beyond the tutorials: graph lifetime, in-place
//! versions, higher order, hooks, custom functions, dtypes, errors.

use autograd::prelude::*;
use autograd::{functional, grad, BackwardOptions, Error, Function, FunctionCtx};

fn vec_of(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-6 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

/// `err` is the in-place modification error, naming `node` and the in-place `op`.
fn assert_modified(err: Error, node: &str, op: &str) {
    let msg = err.to_string();
    assert!(matches!(err, Error::ModifiedInPlace { .. }), "{msg}");
    assert!(msg.contains(node) && msg.contains(op), "{msg}");
}

#[test]
fn tensor_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    assert_send_sync::<autograd::Node>();
}

#[test]
fn modifying_a_saved_tensor_fails_backward_naming_the_op() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let w = Tensor::from_vec(vec![3.0, 4.0], &[2]);
    let y = (&x * &w).sum();
    w.add_(&Tensor::scalar(1.0));
    assert_modified(y.backward().unwrap_err(), "MulBackward0", "add_");
    assert!(x.grad().is_none());
}

#[test]
fn modifying_a_saved_leaf_that_requires_grad_fails_backward() {
    // `mul` and `div` keep such a leaf through the node's edge rather than a
    // handle of their own: the version check must still see the change, for
    // arrays and for one-element tensors (whose gradients travel as values).
    for shape in [&[2][..], &[]] {
        let n: usize = shape.iter().product();
        for div in [false, true] {
            let a = Tensor::from_vec(vec![1.5; n], shape).requires_grad_(true);
            let b = Tensor::from_vec(vec![2.5; n], shape).requires_grad_(true);
            let y = if div { &a / &b } else { &a * &b }.sum();
            no_grad(|| b.mul_(&Tensor::scalar(2.0)));
            let name = if div { "DivBackward0" } else { "MulBackward0" };
            assert_modified(y.backward().unwrap_err(), name, "mul_");
        }
    }
    // The same for the ops that save a leaf input the same way.
    type Case<'a> = (&'a str, &'a dyn Fn(&Tensor, &Tensor) -> Tensor);
    let ops: [Case; 6] = [
        ("PowBackward0", &|a, _| a.pow(3.0)),
        ("LogBackward0", &|a, _| a.ln()),
        ("SinBackward0", &|a, _| a.sin()),
        ("AbsBackward0", &|a, _| a.abs()),
        ("MulBackward0", &|a, _| 1.0 / a), // `s / x`, named as PyTorch names it
        ("MmBackward0", &|a, b| a.matmul(b)),
    ];
    for (name, f) in ops {
        let a = Tensor::from_vec(vec![1.5; 4], &[2, 2]).requires_grad_(true);
        let b = Tensor::from_vec(vec![2.5; 4], &[2, 2]).requires_grad_(true);
        let y = f(&a, &b).sum();
        no_grad(|| a.mul_(&Tensor::scalar(2.0)));
        let msg = y.backward().unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains("mul_"), "{name}: {msg}");
    }
    // Unmodified, the same graph gives b and a as the gradients of a * b.
    let a = Tensor::scalar(1.5).requires_grad_(true);
    let b = Tensor::scalar(2.5).requires_grad_(true);
    (&a * &b).backward().unwrap();
    assert_eq!(
        (a.grad().unwrap().item(), b.grad().unwrap().item()),
        (2.5, 1.5)
    );
}

#[test]
fn modifying_a_saved_graph_node_fails_backward() {
    // An input that is a graph node is saved as its buffer alone (the node's
    // edge holds the rest): its version must still be checked, on the scalar
    // path (one element) and the tensor path.
    for shape in [&[2][..], &[]] {
        let n: usize = shape.iter().product();
        let a = Tensor::from_vec(vec![1.5; n], shape).requires_grad_(true);
        let h = &a * 2.0;
        let y = (&h * &h).sum();
        no_grad(|| h.add_(&Tensor::scalar(1.0)));
        assert_modified(y.backward().unwrap_err(), "MulBackward0", "add_");
        // Unmodified, the same graph gives d(4 a^2)/da = 8 a.
        let h = &a * 2.0;
        let y = (&h * &h).sum();
        y.backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![12.0; n]);
    }
}

#[test]
fn a_reused_buffer_starts_fresh() {
    // Buffers go back to a per-thread pool when their last reference goes:
    // the next tensor must not see the old version, in-place op or data.
    for shape in [&[3][..], &[]] {
        let n: usize = shape.iter().product();
        for _ in 0..4 {
            let t = Tensor::from_vec(vec![1.0f32; n], shape);
            t.mul_(&Tensor::scalar(3.0));
            assert_eq!(t.version(), 1);
            drop(t);
            let u = Tensor::from_vec(vec![2.0f32; n], shape).requires_grad_(true);
            assert_eq!(u.version(), 0);
            let y = (&u * &u).sum();
            y.backward().unwrap();
            assert_eq!(u.grad().unwrap().to_vec::<f32>(), vec![4.0; n]);
        }
    }
}

#[test]
fn modifying_a_leaf_under_no_grad_is_caught_too() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let y = x.pow(2.0).sum();
    no_grad(|| x.mul_(&Tensor::scalar(2.0)));
    assert_eq!(x.version(), 1);
    let err = y.backward().unwrap_err();
    assert!(err.to_string().contains("PowBackward0"), "{err}");
}

#[test]
fn modifying_a_saved_output_is_caught() {
    let x = Tensor::from_vec(vec![0.5, 1.0], &[2]).requires_grad_(true);
    let y = x.exp();
    let out = y.sum();
    no_grad(|| y.zero_());
    assert!(out
        .backward()
        .unwrap_err()
        .to_string()
        .contains("ExpBackward0"));
}

#[test]
fn in_place_on_a_graph_tensor_with_grad_mode_on_is_refused() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    let err = x.try_add_(&Tensor::ones(&[2])).unwrap_err();
    assert!(
        matches!(err, Error::InPlaceOnGraph { op: "add_", .. }),
        "{err}"
    );
    // The optimizer pattern works.
    no_grad(|| x.sub_(&(Tensor::ones(&[2]) * 0.5)));
    assert_eq!(vec_of(&x), vec![0.5, 0.5]);
    no_grad(|| x.fill_(3.0).zero_());
    assert_eq!(vec_of(&x), vec![0.0, 0.0]);
}

#[test]
fn in_place_shape_errors_name_both_shapes() {
    let a = Tensor::zeros(&[2, 3]);
    let err = a.try_add_(&Tensor::zeros(&[4])).unwrap_err().to_string();
    assert!(
        err.contains("[2, 3]") && err.contains("[4]") && err.contains("add_"),
        "{err}"
    );
}

#[test]
fn detach_shares_data_and_version() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let d = x.detach();
    d.add_(&Tensor::scalar(1.0));
    assert_eq!(vec_of(&x), vec![2.0, 3.0]);
    assert_eq!(x.version(), 1);
}

#[test]
fn second_derivatives_through_create_graph() {
    let x = Tensor::from_vec(vec![0.3, -0.7], &[2]).requires_grad_(true);
    let y = x.tanh().sum();
    let g = grad(&y, &x, None, true, true).unwrap().remove(0);
    assert!(g.requires_grad());
    let t: Vec<f64> = vec_of(&x).iter().map(|v: &f64| v.tanh()).collect();
    assert_close(
        &vec_of(&g),
        &t.iter().map(|t| 1.0 - t * t).collect::<Vec<_>>(),
    );
    g.sum().backward().unwrap();
    let expected: Vec<f64> = t.iter().map(|t| -2.0 * t * (1.0 - t * t)).collect();
    assert_close(&vec_of(&x.grad().unwrap()), &expected);
}

#[test]
fn backward_with_create_graph_makes_leaf_grads_differentiable() {
    let x = Tensor::scalar(2.0).requires_grad_(true);
    let y = x.pow(3.0);
    y.backward_with_options(None, BackwardOptions::default().create_graph(true))
        .unwrap();
    let gx = x.grad().unwrap();
    assert_eq!(gx.item(), 12.0);
    assert!(gx.requires_grad());
    let g2 = grad(&gx, &x, None, false, false).unwrap();
    assert_eq!(g2[0].item(), 12.0);
}

#[test]
fn grad_does_not_touch_dot_grad_and_fills_unused_inputs_with_zeros() {
    let a = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![5.0], &[1]).requires_grad_(true);
    let y = (&a * &a).sum();
    let g = grad(&y, &[&a, &b], None, false, false).unwrap();
    assert_eq!(vec_of(&g[0]), vec![2.0, 4.0]);
    assert_eq!(vec_of(&g[1]), vec![0.0]);
    assert!(a.grad().is_none());
}

#[test]
fn grad_with_respect_to_an_intermediate() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let h = &x * 3.0;
    let y = (&h * &h).sum();
    let g = grad(&y, &h, None, false, false).unwrap();
    assert_eq!(vec_of(&g[0]), vec![6.0, 12.0]);
}

#[test]
fn grad_of_a_constant_is_an_error() {
    let c = Tensor::scalar(1.0);
    let err = c.backward().unwrap_err();
    assert!(err.to_string().contains("does not require grad"), "{err}");
}

#[test]
fn backward_with_a_wrongly_shaped_gradient_fails() {
    let x = Tensor::ones(&[3]).requires_grad_(true);
    let err = (&x * 2.0).backward_with(&Tensor::ones(&[2])).unwrap_err();
    assert!(matches!(err, Error::GradShape { .. }), "{err}");
}

#[test]
fn hooks_see_and_replace_gradients() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    let h = &x * 2.0;
    h.register_hook(move |g| {
        s.lock().unwrap().push(g.to_vec::<f64>());
        None
    });
    let handle = x.register_hook(|g| Some(g * 10.0));
    h.sum().backward().unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![vec![1.0, 1.0]]);
    assert_eq!(vec_of(&x.grad().unwrap()), vec![20.0, 20.0]);
    handle.remove();
    x.zero_grad();
    (&x * 2.0).sum().backward().unwrap();
    assert_eq!(vec_of(&x.grad().unwrap()), vec![2.0, 2.0]);
    assert!(Tensor::ones(&[1]).try_register_hook(|_| None).is_err());
}

#[test]
fn a_hook_that_changes_the_shape_is_an_error() {
    // One-element gradients travel as values between nodes; a hook still sees a
    // tensor, and a replacement of another shape is refused, on a node and on a leaf.
    let x = Tensor::scalar(3.0).requires_grad_(true);
    let h = &x * 2.0;
    h.register_hook(|_| Some(Tensor::ones(&[2])));
    let err = h.tanh().backward().unwrap_err();
    assert!(
        matches!(
            err,
            Error::ShapeMismatch {
                op: "register_hook",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("[2]"), "{err}");

    let (a, b) = (
        Tensor::scalar(1.0).requires_grad_(true),
        Tensor::scalar(2.0).requires_grad_(true),
    );
    b.register_hook(|_| Some(Tensor::ones(&[3])));
    let err = (&a * &b).backward().unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    // Nothing was accumulated: not even the leaf without a hook.
    assert!(a.grad().is_none() && b.grad().is_none());
}

#[test]
fn a_value_used_twice_accumulates() {
    let x = Tensor::scalar(3.0).requires_grad_(true);
    let y = &x * &x + &x;
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().item(), 7.0);
}

#[test]
fn mixed_dtypes_promote_and_gradients_keep_the_leaf_dtype() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![3.0f64, 4.0], &[2]).requires_grad_(true);
    let y = &a * &b;
    assert_eq!(y.dtype(), DType::F64);
    y.sum().backward().unwrap();
    assert_eq!(a.grad().unwrap().dtype(), DType::F32);
    assert_eq!(b.grad().unwrap().dtype(), DType::F64);
    assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![3.0, 4.0]);
    let c = (&a * 2.0).to_dtype(DType::F64);
    assert_eq!(c.grad_fn().unwrap().name(), "ToCopyBackward0");
    assert_eq!((&a * 2.0).dtype(), DType::F32);
    assert_eq!((2.0 * &b).dtype(), DType::F64);
}

#[test]
fn scalars_and_defaults() {
    let s = Tensor::scalar(2.5f32);
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!(s.dtype(), DType::F32);
    assert_eq!(Tensor::zeros(&[2, 3]).dtype(), DType::F32);
    assert_eq!(Tensor::ones(&[2]).sum().shape(), &[] as &[usize]);
    assert_eq!(
        Tensor::ones(&[4, 1]).to_dtype(DType::F64).dtype(),
        DType::F64
    );
    autograd::manual_seed(42);
    let a = Tensor::randn(&[5]).to_vec::<f32>();
    autograd::manual_seed(42);
    assert_eq!(a, Tensor::randn(&[5]).to_vec::<f32>());
    assert_ne!(a, Tensor::randn(&[5]).to_vec::<f32>());
}

#[test]
fn operator_panics_name_the_op_and_both_shapes() {
    let r = std::panic::catch_unwind(|| Tensor::zeros(&[2, 3]) * Tensor::zeros(&[4]));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.contains("mul") && msg.contains("[2, 3]") && msg.contains("[4]"),
        "{msg}"
    );
    let err = Tensor::zeros(&[2, 3])
        .try_matmul(&Tensor::zeros(&[2, 3]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("matmul") && err.contains("[2, 3]"), "{err}");
    assert!(Tensor::zeros(&[2]).try_reshape(&[3]).is_err());
    assert!(Tensor::zeros(&[2]).try_sum_dim(3, false).is_err());
    assert!(Tensor::zeros(&[2]).try_item().is_err());
    assert!(Tensor::try_cat(&[], 0).is_err());
}

#[test]
fn functional_jacobian_hessian_vjp_jvp_hvp() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    // f(x) = [x0^2 x1, sin x0]
    let f = |x: &Tensor| {
        let x0 = x.narrow(0, 0, 1);
        let x1 = x.narrow(0, 1, 1);
        Tensor::cat(&[x0.pow(2.0) * &x1, x0.sin()], 0)
    };
    let j = functional::jacobian(f, &x).unwrap();
    assert_eq!(j.shape(), &[2, 2]);
    assert_close(&vec_of(&j), &[4.0, 1.0, 1f64.cos(), 0.0]);
    let (_, vj) =
        functional::vjp(|xs| f(&xs[0]), &x, &Tensor::from_vec(vec![1.0, 2.0], &[2])).unwrap();
    assert_close(&vec_of(&vj[0]), &[4.0 + 2.0 * 1f64.cos(), 1.0]);
    let (_, jv) = functional::jvp(
        |xs| f(&xs[0]),
        &x,
        &[Tensor::from_vec(vec![1.0, 0.0], &[2])],
    )
    .unwrap();
    assert_close(&vec_of(&jv), &[4.0, 1f64.cos()]);
    // g(x) = x0^2 x1 + x1^3 has Hessian [[2 x1, 2 x0], [2 x0, 6 x1]].
    let g = |x: &Tensor| {
        (x.narrow(0, 0, 1).pow(2.0) * x.narrow(0, 1, 1) + x.narrow(0, 1, 1).pow(3.0)).sum()
    };
    let h = functional::hessian(g, &x).unwrap();
    assert_close(&vec_of(&h), &[4.0, 2.0, 2.0, 12.0]);
    let (_, hv) = functional::hvp(g, &x, &Tensor::from_vec(vec![1.0, 1.0], &[2])).unwrap();
    assert_close(&vec_of(&hv), &[6.0, 14.0]);
}

struct ClampedExp;

impl Function for ClampedExp {
    fn forward(&self, ctx: &mut FunctionCtx, inputs: &[Tensor]) -> Result<Tensor, Error> {
        let y = inputs[0].exp();
        ctx.save_for_backward(&y);
        Ok(y)
    }
    fn backward(&self, ctx: &FunctionCtx, g: &Tensor) -> Result<Vec<Option<Tensor>>, Error> {
        Ok(vec![Some(g * &ctx.saved_tensors()[0])])
    }
}

#[test]
fn custom_functions_join_the_graph() {
    let x = Tensor::from_vec(vec![0.0, 1.0], &[2]).requires_grad_(true);
    let y = ClampedExp.apply(&x);
    assert_eq!(y.grad_fn().unwrap().name(), "ClampedExpBackward");
    (y * 2.0).sum().backward().unwrap();
    assert_close(&vec_of(&x.grad().unwrap()), &[2.0, 2.0 * 1f64.exp()]);
}

#[test]
fn dot_export_labels_like_torchviz() {
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    let out = ((&x + 2.0).pow(2.0)).mean();
    let dot = out.to_dot();
    for label in [
        "MeanBackward0",
        "PowBackward0",
        "AddBackward0",
        "AccumulateGrad",
        "(2, 2)",
        "lightblue",
        "darkolivegreen1",
    ] {
        assert!(dot.contains(label), "{label} missing in\n{dot}");
    }
    assert!(dot.starts_with("digraph {"));
}

#[test]
fn nalgebra_round_trips() {
    use autograd::nalgebra::{DMatrix, SMatrix};
    let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let t = Tensor::from_dmatrix(&m);
    assert_eq!(t.shape(), &[2, 3]);
    assert_eq!(vec_of(&t), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(t.to_dmatrix::<f64>().unwrap(), m);
    let s = SMatrix::<f32, 2, 2>::new(1.0, 2.0, 3.0, 4.0);
    let ts = Tensor::from(&s);
    assert_eq!(ts.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(ts.matmul(&ts).to_smatrix::<f32, 2, 2>().unwrap(), s * s);
    assert!(ts.to_smatrix::<f32, 3, 1>().is_err());
    assert_eq!(Tensor::from(vec![1.0f32, 2.0]).shape(), &[2]);
}

#[test]
fn display_looks_like_pytorch() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    assert_eq!(format!("{x}"), "tensor([1., 1.], requires_grad=True)");
    assert_eq!(
        format!("{}", &x + 1.0),
        "tensor([2., 2.], grad_fn=<AddBackward0>)"
    );
}

#[test]
fn grad_mode_is_per_thread() {
    let x = Tensor::ones(&[1]).requires_grad_(true);
    no_grad(|| {
        let x2 = x.clone();
        let on_other_thread = std::thread::spawn(move || (&x2 * 2.0).requires_grad())
            .join()
            .unwrap();
        assert!(on_other_thread);
        assert!(!(&x * 2.0).requires_grad());
        assert!(autograd::enable_grad(|| (&x * 2.0).requires_grad()));
        assert!(autograd::set_grad_enabled(true, autograd::is_grad_enabled));
    });
}

#[test]
fn requires_grad_on_non_leaf() {
    let x = Tensor::ones(&[1]).requires_grad_(true);
    let y = &x * 2.0;
    assert!(y.try_requires_grad_(false).is_err());
    assert!(!y.is_leaf());
}

#[test]
fn deep_chains_backprop_and_drop_without_overflow() {
    let x = Tensor::scalar(1.0).requires_grad_(true);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y * 1.0;
    }
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().item(), 1.0);
    let mut z = x.clone();
    for _ in 0..100_000 {
        z = &z + 0.0;
    }
    drop(z);
    // Each product saves its input: the saved tensors, not only the edges,
    // keep the chain alive, and dropping it unbackwarded must not recurse.
    let w = Tensor::scalar(1.0).requires_grad_(true);
    let mut p = x.clone();
    for _ in 0..100_000 {
        p = &p * &w;
    }
    drop(p);
}

#[test]
fn ops_without_saved_tensors_can_backward_twice_like_pytorch() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    let y = (&x + 2.0).sum();
    y.backward().unwrap();
    y.backward().unwrap();
    assert_eq!(vec_of(&x.grad().unwrap()), vec![2.0, 2.0]);
    let z = (&x * &x).sum();
    z.backward().unwrap();
    assert!(z
        .backward()
        .unwrap_err()
        .to_string()
        .contains("MulBackward0"));
}

#[test]
fn integral_powers_of_negative_bases() {
    let x = Tensor::from_vec(vec![-2.0, -0.5], &[2]).requires_grad_(true);
    let y = x.pow(3.0);
    assert_eq!(vec_of(&y), vec![-8.0, -0.125]);
    y.sum().backward().unwrap();
    assert_eq!(vec_of(&x.grad().unwrap()), vec![12.0, 0.75]);
    assert!(x.pow(0.5).to_vec::<f64>()[0].is_nan());
}

#[test]
fn custom_functions_are_twice_differentiable() {
    let x = Tensor::from_vec(vec![0.3, -0.2], &[2]);
    autograd::gradgradcheck(|t| ClampedExp.apply(&t[0]), &x).unwrap();
}

#[test]
fn grad_with_explicit_grad_outputs_and_several_outputs() {
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let y1 = &x * 3.0;
    let y2 = x.pow(2.0);
    let v1 = Tensor::from_vec(vec![1.0, 10.0], &[2]);
    let v2 = Tensor::from_vec(vec![0.5, 0.5], &[2]);
    let g = grad(&[&y1, &y2], &x, Some(&[v1, v2]), false, false).unwrap();
    assert_eq!(vec_of(&g[0]), vec![3.0 + 1.0, 30.0 + 2.0]);
    assert!(
        grad(&y1, &x, None, false, false).is_err(),
        "non-scalar output needs grad_outputs"
    );
}

#[test]
fn jvp_with_several_inputs() {
    let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    let b = Tensor::from_vec(vec![3.0, 4.0], &[2]);
    let (y, jv) = functional::jvp(
        |t| &t[0] * &t[1],
        &[&a, &b],
        &[
            Tensor::ones(&[2]).to_dtype(DType::F64),
            Tensor::zeros(&[2]).to_dtype(DType::F64),
        ],
    )
    .unwrap();
    assert_eq!(vec_of(&y), vec![3.0, 8.0]);
    assert_eq!(vec_of(&jv), vec![3.0, 4.0]);
    assert!(!y.requires_grad() && !jv.requires_grad());
}

#[test]
fn scalar_operands_keep_dtype_and_pytorch_names() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let name = |t: Tensor| {
        assert_eq!(t.dtype(), DType::F32);
        t.grad_fn().unwrap().name().to_string()
    };
    assert_eq!(name(&x + 1.0), "AddBackward0");
    assert_eq!(name(1.0 + &x), "AddBackward0");
    assert_eq!(name(&x - 1.0), "SubBackward0");
    assert_eq!(name(1.0 - &x), "RsubBackward1");
    assert_eq!(name(&x * 2.0), "MulBackward0");
    assert_eq!(name(&x / 2.0), "DivBackward0");
    assert_eq!(name(2.0 / &x), "MulBackward0");
    let y = 2.0 / &x + (1.0 - &x) * 3.0;
    assert_eq!(y.to_vec::<f32>(), vec![2.0, -2.0]);
    y.sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![-5.0, -3.5]);
}

/// `grad` with respect to a tensor computed from others runs only the nodes on a
/// path to it, as PyTorch's engine does: the input's own history is not run, so
/// it may have been freed, and a loop that takes the gradient at its current
/// iterate does not run every earlier iteration again.
#[test]
fn grad_runs_only_the_nodes_that_lead_to_the_inputs() {
    let x = Tensor::scalar(0.5).requires_grad_(true);
    let y = x.exp();
    // Frees ExpBackward's saved result.
    let dx = grad(&y, &x, None, false, false).unwrap();
    assert_close(&vec_of(&dx[0]), &[0.5f64.exp()]);
    let z = &y * &y * 3.0;
    let dy = grad(&z, &y, None, false, false).unwrap();
    assert_close(&vec_of(&dy[0]), &[6.0 * 0.5f64.exp()]);
    // Through the history when it leads to another input.
    let err = grad(&(&y * &y), &[y.clone(), x.clone()], None, false, false).unwrap_err();
    assert!(matches!(err, Error::GraphFreed { .. }), "{err:?}");
}
