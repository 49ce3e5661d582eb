use autograd::prelude::*;
use std::marker::PhantomData;

#[derive(Module)]
struct Block {
    fc: nn::Linear,
}

impl Module for Block {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc.forward(x)
    }
}

#[derive(Module)]
struct Net<M, T> {
    weight: Tensor,
    bias: Option<Tensor>,
    #[module(buffer)]
    running: Tensor,
    blocks: Vec<Block>,
    maybe: Option<Block>,
    pair: [Block; 2],
    dynamic: Box<dyn Module>,
    inner: M,
    #[module(skip)]
    name: &'static str,
    steps: usize,
    rate: f64,
    unit: (),
    marker: PhantomData<T>,
}

impl<M: Module, T> Module for Net<M, T> {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.inner.forward(&(x * &self.weight))
    }
}

#[derive(Module)]
struct Tuple(Block, Tensor);

impl Module for Tuple {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.0.forward(x) + &self.1
    }
}

#[derive(Module)]
struct Empty;

impl Module for Empty {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.clone()
    }
}

fn main() {
    let b = || Block {
        fc: nn::Linear::new(2, 2),
    };
    let net = Net::<Empty, u8> {
        weight: Tensor::ones(&[2]),
        bias: None,
        running: Tensor::zeros(&[2]),
        blocks: vec![b()],
        maybe: Some(b()),
        pair: [b(), b()],
        dynamic: Box::new(nn::ReLU::new()),
        inner: Empty,
        name: "net",
        steps: 0,
        rate: 0.1,
        unit: (),
        marker: PhantomData,
    };
    assert_eq!(net.named_parameters().len(), 1 + 2 + 2 + 4);
    assert_eq!(net.named_buffers()[0].0, "running");
    let _ = (net.name, net.steps, net.rate, net.unit, net.bias.is_none());
    let t = Tuple(b(), Tensor::zeros(&[2]));
    assert_eq!(t.named_parameters()[2].0, "1");
    let _ = Empty.parameters();
}
