//! L-BFGS, PyTorch's `torch.optim.LBFGS`.

use super::group::{invalid, load_states, scalar, vector, write_back, ParamGroup};
use super::state::{GroupDict, StateDict, StateValue};
use super::Optimizer;
use crate::{enable_grad, no_grad, Error, Tensor};
use std::collections::{BTreeMap, VecDeque};

/// Limited-memory BFGS (`torch.optim.LBFGS`; Nocedal and Wright, "Numerical
/// Optimization", algorithms 7.4 and 3.5-3.6 for the strong-Wolfe line search).
///
/// It needs the loss several times per step: call [`Lbfgs::step_with`] with a
/// closure that zeroes the gradients, computes the loss, runs backward and
/// returns the loss. All parameters are treated as one flat vector.
///
/// One step, as PyTorch's implementation does it: evaluate the loss and gradient
/// g; stop if `max |g| ≤ tolerance_grad`. Then up to `max_iter` iterations: the
/// direction d is −g on the very first iteration, otherwise the two-loop
/// recursion over the last `history_size` pairs (s = t d, y = g − g₋, kept when
/// yᵀs > 1e-10) with initial Hessian yᵀs / yᵀy; the step length t is
/// `min(1, 1/‖g‖₁) · lr` on the very first iteration and `lr` afterwards, or the
/// result of the strong-Wolfe line search (c₁ = 1e-4, c₂ = 0.9, at most 25
/// evaluations, cubic interpolation); θ ← θ + t d; the loop stops at `max_iter`
/// iterations, `max_eval` evaluations, `max |g| ≤ tolerance_grad`,
/// `max |t d| ≤ tolerance_change`, a loss change below `tolerance_change`, or
/// `gᵀd > −tolerance_change`. Without line search the loss is not re-evaluated
/// after the last iteration. The history and iteration count carry over from step
/// to step.
///
/// Defaults (PyTorch's): lr 1 (pass it to `new`), max_iter 20, max_eval
/// max_iter · 5 / 4, tolerance_grad 1e-7, tolerance_change 1e-9, history_size
/// 100, line_search_fn None.
///
/// ```
/// use autograd_core::optim::Lbfgs;
/// use autograd_core::Tensor;
///
/// let x = Tensor::from_vec(vec![3.0f64, -1.0], &[2]).requires_grad_(true);
/// let mut opt = Lbfgs::new(vec![x.clone()], 1.0).line_search_fn(Some("strong_wolfe"));
/// for _ in 0..5 {
///     opt.step_with(|| {
///         x.zero_grad();
///         let loss = ((&x - 2.0) * (&x - 2.0)).sum();
///         loss.backward().unwrap();
///         loss
///     });
/// }
/// assert!(x.to_vec::<f64>().iter().all(|v| (v - 2.0).abs() < 1e-6));
/// ```
pub struct Lbfgs {
    group: [ParamGroup; 1],
    max_iter: usize,
    max_eval: Option<usize>,
    tolerance_grad: f64,
    tolerance_change: f64,
    history_size: usize,
    strong_wolfe: bool,
    state: LbfgsState,
}

/// PyTorch's `state[params[0]]` of LBFGS.
#[derive(Clone, Debug, Default, PartialEq)]
struct LbfgsState {
    func_evals: usize,
    n_iter: usize,
    d: Vec<f64>,
    t: f64,
    old_dirs: VecDeque<Vec<f64>>,
    old_stps: VecDeque<Vec<f64>>,
    ro: VecDeque<f64>,
    h_diag: f64,
    prev_flat_grad: Vec<f64>,
    prev_loss: f64,
}

