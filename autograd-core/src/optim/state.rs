//! An optimizer's state as plain data, PyTorch's `optimizer.state_dict()`.

use std::collections::BTreeMap;

/// An optimizer's state (`opt.state_dict()`): what it needs to continue a run
/// exactly where it stopped.
///
/// Parameters are numbered in group order, from 0, as PyTorch numbers them;
/// `state` holds an entry only for the parameters that have been updated at least
/// once. The names of the entries are PyTorch's (`"step"`, `"exp_avg"`,
/// `"momentum_buffer"`, ...). Hyper-parameters other than the learning rate and
/// the weight decay are not part of it: they come from the optimizer's builder.
///
/// ```
/// use autograd_core::optim::{Optimizer, Sgd};
/// use autograd_core::Tensor;
///
/// let w = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w.clone()], 0.1).momentum(0.9);
/// (&w * &w).sum().backward().unwrap();
/// opt.step();
/// let saved = opt.state_dict();
/// assert!(saved.state[&0].contains_key("momentum_buffer"));
///
/// let mut resumed = Sgd::new(vec![w.clone()], 0.1).momentum(0.9);
/// resumed.load_state_dict(&saved).unwrap();
/// assert_eq!(resumed.state_dict(), saved);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateDict {
    /// Per-parameter state, by parameter number.
    pub state: BTreeMap<usize, BTreeMap<String, StateValue>>,
    /// Per-group settings and the numbers of the group's parameters.
    pub param_groups: Vec<GroupDict>,
}

/// One parameter group in a [`StateDict`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupDict {
    /// The numbers of the group's parameters.
    pub params: Vec<usize>,
    /// The group's learning rate.
    pub lr: f64,
    /// The group's weight decay.
    pub weight_decay: f64,
}

/// One entry of a parameter's state.
#[derive(Clone, Debug, PartialEq)]
pub enum StateValue {
    /// A number (a step count, a running product, ...).
    Scalar(f64),
    /// A buffer, row-major, with its shape.
    Tensor {
        /// The shape.
        shape: Vec<usize>,
        /// The data, row-major.
        data: Vec<f64>,
    },
    /// A list of entries (L-BFGS's history).
    List(Vec<StateValue>),
}
