// A custom rule's pullback takes the arguments and the output's cotangent, and
// returns the function's `Grad`.
use autograd::prelude::*;

#[differentiable(vjp = exp_pullback)]
fn opaque_exp(x: f64) -> f64 {
    x.exp()
}

fn exp_pullback(x: f64) -> f64 {
    x.exp()
}

fn main() {
    let _ = opaque_exp::grad(1.0);
}
