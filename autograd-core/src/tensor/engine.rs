//! The backward pass: `backward`, `backward_with`, and `autograd::grad`.
//!
//! Nodes that receive a gradient wait in a max-heap keyed by their height (one
//! more than their highest input, see [`NodeData::height`]) and run highest
//! first. An op's inputs are always lower than it, so when a node is popped
//! every consumer that can reach it has run: it runs once, with the sum of the
//! gradients its consumers sent it, exactly as micrograd's `+=` and PyTorch's
//! engine do. Leaves receive their summed gradient last.
//!
//! A node that only the edge being followed refers to (the usual chain, whose
//! intermediate tensors the user no longer holds) can receive no other
//! gradient: it may run as soon as it has it, and its gradient rides with it
//! (the first such node goes in a slot that runs next, the heap is for the
//! rest). Others get a slot in a table found by address, where the gradients
//! of several consumers add up.
//!
//! `autograd::grad` runs only the nodes from which one of its inputs can be
//! reached, found by one walk before the pass (see `leading_to`), as PyTorch's
//! engine does.

use super::backward::{Grads, ScalarGrads};
use super::grad_mode::{is_grad_enabled, ModeGuard};
use super::graph::{Edge, NodeData};
use super::handle::{lock, Tensor, TensorInner};
use super::list::Tensors;
use super::op::Op;
use super::scalar::ScalarGrad;
use super::shape::same_shape;
use crate::error::Result;
use crate::Error;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Options of a backward pass (PyTorch's keyword arguments of `backward`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackwardOptions {
    /// Keep the saved tensors so that the graph can be differentiated again.
    /// `None` means "as `create_graph`", PyTorch's default.
    pub retain_graph: Option<bool>,
    /// Record the backward pass itself, making the gradients differentiable
    /// (for second derivatives).
    pub create_graph: bool,
}

impl BackwardOptions {
    /// Sets `retain_graph`.
    pub fn retain_graph(mut self, keep: bool) -> Self {
        self.retain_graph = Some(keep);
        self
    }

    /// Sets `create_graph`.
    pub fn create_graph(mut self, create: bool) -> Self {
        self.create_graph = create;
        self
    }

    fn retain(&self) -> bool {
        self.retain_graph.unwrap_or(self.create_graph)
    }
}

/// Pointers are already well spread; hashing them again is wasted time.
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only usize keys are hashed")
    }
    fn write_usize(&mut self, v: usize) {
        self.0 = (v as u64 >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type PtrMap<V> = HashMap<usize, V, BuildHasherDefault<PtrHasher>>;

/// A gradient on its way to a node or leaf: a tensor, or while no graph is
/// recorded the value of a one-element one (see [`ScalarGrad`]), which becomes a
/// tensor of the receiver's shape only where one is needed (hooks, retained and
/// leaf gradients, ops without a scalar path).
pub(crate) enum Grad {
    Tensor(Tensor),
    Scalar(ScalarGrad),
}

impl Grad {
    fn into_tensor(self, shape: &[usize]) -> Tensor {
        match self {
            Grad::Tensor(t) => t,
            Grad::Scalar(s) => s.to_tensor(shape),
        }
    }

    #[inline]
    fn cast(self, dtype: crate::DType) -> Grad {
        match self {
            Grad::Tensor(t) => Grad::Tensor(cast(t, dtype)),
            Grad::Scalar(s) => Grad::Scalar(s.cast(dtype)),
        }
    }
}

/// Adds `g` to the pending gradient in `slot` of a receiver of shape `shape`.
#[inline]
fn accumulate_grad(slot: &mut Option<Grad>, g: Grad, shape: &[usize]) {
    match (&mut *slot, &g) {
        (None, _) => {
            *slot = Some(g);
            return;
        }
        (Some(Grad::Scalar(a)), Grad::Scalar(b)) => {
            *a = a.add(*b);
            return;
        }
        _ => {}
    }
    *slot = Some(match (slot.take(), g) {
        (None, g) => g,
        (Some(Grad::Scalar(a)), Grad::Scalar(b)) => Grad::Scalar(a.add(b)),
        (Some(old), g) => Grad::Tensor(add_into(old.into_tensor(shape), &g.into_tensor(shape))),
    });
}

/// Adds `g` to a tensor's `.grad` (of a tensor of shape `shape`).
fn accumulate_into(slot: &mut Option<Tensor>, g: Grad, shape: &[usize]) {
    match g {
        Grad::Tensor(t) => accumulate(slot, t.detach_unless_graph()),
        Grad::Scalar(s) => match slot {
            Some(old)
                if private(old) && same_shape(old.shape(), shape) && old.dtype() == s.dtype =>
            {
                old.inner.buffer.add_one(s)
            }
            _ => accumulate(slot, s.to_tensor(shape)),
        },
    }
}

/// Whether nothing but this handle can observe `t`, nor a graph be recorded:
/// then it may be updated in place.
fn private(t: &Tensor) -> bool {
    Arc::strong_count(&t.inner.meta) == 1
        && Arc::strong_count(&t.inner.buffer) == 1
        && t.inner.meta.node.is_none()
        && !is_grad_enabled()
}

fn accumulate(slot: &mut Option<Tensor>, g: Tensor) {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => add_into(old, &g),
    });
}

