use autograd::prelude::*;

#[derive(Module)]
struct Net<'a> {
    shared: &'a nn::Linear,
    pair: (nn::Linear, nn::Linear),
}

impl Module for Net<'_> {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.shared.forward(x)
    }
}

fn main() {}
