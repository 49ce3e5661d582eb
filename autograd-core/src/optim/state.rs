//! An optimizer's state as plain data, PyTorch's `optimizer.state_dict()`.

use crate::{Error, Tensor};
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

impl StateDict {
    /// The state as named `f64` tensors, for a checkpoint file (safetensors holds
    /// exactly this: names and tensors). Names: `state.{param}.{entry}` (a list
    /// as `state.{param}.{entry}.len` and `.{k}` for its elements),
    /// `param_groups.{group}.lr`, `.weight_decay` and `.params` (the parameter
    /// numbers). [`StateDict::from_tensors`] reads them back.
    ///
    /// ```
    /// use autograd_core::optim::{Adam, Optimizer, StateDict};
    /// use autograd_core::Tensor;
    ///
    /// let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
    /// let mut opt = Adam::new(vec![w.clone()], 0.1);
    /// (&w * &w).sum().backward().unwrap();
    /// opt.step();
    /// let tensors = opt.state_dict().to_tensors();
    /// assert!(tensors.iter().any(|(name, _)| name == "state.0.exp_avg"));
    /// assert_eq!(StateDict::from_tensors(&tensors).unwrap(), opt.state_dict());
    /// ```
    pub fn to_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (index, entries) in &self.state {
            for (key, value) in entries {
                let name = format!("state.{index}.{key}");
                match value {
                    StateValue::List(items) => {
                        out.push((format!("{name}.len"), Tensor::scalar(items.len() as f64)));
                        for (k, item) in items.iter().enumerate() {
                            out.push((format!("{name}.{k}"), leaf_tensor(item)));
                        }
                    }
                    v => out.push((name, leaf_tensor(v))),
                }
            }
        }
        for (g, group) in self.param_groups.iter().enumerate() {
            let params: Vec<f64> = group.params.iter().map(|&p| p as f64).collect();
            let n = params.len();
            out.push((
                format!("param_groups.{g}.params"),
                Tensor::from_vec(params, &[n]),
            ));
            out.push((format!("param_groups.{g}.lr"), Tensor::scalar(group.lr)));
            out.push((
                format!("param_groups.{g}.weight_decay"),
                Tensor::scalar(group.weight_decay),
            ));
        }
        out
    }

    /// Reads what [`StateDict::to_tensors`] wrote. A rank-0 tensor becomes a
    /// [`StateValue::Scalar`] (optimizers accept either for a one-element buffer).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first tensor whose name is not of
    /// that layout, and when a group or a list element is missing.
    pub fn from_tensors(tensors: &[(String, Tensor)]) -> Result<StateDict, Error> {
        let bad = |name: &str, why: &str| Error::InvalidArgument {
            op: "StateDict::from_tensors",
            shape: Vec::new(),
            reason: format!("`{name}`: {why}"),
        };
        let mut sd = StateDict::default();
        let mut lists: BTreeMap<(usize, String), (usize, BTreeMap<usize, StateValue>)> =
            BTreeMap::new();
        // Per group: params, lr, weight_decay, as they are found.
        type Partial = (Option<Vec<usize>>, Option<f64>, Option<f64>);
        let mut groups: BTreeMap<usize, Partial> = BTreeMap::new();
        for (name, t) in tensors {
            let parts: Vec<&str> = name.split('.').collect();
            let number = |s: &str| {
                s.parse::<usize>()
                    .map_err(|_| bad(name, "expected a number between the dots"))
            };
            match parts.as_slice() {
                ["state", i, key] => {
                    sd.state
                        .entry(number(i)?)
                        .or_default()
                        .insert(key.to_string(), leaf_value(t));
                }
                ["state", i, key, "len"] => {
                    lists.entry((number(i)?, key.to_string())).or_default().0 = t.item() as usize;
                }
                ["state", i, key, k] => {
                    lists
                        .entry((number(i)?, key.to_string()))
                        .or_default()
                        .1
                        .insert(number(k)?, leaf_value(t));
                }
                ["param_groups", g, field] => {
                    let group = groups.entry(number(g)?).or_default();
                    match *field {
                        "params" => {
                            group.0 = Some(t.to_vec::<f64>().iter().map(|&p| p as usize).collect())
                        }
                        "lr" => group.1 = Some(t.item()),
                        "weight_decay" => group.2 = Some(t.item()),
                        _ => return Err(bad(name, "unknown parameter-group field")),
                    }
                }
                _ => return Err(bad(name, "not a name StateDict::to_tensors writes")),
            }
        }
        for ((index, key), (len, items)) in lists {
            if items.len() != len || items.keys().any(|&k| k >= len) {
                return Err(bad(
                    &format!("state.{index}.{key}"),
                    "list elements are missing",
                ));
            }
            sd.state
                .entry(index)
                .or_default()
                .insert(key, StateValue::List(items.into_values().collect()));
        }
        for (expected, (g, (params, lr, weight_decay))) in groups.into_iter().enumerate() {
            let name = format!("param_groups.{g}");
            if g != expected {
                return Err(bad(&format!("param_groups.{expected}"), "missing"));
            }
            sd.param_groups.push(GroupDict {
                params: params.ok_or_else(|| bad(&name, "`params` is missing"))?,
                lr: lr.ok_or_else(|| bad(&name, "`lr` is missing"))?,
                weight_decay: weight_decay
                    .ok_or_else(|| bad(&name, "`weight_decay` is missing"))?,
            });
        }
        Ok(sd)
    }
}

fn leaf_tensor(v: &StateValue) -> Tensor {
    match v {
        StateValue::Scalar(x) => Tensor::scalar(*x),
        StateValue::Tensor { shape, data } => Tensor::from_vec(data.clone(), shape),
        StateValue::List(_) => unreachable!("lists hold scalars and tensors only"),
    }
}

fn leaf_value(t: &Tensor) -> StateValue {
    if t.shape().is_empty() {
        StateValue::Scalar(t.item())
    } else {
        StateValue::Tensor {
            shape: t.shape().to_vec(),
            data: t.to_vec::<f64>(),
        }
    }
}