/// `old + g`, in place when nothing else can observe `old` and no graph is being
/// recorded (PyTorch accumulates in place under the same conditions).
fn add_into(old: Tensor, g: &Tensor) -> Tensor {
    if private(&old) && same_shape(old.shape(), g.shape()) && old.dtype() == g.dtype() {
        old.inner.buffer.add_assign(&g.data());
        old
    } else {
        &old + g
    }
}

/// What a pass does with the gradients that reach leaves.
enum Sink<'a> {
    /// `backward`: add them to the leaves' `.grad`.
    Accumulate,
    /// `autograd::grad`: return those of `inputs`, touch no `.grad`.
    Capture(&'a [Tensor]),
}

/// Where the gradient of a waiting node is.
enum Pending {
    /// In the heap entry: the node has a single consumer.
    Here(Grad),
    /// In `Pass::sums[i]`, where several consumers add to it.
    Slot(usize),
}

/// A node of the graph being differentiated, without a reference count of its
/// own (two atomic operations per node saved): every node a pass reaches is
/// held by an edge of a node that holds... up to a root, which `run`'s caller
/// holds for the whole pass, and edges are never taken from a live node.
struct NodeRef(std::mem::ManuallyDrop<Arc<TensorInner>>);

impl NodeRef {
    /// # Safety
    /// `n` must stay alive while the returned reference is used (see above).
    unsafe fn new(n: &Arc<TensorInner>) -> NodeRef {
        // SAFETY: an alias of `n`'s pointer that is never dropped, so it takes
        // no count and gives none back; the caller keeps `n` alive.
        NodeRef(std::mem::ManuallyDrop::new(unsafe {
            Arc::from_raw(Arc::as_ptr(n))
        }))
    }
}

impl std::ops::Deref for NodeRef {
    type Target = Arc<TensorInner>;
    fn deref(&self) -> &Arc<TensorInner> {
        &self.0
    }
}

/// A node waiting in the heap, highest first.
struct Ready {
    height: u32,
    node: NodeRef,
    grad: Pending,
}

impl PartialEq for Ready {
    fn eq(&self, other: &Self) -> bool {
        self.height == other.height
    }
}

impl Eq for Ready {}

impl PartialOrd for Ready {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ready {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.height.cmp(&other.height)
    }
}

/// Leaves looked up by a linear scan up to this many, by a map beyond.
const FEW_LEAVES: usize = 16;

struct Pass<'a> {
    sink: Sink<'a>,
    retain: bool,
    /// `detect_anomaly` was on when the pass started: every node's gradients
    /// are checked for NaN.
    anomaly: bool,
    /// A node with a single consumer that has just received its gradient: it
    /// can run at once (nothing else will send to it), without going through
    /// the heap. A chain of ops runs entirely through this slot.
    next: Option<Ready>,
    ready: BinaryHeap<Ready>,
    /// Summed gradients of nodes with several consumers, and their slots.
    sums: Vec<Option<Grad>>,
    slot_of: PtrMap<usize>,
    leaves: Vec<(Tensor, Option<Grad>)>,
    leaf_index: PtrMap<usize>,
    captured: Vec<Option<Tensor>>,
    /// `autograd::grad` only: for each node reached from the roots, whether it
    /// is an input and whether its edges lead to one (see [`leading_to`]).
    /// Nothing is sent elsewhere, and an input whose edges lead to none is not run.
    leads: Option<PtrMap<Leads>>,
}

