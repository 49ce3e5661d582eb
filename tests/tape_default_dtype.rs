//! `autograd::set_default_dtype`: the dtype constructors and modules create, and
//! the one printing leaves unnamed. The default is global to the process, as in
//! PyTorch, so everything that changes it runs in this one test (the tests of a
//! file run on concurrent threads).

use autograd::prelude::*;
use autograd::{get_default_dtype, set_default_dtype};

#[test]
fn the_default_dtype_drives_constructors_modules_and_printing() {
    assert_eq!(get_default_dtype(), DType::F32);
    let f32_made = [
        Tensor::zeros(&[2]),
        Tensor::ones(&[2]),
        Tensor::randn(&[2]),
        Tensor::rand(&[2]),
        Tensor::arange(2),
        Tensor::eye(2),
    ];
    assert!(f32_made.iter().all(|t| t.dtype() == DType::F32));

    set_default_dtype(DType::F64);
    assert_eq!(get_default_dtype(), DType::F64);
    let made = [
        Tensor::zeros(&[2]),
        Tensor::ones(&[2]),
        Tensor::randn(&[2]),
        Tensor::rand(&[2]),
        Tensor::arange(2),
        Tensor::eye(2),
    ];
    assert!(made.iter().all(|t| t.dtype() == DType::F64));
    // Given data keeps its element type (API.md: f32 data makes an F32 tensor).
    assert_eq!(Tensor::from_vec(vec![1.0f32], &[1]).dtype(), DType::F32);
    // Modules initialise their parameters in the default dtype, as
    // `torch.nn.Linear(2, 3).weight.dtype` is float64 after
    // `torch.set_default_dtype(torch.float64)`.
    let lin = nn::Linear::new(2, 3);
    assert!(lin.parameters().iter().all(|p| p.dtype() == DType::F64));
    let y = lin.forward(&Tensor::ones(&[4, 2]));
    assert_eq!(y.dtype(), DType::F64);
    // What PyTorch 2.15 prints under `torch.set_default_dtype(torch.float64)`:
    // the default is not named, float32 is.
    let v = vec![1.5f64, 2.0];
    assert_eq!(
        format!("{}", Tensor::from_vec(v.clone(), &[2])),
        "tensor([1.5000, 2.0000])"
    );
    assert_eq!(
        format!("{}", Tensor::from_vec(v.clone(), &[2]).to_dtype(DType::F32)),
        "tensor([1.5000, 2.0000], dtype=torch.float32)"
    );

    set_default_dtype(DType::F32);
    assert_eq!(Tensor::zeros(&[1]).dtype(), DType::F32);
    assert_eq!(
        format!("{}", Tensor::from_vec(v, &[2])),
        "tensor([1.5000, 2.0000], dtype=torch.float64)"
    );
}
