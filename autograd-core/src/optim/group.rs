//! What the element-wise optimizers share: parameter groups, per-parameter state
//! and the loop that applies an update rule to every parameter.
//!
//! The loop lets the rule update each parameter element by element in PyTorch's
//! order of operations, in `f64`, in place in the parameter's own storage (an
//! in-place write: nothing is recorded on the tape, the version counter moves,
//! and the parameter keeps its identity, as PyTorch's `param.add_(..)`). An `f32`
//! parameter's elements are widened to `f64` for the arithmetic and rounded back.

use super::state::{GroupDict, StateDict, StateValue};
use crate::tensor::Storage;
use crate::{no_grad, DType, Error, Tensor};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A set of parameters with its own learning rate and weight decay, PyTorch's
/// `{"params": [...], "lr": ...}` entry of `param_groups`.
///
/// ```
/// use autograd_core::optim::{Optimizer, ParamGroup, Sgd};
/// use autograd_core::Tensor;
///
/// let body = Tensor::zeros(&[3]).requires_grad_(true);
/// let head = Tensor::zeros(&[2]).requires_grad_(true);
/// let opt = Sgd::with_groups(
///     vec![ParamGroup::new(vec![body]), ParamGroup::new(vec![head]).lr(0.1)],
///     0.01,
/// )
/// .momentum(0.9);
/// assert_eq!(opt.group_lr(0), 0.01);
/// assert_eq!(opt.group_lr(1), 0.1);
/// ```
#[derive(Clone)]
pub struct ParamGroup {
    /// The parameters (PyTorch's `group["params"]`).
    pub params: Vec<Tensor>,
    /// The learning rate; `None` takes the optimizer's. Inside an optimizer it is
    /// always `Some`, and schedulers change it.
    pub lr: Option<f64>,
    /// The weight decay; `None` takes the optimizer's (its `weight_decay` builder).
    pub weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group of `params` with the optimizer's hyper-parameters.
    pub fn new(params: Vec<Tensor>) -> ParamGroup {
        ParamGroup {
            params,
            lr: None,
            weight_decay: None,
        }
    }

    /// This group's learning rate.
    pub fn lr(mut self, lr: f64) -> ParamGroup {
        self.lr = Some(lr);
        self
    }

    /// This group's weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> ParamGroup {
        self.weight_decay = Some(weight_decay);
        self
    }
}

impl std::fmt::Debug for ParamGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shapes: Vec<&[usize]> = self.params.iter().map(Tensor::shape).collect();
        f.debug_struct("ParamGroup")
            .field("params", &shapes)
            .field("lr", &self.lr)
            .field("weight_decay", &self.weight_decay)
            .finish()
    }
}

/// A group's hyper-parameters as the update rule sees them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hyper {
    pub lr: f64,
    pub weight_decay: f64,
}

/// Per-parameter state: PyTorch's `state[p]`. `bufs` are shaped like the parameter
/// (flattened), named by [`Rule::BUFFERS`]; a buffer the options do not use is
/// empty. `scalars` are named by [`Rule::SCALARS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ParamState {
    pub step: f64,
    pub bufs: Vec<Vec<f64>>,
    pub scalars: Vec<f64>,
}