impl Lbfgs {
    /// L-BFGS over `params` with learning rate `lr` (PyTorch's default is 1) and
    /// PyTorch's other defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Lbfgs {
        Lbfgs {
            group: [ParamGroup::new(params).lr(lr)],
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            strong_wolfe: false,
            state: LbfgsState::default(),
        }
    }

    /// Most iterations per step (`max_iter=`, default 20).
    pub fn max_iter(mut self, max_iter: usize) -> Lbfgs {
        self.max_iter = max_iter;
        self
    }

    /// Most loss evaluations per step (`max_eval=`, default `max_iter * 5 / 4`).
    pub fn max_eval(mut self, max_eval: usize) -> Lbfgs {
        self.max_eval = Some(max_eval);
        self
    }

    /// Stop when every gradient element is at most this in magnitude
    /// (`tolerance_grad=`, default 1e-7).
    pub fn tolerance_grad(mut self, tolerance_grad: f64) -> Lbfgs {
        self.tolerance_grad = tolerance_grad;
        self
    }

    /// Stop when the loss or the parameters change less than this
    /// (`tolerance_change=`, default 1e-9).
    pub fn tolerance_change(mut self, tolerance_change: f64) -> Lbfgs {
        self.tolerance_change = tolerance_change;
        self
    }

    /// Number of (s, y) pairs kept (`history_size=`, default 100).
    pub fn history_size(mut self, history_size: usize) -> Lbfgs {
        self.history_size = history_size;
        self
    }

    /// The line search: `None` (a fixed step of `lr`) or `Some("strong_wolfe")`
    /// (`line_search_fn=`).
    ///
    /// # Panics
    /// On any other name, as PyTorch raises "only 'strong_wolfe' is supported".
    pub fn line_search_fn(mut self, name: Option<&str>) -> Lbfgs {
        self.strong_wolfe = match name {
            None => false,
            Some("strong_wolfe") => true,
            Some(other) => {
                panic!("line_search_fn: only \"strong_wolfe\" is supported, not {other:?}")
            }
        };
        self
    }

    /// Clears every parameter's gradient (`opt.zero_grad()`).
    pub fn zero_grad(&self) {
        Optimizer::zero_grad(self);
    }

    /// Always panics: L-BFGS needs the loss several times per step; use
    /// [`Lbfgs::step_with`].
    ///
    /// # Panics
    /// Always.
    pub fn step(&mut self) {
        panic!(
            "Lbfgs::step: L-BFGS needs a closure that recomputes the loss; call step_with(|| ..)"
        )
    }

    /// One L-BFGS step. `closure` zeroes the gradients, computes the loss, runs
    /// backward and returns the loss; it is called with grad mode on, up to
    /// `max_eval` times. Returns the loss of its first call, the loss before the
    /// step (`opt.step(closure)`).
    pub fn step_with<F: FnMut() -> Tensor>(&mut self, mut closure: F) -> Tensor {
        self.run(&mut closure)
    }

    fn run(&mut self, closure: &mut dyn FnMut() -> Tensor) -> Tensor {
        let params = self.group[0].params.clone();
        let lr = self.group[0].lr.expect("set by new");
        let (max_iter, tol_grad, tol_change) =
            (self.max_iter, self.tolerance_grad, self.tolerance_change);
        let max_eval = self.max_eval.unwrap_or(max_iter * 5 / 4);
        let mut evaluate = || {
            let loss = enable_grad(&mut *closure);
            (loss.item(), flat_grad(&params), loss)
        };

        let (mut loss, mut grad, orig_loss) = evaluate();
        let mut current_evals = 1;
        let st = &mut self.state;
        st.func_evals += 1;
        if max_abs(&grad) <= tol_grad {
            return orig_loss;
        }

        let mut n_iter = 0;
        while n_iter < max_iter {
            n_iter += 1;
            st.n_iter += 1;

            if st.n_iter == 1 {
                st.d = grad.iter().map(|g| -g).collect();
                st.old_dirs.clear();
                st.old_stps.clear();
                st.ro.clear();
                st.h_diag = 1.0;
            } else {
                let y: Vec<f64> = grad
                    .iter()
                    .zip(&st.prev_flat_grad)
                    .map(|(a, b)| a - b)
                    .collect();
                let s: Vec<f64> = st.d.iter().map(|d| d * st.t).collect();
                let ys = dot(&y, &s);
                if ys > 1e-10 {
                    if st.old_dirs.len() == self.history_size {
                        st.old_dirs.pop_front();
                        st.old_stps.pop_front();
                        st.ro.pop_front();
                    }
                    st.h_diag = ys / dot(&y, &y);
                    st.old_dirs.push_back(y);
                    st.old_stps.push_back(s);
                    st.ro.push_back(1.0 / ys);
                }
                // The two-loop recursion: d = -H g.
                let num_old = st.old_dirs.len();
                let mut al = vec![0.0; num_old];
                let mut q: Vec<f64> = grad.iter().map(|g| -g).collect();
                for i in (0..num_old).rev() {
                    al[i] = dot(&st.old_stps[i], &q) * st.ro[i];
                    axpy(&mut q, -al[i], &st.old_dirs[i]);
                }
                let mut r: Vec<f64> = q.iter().map(|q| q * st.h_diag).collect();
                for (i, al_i) in al.iter().enumerate() {
                    let be_i = dot(&st.old_dirs[i], &r) * st.ro[i];
                    axpy(&mut r, al_i - be_i, &st.old_stps[i]);
                }
                st.d = r;
            }
            st.prev_flat_grad.clone_from(&grad);
            st.prev_loss = loss;

            st.t = if st.n_iter == 1 {
                f64::min(1.0, 1.0 / grad.iter().map(|g| g.abs()).sum::<f64>()) * lr
            } else {
                lr
            };
            let gtd = dot(&grad, &st.d);
            if gtd > -tol_change {
                break;
            }

            let mut ls_func_evals = 0;
            let opt_cond;
            if self.strong_wolfe {
                let x_init: Vec<Vec<f64>> = params.iter().map(|p| p.to_vec::<f64>()).collect();
                let d = st.d.clone();
                let mut obj = |t: f64| {
                    add_grad(&params, t, &d);
                    let (l, g, _) = evaluate();
                    for (p, x) in params.iter().zip(&x_init) {
                        write_back(p, x.clone());
                    }
                    (l, g)
                };
                let ls = strong_wolfe(&mut obj, st.t, &d, loss, &grad, gtd, tol_change);
                (loss, grad, st.t, ls_func_evals) = ls;
                add_grad(&params, st.t, &st.d);
                opt_cond = max_abs(&grad) <= tol_grad;
            } else {
                add_grad(&params, st.t, &st.d);
                if n_iter != max_iter {
                    (loss, grad, _) = evaluate();
                    ls_func_evals = 1;
                }
                opt_cond = max_abs(&grad) <= tol_grad;
            }
            current_evals += ls_func_evals;
            st.func_evals += ls_func_evals;

            if n_iter == max_iter || current_evals >= max_eval || opt_cond {
                break;
            }
            if st.d.iter().map(|d| (d * st.t).abs()).fold(0.0, f64::max) <= tol_change {
                break;
            }
            if (loss - st.prev_loss).abs() < tol_change {
                break;
            }
        }
        orig_loss
    }
}

