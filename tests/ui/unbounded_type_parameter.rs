use autograd::prelude::*;

#[differentiable]
fn f<T>(x: T) -> T {
    x
}

fn main() {}
