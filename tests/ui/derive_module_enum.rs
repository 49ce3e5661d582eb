use autograd::prelude::*;

#[derive(Module)]
enum Net {
    Small(nn::Linear),
    Big(nn::Linear, nn::Linear),
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.clone()
    }
}

fn main() {}