/// The gradients of `params` concatenated, zeros for a parameter without one
/// (PyTorch's `_gather_flat_grad`).
fn flat_grad(params: &[Tensor]) -> Vec<f64> {
    let mut out = Vec::new();
    for p in params {
        match p.grad() {
            Some(g) => out.extend(g.to_vec::<f64>()),
            None => out.extend(std::iter::repeat_n(0.0, p.numel())),
        }
    }
    out
}

/// `θ ← θ + t d` for the flat direction `d` (PyTorch's `_add_grad`).
fn add_grad(params: &[Tensor], t: f64, d: &[f64]) {
    let mut offset = 0;
    no_grad(|| {
        for p in params {
            let n = p.numel();
            let mut v = p.to_vec::<f64>();
            axpy(&mut v, t, &d[offset..offset + n]);
            write_back(p, v);
            offset += n;
        }
    });
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// `y ← y + a x` as PyTorch's `y.add_(x, alpha=a)` computes it on the CPU: one
/// fused multiply-add per element. L-BFGS's two-loop recursion amplifies rounding
/// differences, so matching PyTorch's trajectory needs the same rounding.
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = a.mul_add(*x, *y);
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

/// The minimiser of the cubic interpolating f and f' at two points, clamped to
/// `bounds` (PyTorch's `_cubic_interpolate`; Nocedal and Wright, equation 3.59).
fn cubic_interpolate(
    (x1, f1, g1): (f64, f64, f64),
    (x2, f2, g2): (f64, f64, f64),
    bounds: Option<(f64, f64)>,
) -> f64 {
    let (xmin, xmax) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        min_pos.max(xmin).min(xmax)
    } else {
        (xmin + xmax) / 2.0
    }
}

