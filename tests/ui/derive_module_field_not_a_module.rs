use autograd::prelude::*;
use std::collections::HashMap;

#[derive(Module)]
struct Net {
    fc: nn::Linear,
    cache: HashMap<String, f64>,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc.forward(x)
    }
}

fn main() {}