impl<'a> Pass<'a> {
    fn new(sink: Sink<'a>, retain: bool) -> Pass<'a> {
        let n = match sink {
            Sink::Capture(inputs) => inputs.len(),
            Sink::Accumulate => 0,
        };
        Pass {
            sink,
            retain,
            anomaly: super::anomaly::is_anomaly_enabled(),
            next: None,
            ready: BinaryHeap::new(),
            sums: Vec::new(),
            slot_of: PtrMap::default(),
            leaves: Vec::new(),
            leaf_index: PtrMap::default(),
            captured: vec![None; n],
            leads: None,
        }
    }

    fn send(&mut self, edge: &Edge, g: Grad) {
        if let Some(leads) = &self.leads {
            let to_input = match edge {
                Edge::None => false,
                Edge::Node(n) => leads
                    .get(&(Arc::as_ptr(n) as usize))
                    .is_none_or(|l| l.input || l.through),
                Edge::Leaf(t) => leads.contains_key(&(Arc::as_ptr(&t.inner.meta) as usize)),
            };
            if !to_input {
                return;
            }
        }
        match edge {
            Edge::None => {}
            Edge::Node(n) => {
                let g = g.cast(n.dtype);
                let height = n.node().height;
                // Only this edge holds the node: no other consumer can send to it.
                if Arc::strong_count(n) == 1 {
                    let ready = Ready {
                        height,
                        // SAFETY: `n` is held by the edge being followed,
                        // which lives in the graph for the whole pass.
                        node: unsafe { NodeRef::new(n) },
                        grad: Pending::Here(g),
                    };
                    match self.next {
                        None => self.next = Some(ready),
                        Some(_) => self.ready.push(ready),
                    }
                    return;
                }
                let key = Arc::as_ptr(n) as usize;
                match self.slot_of.get(&key) {
                    Some(&i) => accumulate_grad(&mut self.sums[i], g, &n.shape),
                    None => {
                        self.slot_of.insert(key, self.sums.len());
                        self.ready.push(Ready {
                            height,
                            // SAFETY: `n` is held by the edge being followed,
                            // which lives in the graph for the whole pass.
                            node: unsafe { NodeRef::new(n) },
                            grad: Pending::Slot(self.sums.len()),
                        });
                        self.sums.push(Some(g));
                    }
                }
            }
            Edge::Leaf(t) => {
                let g = g.cast(t.dtype());
                let i = self.leaf(t);
                accumulate_grad(&mut self.leaves[i].1, g, t.shape());
            }
        }
    }

    /// The index of leaf `t` in `leaves`, added if new.
    fn leaf(&mut self, t: &Tensor) -> usize {
        let ptr = Arc::as_ptr(&t.inner.meta);
        if self.leaves.len() <= FEW_LEAVES {
            if let Some(i) = self
                .leaves
                .iter()
                .position(|(l, _)| Arc::as_ptr(&l.inner.meta) == ptr)
            {
                return i;
            }
            if self.leaves.len() == FEW_LEAVES {
                for (i, (l, _)) in self.leaves.iter().enumerate() {
                    self.leaf_index
                        .insert(Arc::as_ptr(&l.inner.meta) as usize, i);
                }
            }
        } else if let Some(&i) = self.leaf_index.get(&(ptr as usize)) {
            return i;
        }
        if self.leaves.len() >= FEW_LEAVES {
            self.leaf_index.insert(ptr as usize, self.leaves.len());
        }
        self.leaves.push((t.clone(), None));
        self.leaves.len() - 1
    }

    /// Runs one node: hooks and retained grad of its output, then its backward.
    fn step(&mut self, ready: Ready) -> Result<()> {
        let Ready {
            node: out, grad, ..
        } = ready;
        let mut g = match grad {
            Pending::Here(g) => g,
            Pending::Slot(i) => match self.sums[i].take() {
                Some(g) => g,
                None => return Ok(()),
            },
        };
        if out.has_hooks.load(Ordering::Acquire) {
            g = Grad::Tensor(Tensor::run_hooks(&out, g.into_tensor(&out.shape))?);
        }
        if out.retains_grad.load(Ordering::Relaxed) {
            let t = g.into_tensor(&out.shape);
            accumulate(&mut lock(&out.grad), t.clone().detach_unless_graph());
            g = Grad::Tensor(t);
        }
        if let Sink::Capture(_) = self.sink {
            g = self.capture_node(&out, g);
            let key = Arc::as_ptr(&out) as usize;
            if let Some(Leads { through: false, .. }) =
                self.leads.as_ref().and_then(|l| l.get(&key))
            {
                // An input from which no other input can be reached.
                return Ok(());
            }
        }
        let node: &NodeData = out.node();
        let mut small = [false; 4];
        let heap: Vec<bool>;
        let needs: &[bool] = if node.edges.len() <= small.len() {
            for (n, e) in small.iter_mut().zip(node.edges.iter()) {
                *n = e.is_some();
            }
            &small[..node.edges.len()]
        } else {
            heap = node.edges.iter().map(Edge::is_some).collect();
            &heap
        };
        // The op stays locked while its backward runs: another thread running
        // backward through the same node waits, then finds it kept or freed.
        let mut op = lock(&node.op);
        let Some(o) = op.as_ref() else {
            return Err(Error::GraphFreed {
                node: out.name().to_string(),
            });
        };
        if let Op::Rebased { old, .. } = o {
            // A consumer recorded before an in-place op: its gradient is that
            // of the old value, whose node moved to `old` (which `o` keeps
            // alive for the pass: a rebased node is never freed).
            let edge = Edge::Node(old.clone());
            drop(op);
            self.send(&edge, g);
            return Ok(());
        }
        let result = run_op(o, g, &out, needs);
        // As in PyTorch, freeing the graph frees saved tensors: an op that saved
        // none can run again.
        let freed = if !self.retain && o.saves_tensors() {
            op.take()
        } else {
            None
        };
        drop(op);
        drop(freed);
        let result = result?;
        if self.anomaly {
            check_nan(&result, &out)?;
        }
        match result {
            Out::Scalars(grads) => {
                for (edge, gi) in node.edges.iter().zip(grads) {
                    if let Some(gi) = gi {
                        self.send(edge, Grad::Scalar(gi));
                    }
                }
            }
            Out::Tensors(grads) => {
                for (edge, gi) in node.edges.iter().zip(grads) {
                    if let Some(gi) = gi {
                        self.send(edge, Grad::Tensor(gi));
                    }
                }
            }
        }
        Ok(())
    }

    /// Records `g` for the inputs of `grad(..)` that are `node`.
    fn capture_node(&mut self, node: &Arc<TensorInner>, g: Grad) -> Grad {
        let Sink::Capture(inputs) = self.sink else {
            return g;
        };
        if !inputs.iter().any(|t| Arc::ptr_eq(&t.inner.meta, node)) {
            return g;
        }
        let g = g.into_tensor(&node.shape);
        for (i, t) in inputs.iter().enumerate() {
            if Arc::ptr_eq(&t.inner.meta, node) {
                self.captured[i] = Some(g.clone());
            }
        }
        Grad::Tensor(g)
    }

    fn finish_leaves(&mut self) -> Result<()> {
        let mut leaves = std::mem::take(&mut self.leaves);
        if let Sink::Accumulate = self.sink {
            // Every leaf's hooks first: a hook's error leaves every `.grad` as it was.
            for (t, g) in &mut leaves {
                let meta = &t.inner.meta;
                if !meta.has_hooks.load(Ordering::Acquire) {
                    continue;
                }
                if let Some(x) = g.take() {
                    *g = Some(Grad::Tensor(Tensor::run_hooks(
                        meta,
                        x.into_tensor(t.shape()),
                    )?));
                }
            }
        }
        for (t, g) in leaves {
            let Some(g) = g else { continue };
            match self.sink {
                Sink::Capture(inputs) => {
                    let g = g.into_tensor(t.shape());
                    for (i, x) in inputs.iter().enumerate() {
                        if x.same(&t) {
                            self.captured[i] = Some(g.clone());
                        }
                    }
                }
                Sink::Accumulate => {
                    accumulate_into(&mut lock(&t.inner.meta.grad), g, t.shape());
                }
            }
        }
        Ok(())
    }
}

/// The gradients an op sends to its inputs.
enum Out {
    Scalars(ScalarGrads),
    Tensors(Grads),
}

/// Anomaly mode: the error of the first gradient in `out` (of node `node`)
/// holding a NaN, naming the node and where it was recorded.
#[cold]
fn check_nan(out: &Out, node: &TensorInner) -> Result<()> {
    let first = match out {
        Out::Scalars(grads) => grads.iter().position(|g| g.is_some_and(|g| g.v.is_nan())),
        Out::Tensors(grads) => grads.as_slice().iter().position(|g| {
            g.as_ref()
                .is_some_and(|g| g.to_vec::<f64>().iter().any(|v| v.is_nan()))
        }),
    };
    let Some(output) = first else {
        return Ok(());
    };
    let site = node.node().site;
    Err(Error::AnomalyNan {
        node: node.name().to_string(),
        output,
        recorded_at: super::anomaly::location(site).map(|l| l.to_string()),
    })
}

/// Runs the backward of `op` on `g`: by values when `g` has one element and no
/// graph is recorded and the op has that path, by tensors otherwise.
fn run_op(op: &Op, g: Grad, out: &Arc<TensorInner>, needs: &[bool]) -> Result<Out> {
    let (s, t) = match g {
        Grad::Scalar(s) => (s, None),
        Grad::Tensor(t) => match ScalarGrad::of(&t) {
            Some(s) if !is_grad_enabled() => (s, Some(t)),
            _ => return op.backward(t, out, needs).map(Out::Tensors),
        },
    };
    match op.backward_scalar(s, out, needs)? {
        Some(grads) => Ok(Out::Scalars(grads)),
        None => {
            if let [true] = needs {
                if let Some(g) = op.fill_backward(s, out) {
                    return Ok(Out::Tensors(Grads::Inline([Some(g), None], 1)));
                }
            }
            let t = t.unwrap_or_else(|| s.to_tensor(&out.shape));
            op.backward(t, out, needs).map(Out::Tensors)
        }
    }
}

fn cast(g: Tensor, dtype: crate::DType) -> Tensor {
    if g.dtype() == dtype {
        g
    } else {
        g.to_dtype(dtype)
    }
}

/// What [`leading_to`] finds about a node.
#[derive(Clone, Copy, Default)]
struct Leads {
    /// The node is one of `grad`'s inputs.
    input: bool,
    /// One of its edges leads to an input: its backward has to run.
    through: bool,
}

/// For `autograd::grad`: for each node reachable from `roots`, whether it is one
/// of `inputs` and whether its edges lead to one; leaf inputs are listed too. As
/// PyTorch's engine (its `exec_info`), a pass then runs only the nodes on a path
/// to an input: without this, the gradient with respect to a tensor computed in
/// a loop (the state of an integrator, the iterate of a solver) ran the backward
/// of that tensor's whole history, and with `create_graph` recorded it, at every
/// call. The walk visits each node once, without running anything; a node whose
/// op was rebased by an in-place op is run (its gradient goes to the old node).
fn leading_to(roots: &[(Tensor, Grad)], inputs: &[Tensor]) -> PtrMap<Leads> {
    let key = |n: &Arc<TensorInner>| Arc::as_ptr(n) as usize;
    let input = Leads {
        input: true,
        through: false,
    };
    let targets: PtrMap<Leads> = inputs.iter().map(|t| (key(&t.inner.meta), input)).collect();
    let mut leads: PtrMap<Leads> = PtrMap::default();
    // Depth first, iteratively (graphs may be deep), through the inputs too (an
    // input computed from another one leads to it): a node is decided once all
    // its inputs are.
    let mut stack: Vec<(Arc<TensorInner>, usize)> = Vec::new();
    for (y, _) in roots {
        if let Edge::Node(n) = Edge::of(y) {
            if !leads.contains_key(&key(&n)) {
                stack.push((n, 0));
            }
        }
    }
    let reaches =
        |leads: &PtrMap<Leads>, m: usize| leads.get(&m).is_some_and(|l| l.input || l.through);
    while let Some(top) = stack.len().checked_sub(1) {
        let (n, i) = &mut stack[top];
        if let Some(e) = n.node().edges.get(*i) {
            *i += 1;
            if let Edge::Node(m) = e {
                if !leads.contains_key(&key(m)) {
                    let m = m.clone();
                    stack.push((m, 0));
                }
            }
            continue;
        }
        let n = stack.pop().expect("the top").0;
        let through = n.node().edges.iter().any(|e| match e {
            Edge::None => false,
            Edge::Node(m) => reaches(&leads, key(m)),
            Edge::Leaf(t) => targets.contains_key(&key(&t.inner.meta)),
        }) || matches!(lock(&n.node().op).as_ref(), Some(Op::Rebased { .. }));
        let input = targets.contains_key(&key(&n));
        leads.insert(key(&n), Leads { input, through });
    }
    for (k, l) in targets {
        leads.entry(k).or_insert(l);
    }
    leads
}

/// The shared driver of `backward` and `grad`.
fn run(
    op: &'static str,
    roots: &[(Tensor, Grad)],
    sink: Sink<'_>,
    opts: BackwardOptions,
) -> Result<Vec<Option<Tensor>>> {
    let _mode = ModeGuard::set(opts.create_graph);
    let mut pass = Pass::new(sink, opts.retain());
    if let Sink::Capture(inputs) = pass.sink {
        pass.leads = Some(leading_to(roots, inputs));
    }
    // The edge to a single root, held while the pass runs from it.
    let mut root: Option<Edge> = None;
    for (i, (t, g)) in roots.iter().enumerate() {
        if let Grad::Tensor(g) = g {
            if t.shape() != g.shape() {
                return Err(Error::GradShape {
                    op,
                    grad: g.shape().to_vec(),
                    output: t.shape().to_vec(),
                });
            }
        }
        let edge = Edge::of(t);
        if !edge.is_some() {
            return Err(Error::NoGradFn {
                op,
                index: i,
                shape: t.shape().to_vec(),
            });
        }
        let g = match g {
            Grad::Tensor(g) => Grad::Tensor(g.clone()),
            Grad::Scalar(s) => Grad::Scalar(*s),
        };
        if let (Edge::Node(n), 1, None) = (&edge, roots.len(), &pass.leads) {
            // A single root is reached by no other node of its graph (edges
            // lead from outputs to inputs): it gets its gradient once and runs
            // first, without the sums of a node with several consumers.
            pass.next = Some(Ready {
                height: n.node().height,
                // SAFETY: `root` keeps the edge, and so the node, for the pass.
                node: unsafe { NodeRef::new(n) },
                grad: Pending::Here(g.cast(n.dtype)),
            });
            root = Some(edge);
        } else {
            pass.send(&edge, g);
        }
    }
    while let Some(ready) = pass.next.take().or_else(|| pass.ready.pop()) {
        pass.step(ready)?;
    }
    pass.finish_leaves()?;
    drop(root);
    Ok(pass.captured)
}

impl Tensor {
    /// Gradients with the graph attached only while `create_graph` is on.
    fn detach_unless_graph(mut self) -> Tensor {
        if super::grad_mode::is_grad_enabled() {
            return self;
        }
        // A gradient computed in this pass outside any graph, that nothing else
        // holds, is detached already: kept as it is (PyTorch's AccumulateGrad
        // steals such a gradient too), without a new handle.
        let fresh = super::handle::unique_mut(&mut self.inner.meta).is_some_and(|t| {
            t.node.is_none()
                && !*t.requires_grad.get_mut()
                && !*t.retains_grad.get_mut()
                && !*t.has_hooks.get_mut()
                && t.grad.get_mut().is_ok_and(|g| g.is_none())
        });
        if fresh {
            self
        } else {
            self.detach()
        }
    }