impl ParamState {
    /// A state whose buffers `used` are zeros of length `n`, the others empty.
    pub fn zeros<R: Rule + ?Sized>(rule: &R, n: usize) -> ParamState {
        ParamState {
            step: 0.0,
            bufs: (0..R::BUFFERS.len())
                .map(|i| {
                    if rule.uses(i) {
                        vec![0.0; n]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
            scalars: vec![0.0; R::SCALARS.len()],
        }
    }

    fn round_to_f32(&mut self) {
        for b in &mut self.bufs {
            for v in b.iter_mut() {
                *v = *v as f32 as f64;
            }
        }
        for v in &mut self.scalars {
            *v = *v as f32 as f64;
        }
    }
}

/// An element-wise update rule: the hyper-parameters of an optimizer that are
/// the same for every group, and what one step does to one parameter.
pub(crate) trait Rule {
    /// PyTorch's names of the per-parameter buffers, in the order of
    /// [`ParamState::bufs`].
    const BUFFERS: &'static [&'static str];
    /// Names of the per-parameter scalars besides `step`.
    const SCALARS: &'static [&'static str] = &[];

    /// Whether buffer `i` is used with these options.
    fn uses(&self, _buffer: usize) -> bool {
        true
    }

    /// The state before the first step of a parameter of `n` elements.
    fn init(&self, n: usize, _h: &Hyper) -> ParamState {
        ParamState::zeros(self, n)
    }

    /// The default weight decay of the groups.
    fn weight_decay(&self) -> f64;

    /// One step on parameter `p` with gradient `g`.
    fn update(&self, h: &Hyper, p: &mut [f64], g: &[f64], s: &mut ParamState);

    /// [`Rule::update`] of an `f32` parameter: the same arithmetic in `f64` on
    /// the widened elements, each result rounded to `f32`. By default through
    /// `f64` copies kept in `scratch`; a rule may widen element by element
    /// instead (the same bits).
    fn update_f32(
        &self,
        h: &Hyper,
        p: &mut [f32],
        g: &[f32],
        s: &mut ParamState,
        scratch: &mut Scratch,
    ) {
        let Scratch { p: pv, g: gv } = scratch;
        pv.clear();
        pv.extend(p.iter().map(|&v| f64::from(v)));
        gv.clear();
        gv.extend(g.iter().map(|&v| f64::from(v)));
        self.update(h, pv, gv, s);
        for (p, &v) in p.iter_mut().zip(pv.iter()) {
            *p = v as f32;
        }
    }
}

/// `f64` copies of an `f32` parameter and its gradient, reused across steps.
#[derive(Default)]
pub(crate) struct Scratch {
    p: Vec<f64>,
    g: Vec<f64>,
}

/// Groups and their per-parameter states.
pub(crate) struct Core {
    pub groups: Vec<ParamGroup>,
    /// `state[group][param]`, `None` until the parameter's first step.
    pub state: Vec<Vec<Option<ParamState>>>,
    /// The learning rate given to the constructor, for groups added later.
    default_lr: f64,
    scratch: Scratch,
}

impl Core {
    pub fn new(groups: Vec<ParamGroup>, lr: f64) -> Core {
        let mut core = Core {
            groups: Vec::new(),
            state: Vec::new(),
            default_lr: lr,
            scratch: Scratch::default(),
        };
        for g in groups {
            core.add_group(g);
        }
        core
    }

    pub fn add_group(&mut self, mut group: ParamGroup) {
        group.lr.get_or_insert(self.default_lr);
        self.state.push(vec![None; group.params.len()]);
        self.groups.push(group);
    }

    pub fn zero_grad(&self) {
        for g in &self.groups {
            for p in &g.params {
                p.zero_grad();
            }
        }
    }

    fn hyper<R: Rule>(&self, rule: &R, group: usize) -> Hyper {
        let g = &self.groups[group];
        Hyper {
            lr: g.lr.unwrap_or(self.default_lr),
            weight_decay: g.weight_decay.unwrap_or(rule.weight_decay()),
        }
    }

    pub fn step<R: Rule>(&mut self, rule: &R) {
        no_grad(|| {
            for gi in 0..self.groups.len() {
                let h = self.hyper(rule, gi);
                for (p, slot) in self.groups[gi].params.iter().zip(&mut self.state[gi]) {
                    let Some(grad) = p.grad() else { continue };
                    let s = slot.get_or_insert_with(|| rule.init(p.numel(), &h));
                    update_in_place(rule, &h, p, &grad, s, &mut self.scratch);
                    if p.dtype() == DType::F32 {
                        s.round_to_f32();
                    }
                }
            }
        });
    }

    pub fn state_dict<R: Rule>(&self, rule: &R) -> StateDict {
        let mut state = BTreeMap::new();
        let mut param_groups = Vec::new();
        let mut index = 0;
        for (gi, g) in self.groups.iter().enumerate() {
            let h = self.hyper(rule, gi);
            let mut params = Vec::new();
            for (p, s) in g.params.iter().zip(&self.state[gi]) {
                params.push(index);
                if let Some(s) = s {
                    state.insert(index, save_param(rule, p.shape(), s));
                }
                index += 1;
            }
            param_groups.push(GroupDict {
                params,
                lr: h.lr,
                weight_decay: h.weight_decay,
            });
        }
        StateDict {
            state,
            param_groups,
        }
    }

