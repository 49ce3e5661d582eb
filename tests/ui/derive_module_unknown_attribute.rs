use autograd::prelude::*;

#[derive(Module)]
struct Net {
    #[module(frozen)]
    fc: nn::Linear,
    #[module]
    bias: Tensor,
    #[module(skip, buffer)]
    scale: Tensor,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc.forward(x)
    }
}

fn main() {}