/// A line search satisfying the strong Wolfe conditions along `d` from step `t`
/// (PyTorch's `_strong_wolfe`; Nocedal and Wright, algorithms 3.5 and 3.6).
/// `obj(t)` returns the loss and flat gradient at `x + t d`. Returns the loss,
/// gradient and step found and the number of evaluations.
fn strong_wolfe(
    obj: &mut dyn FnMut(f64) -> (f64, Vec<f64>),
    mut t: f64,
    d: &[f64],
    f: f64,
    g: &[f64],
    gtd: f64,
    tolerance_change: f64,
) -> (f64, Vec<f64>, f64, usize) {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MAX_LS: usize = 25;
    let d_norm = max_abs(d);
    let (mut f_new, mut g_new) = obj(t);
    let mut ls_func_evals = 1;
    let mut gtd_new = dot(&g_new, d);

    let (mut t_prev, mut f_prev, mut g_prev, mut gtd_prev) = (0.0, f, g.to_vec(), gtd);
    let mut done = false;
    let mut ls_iter = 0;
    // Brackets of one or two points: step, loss, gradient, directional derivative.
    let mut bracket: Vec<f64> = Vec::new();
    let mut bracket_f: Vec<f64> = Vec::new();
    let mut bracket_g: Vec<Vec<f64>> = Vec::new();
    let mut bracket_gtd: Vec<f64> = Vec::new();
    while ls_iter < MAX_LS {
        if f_new > f + C1 * t * gtd || (ls_iter > 1 && f_new >= f_prev) {
            bracket = vec![t_prev, t];
            bracket_f = vec![f_prev, f_new];
            bracket_g = vec![g_prev.clone(), g_new.clone()];
            bracket_gtd = vec![gtd_prev, gtd_new];
            break;
        }
        if gtd_new.abs() <= -C2 * gtd {
            bracket = vec![t];
            bracket_f = vec![f_new];
            bracket_g = vec![g_new.clone()];
            done = true;
            break;
        }
        if gtd_new >= 0.0 {
            bracket = vec![t_prev, t];
            bracket_f = vec![f_prev, f_new];
            bracket_g = vec![g_prev.clone(), g_new.clone()];
            bracket_gtd = vec![gtd_prev, gtd_new];
            break;
        }
        // Extrapolate.
        let min_step = t + 0.01 * (t - t_prev);
        let max_step = t * 10.0;
        let tmp = t;
        t = cubic_interpolate(
            (t_prev, f_prev, gtd_prev),
            (t, f_new, gtd_new),
            Some((min_step, max_step)),
        );
        t_prev = tmp;
        f_prev = f_new;
        g_prev.clone_from(&g_new);
        gtd_prev = gtd_new;
        (f_new, g_new) = obj(t);
        ls_func_evals += 1;
        gtd_new = dot(&g_new, d);
        ls_iter += 1;
    }
    if ls_iter == MAX_LS {
        bracket = vec![0.0, t];
        bracket_f = vec![f, f_new];
        bracket_g = vec![g.to_vec(), g_new.clone()];
    }

    // Zoom: shrink the bracket until a point satisfies the conditions.
    let mut insuf_progress = false;
    let last = bracket_f.len() - 1;
    let (mut low, mut high) = if bracket_f[0] <= bracket_f[last] {
        (0, 1)
    } else {
        (1, 0)
    };
    while !done && ls_iter < MAX_LS {
        if (bracket[1] - bracket[0]).abs() * d_norm < tolerance_change {
            break;
        }
        t = cubic_interpolate(
            (bracket[0], bracket_f[0], bracket_gtd[0]),
            (bracket[1], bracket_f[1], bracket_gtd[1]),
            None,
        );
        // Keep away from the ends of the bracket when progress is slow.
        let (b_max, b_min) = (bracket[0].max(bracket[1]), bracket[0].min(bracket[1]));
        let eps = 0.1 * (b_max - b_min);
        if f64::min(b_max - t, t - b_min) < eps {
            if insuf_progress || t >= b_max || t <= b_min {
                t = if (t - b_max).abs() < (t - b_min).abs() {
                    b_max - eps
                } else {
                    b_min + eps
                };
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }

        (f_new, g_new) = obj(t);
        ls_func_evals += 1;
        gtd_new = dot(&g_new, d);
        ls_iter += 1;

        if f_new > f + C1 * t * gtd || f_new >= bracket_f[low] {
            bracket[high] = t;
            bracket_f[high] = f_new;
            bracket_g[high] = g_new.clone();
            bracket_gtd[high] = gtd_new;
            (low, high) = if bracket_f[0] <= bracket_f[1] {
                (0, 1)
            } else {
                (1, 0)
            };
        } else {
            if gtd_new.abs() <= -C2 * gtd {
                done = true;
            } else if gtd_new * (bracket[high] - bracket[low]) >= 0.0 {
                bracket[high] = bracket[low];
                bracket_f[high] = bracket_f[low];
                bracket_g[high] = bracket_g[low].clone();
                bracket_gtd[high] = bracket_gtd[low];
            }
            bracket[low] = t;
            bracket_f[low] = f_new;
            bracket_g[low] = g_new.clone();
            bracket_gtd[low] = gtd_new;
        }
    }
    let g_low = bracket_g.swap_remove(low);
    (bracket_f[low], g_low, bracket[low], ls_func_evals)
}

impl Optimizer for Lbfgs {
    fn step(&mut self) {
        Lbfgs::step(self);
    }

    fn step_closure(&mut self, closure: &mut dyn FnMut() -> Tensor) -> Tensor {
        self.run(closure)
    }

    fn param_groups(&self) -> &[ParamGroup] {
        &self.group
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup] {
        &mut self.group
    }

    /// # Panics
    /// Always: L-BFGS has exactly one group, as in PyTorch.
    fn add_param_group(&mut self, _group: ParamGroup) {
        panic!("Lbfgs: L-BFGS does not support parameter groups")
    }

    fn state_dict(&self) -> StateDict {
        let st = &self.state;
        let n = self.group[0].params.len();
        let mut state = BTreeMap::new();
        if st.n_iter > 0 {
            let vector = |v: &Vec<f64>| StateValue::Tensor {
                shape: vec![v.len()],
                data: v.clone(),
            };
            let list = |l: &VecDeque<Vec<f64>>| StateValue::List(l.iter().map(vector).collect());
            let mut map = BTreeMap::new();
            let mut put = |k: &str, v| {
                map.insert(k.to_string(), v);
            };
            put("func_evals", StateValue::Scalar(st.func_evals as f64));
            put("n_iter", StateValue::Scalar(st.n_iter as f64));
            put("d", vector(&st.d));
            put("t", StateValue::Scalar(st.t));
            put("old_dirs", list(&st.old_dirs));
            put("old_stps", list(&st.old_stps));
            put(
                "ro",
                StateValue::List(st.ro.iter().map(|&r| StateValue::Scalar(r)).collect()),
            );
            put("H_diag", StateValue::Scalar(st.h_diag));
            put("prev_flat_grad", vector(&st.prev_flat_grad));
            put("prev_loss", StateValue::Scalar(st.prev_loss));
            state.insert(0, map);
        }
        StateDict {
            state,
            param_groups: vec![GroupDict {
                params: (0..n).collect(),
                lr: self.group[0].lr.expect("set by new"),
                weight_decay: 0.0,
            }],
        }
    }

    fn load_state_dict(&mut self, sd: &StateDict) -> Result<(), Error> {
        let params = &self.group[0].params;
        // The state lives under the first parameter, with the flat size of all.
        let total: usize = params.iter().map(Tensor::numel).sum();
        let mut sizes = vec![0; params.len()];
        if let Some(first) = sizes.first_mut() {
            *first = total;
        }
        let loaded = load_states(sd, &[sizes], load_lbfgs)?;
        let st = loaded
            .into_iter()
            .next()
            .and_then(|g| g.into_iter().next())
            .flatten()
            .unwrap_or_default();
        self.group[0].lr = Some(sd.param_groups[0].lr);
        self.state = st;
        Ok(())
    }
}

fn load_lbfgs(n: usize, map: &BTreeMap<String, StateValue>) -> Result<LbfgsState, Error> {
    let list = |name: &str| -> Result<VecDeque<Vec<f64>>, Error> {
        match map.get(name) {
            Some(StateValue::List(items)) => items
                .iter()
                .map(|item| match item {
                    StateValue::Tensor { data, .. } if data.len() == n => Ok(data.clone()),
                    StateValue::Scalar(v) if n == 1 => Ok(vec![*v]),
                    _ => Err(invalid(format!("`{name}` holds a wrong entry"))),
                })
                .collect(),
            _ => Err(invalid(format!("`{name}` is missing or not a list"))),
        }
    };
    let ro = match map.get("ro") {
        Some(StateValue::List(items)) => items
            .iter()
            .map(|item| match item {
                StateValue::Scalar(v) => Ok(*v),
                _ => Err(invalid("`ro` holds a wrong entry".into())),
            })
            .collect::<Result<VecDeque<f64>, Error>>()?,
        _ => return Err(invalid("`ro` is missing or not a list".into())),
    };
    Ok(LbfgsState {
        func_evals: scalar(map, "func_evals")? as usize,
        n_iter: scalar(map, "n_iter")? as usize,
        d: vector(map, "d", n)?,
        t: scalar(map, "t")?,
        old_dirs: list("old_dirs")?,
        old_stps: list("old_stps")?,
        ro,
        h_diag: scalar(map, "H_diag")?,
        prev_flat_grad: vector(map, "prev_flat_grad", n)?,
        prev_loss: scalar(map, "prev_loss")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_finds_the_minimum_of_a_quadratic() {
        // f(x) = (x - 0.3)², f' = 2 (x - 0.3): the interpolating cubic is f itself.
        let f = |x: f64| (x - 0.3) * (x - 0.3);
        let g = |x: f64| 2.0 * (x - 0.3);
        let t = cubic_interpolate((0.0, f(0.0), g(0.0)), (1.0, f(1.0), g(1.0)), None);
        assert!((t - 0.3).abs() < 1e-12, "{t}");
        // Either order of the points, and clamping to the bounds.
        let t = cubic_interpolate((1.0, f(1.0), g(1.0)), (0.0, f(0.0), g(0.0)), None);
        assert!((t - 0.3).abs() < 1e-12, "{t}");
        let t = cubic_interpolate(
            (0.0, f(0.0), g(0.0)),
            (1.0, f(1.0), g(1.0)),
            Some((0.5, 2.0)),
        );
        assert_eq!(t, 0.5);
    }

    #[test]
    fn strong_wolfe_accepts_a_point_satisfying_both_conditions() {
        // φ(t) = (t - 2)² along d = 1 from x = 0: the exact minimiser is t = 2.
        let mut obj = |t: f64| ((t - 2.0) * (t - 2.0), vec![2.0 * (t - 2.0)]);
        let (f, g, t, evals) = strong_wolfe(&mut obj, 1.0, &[1.0], 4.0, &[-4.0], -4.0, 1e-9);
        // Both conditions: sufficient decrease and |φ'(t)| ≤ 0.9 |φ'(0)|.
        assert!(f <= 4.0 + 1e-4 * t * -4.0, "f {f} at t {t}");
        assert!(g[0].abs() <= 0.9 * 4.0, "g {g:?}");
        assert!(evals >= 1);
    }

    #[test]
    fn axpy_is_one_fused_multiply_add() {
        let mut y = vec![1.0];
        let (a, x) = (0.1, 3.0);
        axpy(&mut y, a, &[x]);
        assert_eq!(y[0], a.mul_add(x, 1.0));
    }
}