    pub fn load_state_dict<R: Rule>(&mut self, rule: &R, sd: &StateDict) -> Result<(), Error> {
        let sizes: Vec<Vec<usize>> = self
            .groups
            .iter()
            .map(|g| g.params.iter().map(Tensor::numel).collect())
            .collect();
        let new_state = load_states(sd, &sizes, |n, map| load_param(rule, n, map))?;
        for (g, gd) in self.groups.iter_mut().zip(&sd.param_groups) {
            g.lr = Some(gd.lr);
            g.weight_decay = Some(gd.weight_decay);
        }
        self.state = new_state;
        Ok(())
    }
}

/// One step of `rule` on parameter `p` with gradient `grad`, written into `p`'s
/// storage (an in-place `copy_`: the version moves). A gradient sharing `p`'s
/// storage, or of another dtype or length, goes through `f64` copies.
fn update_in_place<R: Rule>(
    rule: &R,
    h: &Hyper,
    p: &Tensor,
    grad: &Tensor,
    s: &mut ParamState,
    scratch: &mut Scratch,
) {
    let aliased = Arc::ptr_eq(&p.inner.buffer, &grad.inner.buffer);
    if aliased || grad.dtype() != p.dtype() || grad.numel() != p.numel() {
        let mut pv = p.to_vec::<f64>();
        rule.update(h, &mut pv, &grad.to_vec::<f64>(), s);
        write_back(p, pv);
        return;
    }
    let g = grad.data();
    p.inner.buffer.modify("copy_", |data| match (data, &*g) {
        (Storage::F64(pv), Storage::F64(gv)) => rule.update(h, pv.as_mut_slice(), gv, s),
        (Storage::F32(pv), Storage::F32(gv)) => {
            rule.update_f32(h, pv.as_mut_slice(), gv, s, scratch)
        }
        _ => unreachable!("the dtypes were compared above"),
    });
}

/// Writes `data` into parameter `p` in place, unrecorded.
pub(crate) fn write_back(p: &Tensor, data: Vec<f64>) {
    no_grad(|| p.copy_(&Tensor::from_vec(data, p.shape())));
}

pub(crate) fn invalid(reason: String) -> Error {
    Error::InvalidArgument {
        op: "load_state_dict",
        shape: Vec::new(),
        reason,
    }
}

/// Checks that `sd` has the group layout `sizes` (numel of every parameter, by
/// group) and loads each saved parameter state with `load`.
pub(crate) fn load_states<S: Clone>(
    sd: &StateDict,
    sizes: &[Vec<usize>],
    load: impl Fn(usize, &BTreeMap<String, StateValue>) -> Result<S, Error>,
) -> Result<Vec<Vec<Option<S>>>, Error> {
    if sd.param_groups.len() != sizes.len() {
        return Err(invalid(format!(
            "the state has {} parameter groups, the optimizer {}",
            sd.param_groups.len(),
            sizes.len()
        )));
    }
    let mut out = Vec::new();
    for (gi, (gd, sizes)) in sd.param_groups.iter().zip(sizes).enumerate() {
        if gd.params.len() != sizes.len() {
            return Err(invalid(format!(
                "group {gi} of the state has {} parameters, the optimizer's {}",
                gd.params.len(),
                sizes.len()
            )));
        }
        let mut group = Vec::new();
        for (&index, &n) in gd.params.iter().zip(sizes) {
            group.push(match sd.state.get(&index) {
                None => None,
                Some(map) => Some(
                    load(n, map)
                        .map_err(|e| invalid(format!("parameter {index}: {}", reason(e))))?,
                ),
            });
        }
        out.push(group);
    }
    Ok(out)
}

fn reason(e: Error) -> String {
    match e {
        Error::InvalidArgument { reason, .. } => reason,
        e => e.to_string(),
    }
}

fn save_param<R: Rule>(rule: &R, shape: &[usize], s: &ParamState) -> BTreeMap<String, StateValue> {
    let mut map = BTreeMap::new();
    map.insert("step".to_string(), StateValue::Scalar(s.step));
    for (i, (name, b)) in R::BUFFERS.iter().zip(&s.bufs).enumerate() {
        if rule.uses(i) {
            map.insert(
                name.to_string(),
                StateValue::Tensor {
                    shape: shape.to_vec(),
                    data: b.clone(),
                },
            );
        }
    }
    for (name, v) in R::SCALARS.iter().zip(&s.scalars) {
        map.insert(name.to_string(), StateValue::Scalar(*v));
    }
    map
}

fn load_param<R: Rule>(
    rule: &R,
    n: usize,
    map: &BTreeMap<String, StateValue>,
) -> Result<ParamState, Error> {
    let mut s = ParamState::zeros(rule, n);
    s.step = scalar(map, "step")?;
    for (i, name) in R::BUFFERS.iter().enumerate() {
        if rule.uses(i) {
            s.bufs[i] = vector(map, name, n)?;
        }
    }
    for (i, name) in R::SCALARS.iter().enumerate() {
        s.scalars[i] = scalar(map, name)?;
    }
    Ok(s)
}

pub(crate) fn scalar(map: &BTreeMap<String, StateValue>, name: &str) -> Result<f64, Error> {
    match map.get(name) {
        Some(StateValue::Scalar(v)) => Ok(*v),
        Some(StateValue::Tensor { data, .. }) if data.len() == 1 => Ok(data[0]),
        Some(_) => Err(invalid(format!("`{name}` is not a scalar"))),
        None => Err(invalid(format!("`{name}` is missing"))),
    }
}

pub(crate) fn vector(
    map: &BTreeMap<String, StateValue>,
    name: &str,
    n: usize,
) -> Result<Vec<f64>, Error> {
    match map.get(name) {
        Some(StateValue::Tensor { data, .. }) if data.len() == n => Ok(data.clone()),
        // A rank-0 buffer (of a scalar parameter) read back from tensors.
        Some(StateValue::Scalar(v)) if n == 1 => Ok(vec![*v]),
        Some(StateValue::Tensor { data, .. }) => Err(invalid(format!(
            "`{name}` has {} elements where the parameter has {n}",
            data.len()
        ))),
        Some(_) => Err(invalid(format!("`{name}` is not a tensor"))),
        None => Err(invalid(format!("`{name}` is missing"))),
    }
}

/// `a + alpha b` rounded once (see [`crate::update::add_alpha`]).
pub(crate) use crate::update::add_alpha;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_state_is_rounded_to_f32() {
        let mut s = ParamState {
            step: 1.0,
            bufs: vec![vec![0.1]],
            scalars: vec![1.0 / 3.0],
        };
        s.round_to_f32();
        assert_eq!(s.bufs[0][0], 0.1f32 as f64);
        assert_eq!(s.scalars[0], (1.0f32 / 3.0) as f64);
    }

    #[test]
    fn groups_without_a_learning_rate_take_the_optimizer_s() {
        let core = Core::new(
            vec![
                ParamGroup::new(Vec::new()),
                ParamGroup::new(Vec::new()).lr(0.5),
            ],
            0.1,
        );
        assert_eq!(core.groups[0].lr, Some(0.1));
        assert_eq!(core.groups[1].lr, Some(0.5));
    }

    #[test]
    fn add_alpha_rounds_once() {
        let (a, b, alpha) = (1.0_f64, 0.1, 0.3);
        assert_eq!(add_alpha(a, b, alpha), alpha.mul_add(b, a));
    }

    #[test]
    fn state_layout_is_checked_before_loading() {
        let sd = StateDict {
            state: BTreeMap::new(),
            param_groups: vec![GroupDict {
                params: vec![0, 1],
                lr: 0.1,
                weight_decay: 0.0,
            }],
        };
        let load = |_: usize, _: &BTreeMap<String, StateValue>| Ok(());
        assert!(load_states(&sd, &[vec![3, 4]], load).is_ok());
        assert!(load_states(&sd, &[vec![3]], load).is_err());
        assert!(load_states(&sd, &[vec![3, 4], vec![1]], load).is_err());
    }
}