    /// Computes the gradient of this scalar with respect to every leaf that
    /// requires grad and adds it to their `.grad` (`t.backward()`). Frees the
    /// graph.
    ///
    /// # Errors
    /// If the tensor has more than one element ("grad can be implicitly created
    /// only for scalar outputs"), does not require grad, or the graph was freed or
    /// modified in place.
    pub fn backward(&self) -> Result<()> {
        self.backward_with_options(None, BackwardOptions::default())
    }

    /// Backward with an explicit gradient of this tensor's shape: accumulates the
    /// vector-Jacobian product `grad^T J` into the leaves (`t.backward(grad)`).
    pub fn backward_with(&self, grad: &Tensor) -> Result<()> {
        self.backward_with_options(Some(grad), BackwardOptions::default())
    }

    /// Backward with every option (`t.backward(grad, retain_graph=.., create_graph=..)`);
    /// `grad` may be omitted for a one-element tensor.
    pub fn backward_with_options(
        &self,
        grad: Option<&Tensor>,
        opts: BackwardOptions,
    ) -> Result<()> {
        let g = match grad {
            Some(g) => Grad::Tensor(g.clone()),
            None => self.implicit_grad(opts.create_graph)?,
        };
        run("backward", &[(self.clone(), g)], Sink::Accumulate, opts).map(drop)
    }

