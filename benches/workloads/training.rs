//! W4 and W5: one training step on the tape, written as a user would with `nn`,
//! `nn::functional` and `optim`. Peer benchmarks (`bench-peers/`) implement the
//! same definitions:
//!
//! | | W4 | W5 |
//! | --- | --- | --- |
//! | model | 784-128-10 MLP: `Linear(784, 128)`, ReLU, `Linear(128, 10)` | LeNet ([`LeNet`], `examples/lenet.rs`) |
//! | input | `x: [64, 784]`, standard normal | `x: [32, 1, 32, 32]`, standard normal |
//! | targets | class `i % 10` for sample `i` | class `i % 10` for sample `i` |
//! | dtype | `f32` | `f32` |
//! | loss | cross-entropy of the logits, mean over the batch | the same |
//! | step | `zero_grad`, forward, loss, backward, SGD `lr = 0.01` (no momentum) | the same |
//!
//! Weights use PyTorch's default initialisation (`kaiming_uniform_(a = sqrt(5))`
//! for weights, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` for biases), drawn after
//! `manual_seed(0)`, then the input; the values are not part of the workload (a
//! peer draws its own), the shapes and the arithmetic are.

use autograd::nn::functional as F;
use autograd::optim::Sgd;
use autograd::prelude::*;

/// W4's batch size.
pub const MLP_BATCH: usize = 64;
/// W5's batch size.
pub const LENET_BATCH: usize = 32;
/// The learning rate of both.
pub const LR: f64 = 0.01;

/// A training step's model, data and optimizer.
pub struct Step<M> {
    /// The model.
    pub model: M,
    /// The input batch.
    pub x: Tensor,
    /// The class indices (`f32` whole numbers), shape `[batch]`.
    pub y: Tensor,
    /// Plain SGD over the model's parameters.
    pub opt: Sgd,
}

impl<M: Module> Step<M> {
    fn new(model: M, x_shape: &[usize]) -> Self {
        let x = Tensor::randn(x_shape);
        let batch = x_shape[0];
        let y = Tensor::from_vec((0..batch).map(|i| (i % 10) as f32).collect(), &[batch]);
        let opt = Sgd::new(model.parameters(), LR);
        Step { model, x, y, opt }
    }

    /// One step: zero the gradients, forward, cross-entropy, backward, SGD
    /// update. Returns the loss before the update.
    pub fn run(&mut self) -> f64 {
        self.opt.zero_grad();
        let loss = F::cross_entropy(&self.model.forward(&self.x), &self.y);
        loss.backward().expect("the loss is a scalar");
        self.opt.step();
        loss.item()
    }
}

/// W4: 784-128-10 ReLU MLP, batch 64.
pub fn mlp_step() -> Step<nn::Sequential> {
    autograd::manual_seed(0);
    let model = nn::Sequential::new()
        .append(nn::Linear::new(784, 128))
        .append(nn::ReLU::new())
        .append(nn::Linear::new(128, 10));
    Step::new(model, &[MLP_BATCH, 784])
}

/// W5's network, LeNet as in PyTorch's "Neural Networks" tutorial:
/// `(n, 1, 32, 32)` images to `(n, 10)` scores through conv 1->6 3x3 (stride 1,
/// no padding), ReLU, 2x2 max-pool, conv 6->16 3x3, ReLU, 2x2 max-pool, flatten
/// to 576, `Linear(576, 120)`, ReLU, `Linear(120, 84)`, ReLU, `Linear(84, 10)`.
/// The example's own network.
#[allow(dead_code)]
#[path = "../../examples/lenet.rs"]
pub mod lenet;
pub use lenet::LeNet;

/// W5: LeNet, batch 32.
pub fn lenet_step() -> Step<LeNet> {
    autograd::manual_seed(0);
    Step::new(LeNet::new(), &[LENET_BATCH, 1, 32, 32])
}
