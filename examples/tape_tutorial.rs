//! PyTorch's "Autograd: automatic differentiation" tutorial, cell by cell, on
//! the dynamic tape. Run with `cargo run --example tape_tutorial`; the printed
//! numbers are the tutorial's.

use autograd::prelude::*;
use autograd::{grad, BackwardOptions, Error};

fn main() -> Result<(), Error> {
    // x = torch.ones(2, 2, requires_grad=True)
    let x = Tensor::ones(&[2, 2]).requires_grad_(true);
    println!("{x}");
    // y = x + 2
    let y = &x + 2.0;
    println!("{y}");
    println!("{:?}", y.grad_fn().unwrap());
    // z = y * y * 3; out = z.mean()
    let z = &y * &y * 3.0;
    let out = z.mean();
    println!("{z} {out}");
    // out.backward(); print(x.grad)
    out.backward_with_options(None, BackwardOptions::default().retain_graph(true))?;
    println!("{}", x.grad().unwrap());
    // Gradients accumulate: a second backward doubles them.
    out.backward()?;
    println!("{}", x.grad().unwrap());

    // Vector-Jacobian product: the doubling loop.
    autograd::manual_seed(0);
    let x = Tensor::randn(&[3]).requires_grad_(true);
    let mut y = &x * 2.0;
    while y.norm().item() < 1000.0 {
        y *= 2.0;
    }
    y.backward_with(&Tensor::from_vec(vec![0.1f32, 1.0, 0.0001], &[3]))?;
    println!("{}", x.grad().unwrap());

    // no_grad
    println!("{} {}", x.requires_grad(), (x.pow(2.0)).requires_grad());
    println!("{}", no_grad(|| x.pow(2.0).requires_grad()));

    // Higher order: d2/dx2 of x^3 at 2 is 12.
    let x = Tensor::scalar(2.0).requires_grad_(true);
    let dy = grad(&x.pow(3.0), &x, None, true, true)?;
    let d2y = grad(&dy, &x, None, false, false)?;
    println!("dy/dx = {}, d2y/dx2 = {}", dy[0].item(), d2y[0].item());

    // The graph, for Graphviz.
    let out = ((&x + 2.0).pow(2.0)).sum();
    println!("{}", out.to_dot());
    Ok(())
}