    /// Ones for a one-element output: a value unless a graph is recorded.
    fn implicit_grad(&self, create_graph: bool) -> Result<Grad> {
        if self.numel() != 1 {
            return Err(Error::NonScalarOutput {
                shape: self.shape().to_vec(),
            });
        }
        Ok(if create_graph {
            Grad::Tensor(self.ones_like())
        } else {
            Grad::Scalar(ScalarGrad::new(1.0, self.dtype()))
        })
    }
}

/// The gradients of `outputs` with respect to `inputs`, returned instead of
/// accumulated into `.grad` (PyTorch's `torch.autograd.grad`). Both lists may be
/// given as anything [`Tensors`]: one tensor, an array, a slice or a `Vec`.
///
/// `grad_outputs` defaults to ones for one-element outputs. Inputs that the
/// outputs do not depend on get zeros (PyTorch's `materialize_grads=True`). With
/// `create_graph` the returned gradients are differentiable.
///
/// ```
/// # use autograd_core::*;
/// let x = Tensor::scalar(3.0).requires_grad_(true);
/// let y = x.pow(3.0);
/// let dy = grad(&y, &x, None, true, true).unwrap();
/// assert_eq!(dy[0].item(), 27.0);
/// let d2y = grad(&dy, &x, None, false, false).unwrap();
/// assert_eq!(d2y[0].item(), 18.0);
/// ```
pub fn grad<O, I>(
    outputs: &O,
    inputs: &I,
    grad_outputs: Option<&[Tensor]>,
    retain_graph: bool,
    create_graph: bool,
) -> Result<Vec<Tensor>>
where
    O: Tensors + ?Sized,
    I: Tensors + ?Sized,
{
    let (outputs, inputs) = (outputs.to_tensors(), inputs.to_tensors());
    let inputs: Vec<Tensor> = inputs.iter().map(|t| t.current()).collect();
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, y) in outputs.iter().enumerate() {
        let g = match grad_outputs.and_then(|gs| gs.get(i)) {
            Some(g) => Grad::Tensor(g.clone()),
            None => y.implicit_grad(create_graph)?,
        };
        roots.push((y.clone(), g));
    }
    for (i, x) in inputs.iter().enumerate() {
        if !x.requires_grad() {
            return Err(Error::NoGradFn {
                op: "grad",
                index: i,
                shape: x.shape().to_vec(),
            });
        }
    }
    let opts = BackwardOptions {
        retain_graph: Some(retain_graph),
        create_graph,
    };
    let captured = run("grad", &roots, Sink::Capture(&inputs), opts)?;
    Ok(captured
        .into_iter()
        .zip(&inputs)
        .map(|(g, x)| g.unwrap_or_else(|| x.zeros_like()))
        .collect())
}
