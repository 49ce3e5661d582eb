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
//! gradient: its gradient rides in its heap entry. Others get a slot in a table
//! found by address, where the gradients of several consumers add up.

use super::grad_mode::{is_grad_enabled, ModeGuard};
use super::graph::{Edge, NodeData};
use super::handle::{lock, Tensor, TensorInner};
use super::list::Tensors;
use super::op::same_shape;
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

fn accumulate(slot: &mut Option<Tensor>, g: Tensor) {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => add_into(old, &g),
    });
}

/// `old + g`, in place when nothing else can observe `old` and no graph is being
/// recorded (PyTorch accumulates in place under the same conditions).
fn add_into(old: Tensor, g: &Tensor) -> Tensor {
    let private = Arc::strong_count(&old.inner.meta) == 1
        && Arc::strong_count(&old.inner.buffer) == 1
        && old.inner.meta.node.is_none();
    if private
        && !is_grad_enabled()
        && same_shape(old.shape(), g.shape())
        && old.dtype() == g.dtype()
    {
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
    Here(Tensor),
    /// In `Pass::sums[i]`, where several consumers add to it.
    Slot(usize),
}

/// A node waiting in the heap, highest first.
struct Ready {
    height: u64,
    node: Arc<TensorInner>,
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
    ready: BinaryHeap<Ready>,
    /// Summed gradients of nodes with several consumers, and their slots.
    sums: Vec<Option<Tensor>>,
    slot_of: PtrMap<usize>,
    leaves: Vec<(Tensor, Option<Tensor>)>,
    leaf_index: PtrMap<usize>,
    captured: Vec<Option<Tensor>>,
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
            ready: BinaryHeap::new(),
            sums: Vec::new(),
            slot_of: PtrMap::default(),
            leaves: Vec::new(),
            leaf_index: PtrMap::default(),
            captured: vec![None; n],
        }
    }

    fn send(&mut self, edge: &Edge, g: Tensor) {
        match edge {
            Edge::None => {}
            Edge::Node(n) => {
                let g = cast(g, n.dtype);
                let height = n.node().height;
                // Only this edge holds the node: no other consumer can send to it.
                if Arc::strong_count(n) == 1 {
                    self.ready.push(Ready {
                        height,
                        node: n.clone(),
                        grad: Pending::Here(g),
                    });
                    return;
                }
                let key = Arc::as_ptr(n) as usize;
                match self.slot_of.get(&key) {
                    Some(&i) => accumulate(&mut self.sums[i], g),
                    None => {
                        self.slot_of.insert(key, self.sums.len());
                        self.ready.push(Ready {
                            height,
                            node: n.clone(),
                            grad: Pending::Slot(self.sums.len()),
                        });
                        self.sums.push(Some(g));
                    }
                }
            }
            Edge::Leaf(t) => {
                let g = cast(g, t.dtype());
                let i = self.leaf(t);
                accumulate(&mut self.leaves[i].1, g);
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
            g = Tensor::run_hooks(&out, g);
        }
        if out.retains_grad.load(Ordering::Relaxed) {
            accumulate(&mut lock(&out.grad), g.clone().detach_unless_graph());
        }
        self.capture_node(&out, &g);
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
        let result = o.backward(g, &out, needs);
        // As in PyTorch, freeing the graph frees saved tensors: an op that saved
        // none can run again.
        let freed = if !self.retain && o.saves_tensors() {
            op.take()
        } else {
            None
        };
        drop(op);
        drop(freed);
        let grads = result?;
        for (edge, gi) in node.edges.iter().zip(grads) {
            if let Some(gi) = gi {
                self.send(edge, gi);
            }
        }
        Ok(())
    }

    fn capture_node(&mut self, node: &Arc<TensorInner>, g: &Tensor) {
        if let Sink::Capture(inputs) = self.sink {
            for (i, t) in inputs.iter().enumerate() {
                if Arc::ptr_eq(&t.inner.meta, node) {
                    self.captured[i] = Some(g.clone());
                }
            }
        }
    }

    fn finish_leaves(&mut self) {
        for (t, g) in std::mem::take(&mut self.leaves) {
            let Some(g) = g else { continue };
            match self.sink {
                Sink::Capture(inputs) => {
                    for (i, x) in inputs.iter().enumerate() {
                        if x.same(&t) {
                            self.captured[i] = Some(g.clone());
                        }
                    }
                }
                Sink::Accumulate => {
                    let meta = &t.inner.meta;
                    let g = if meta.has_hooks.load(Ordering::Acquire) {
                        Tensor::run_hooks(meta, g)
                    } else {
                        g
                    };
                    accumulate(&mut lock(&meta.grad), g.detach_unless_graph());
                }
            }
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

/// The shared driver of `backward` and `grad`.
fn run(
    op: &'static str,
    roots: &[(Tensor, Tensor)],
    sink: Sink<'_>,
    opts: BackwardOptions,
) -> Result<Vec<Option<Tensor>>> {
    let _mode = ModeGuard::set(opts.create_graph);
    let mut pass = Pass::new(sink, opts.retain());
    for (i, (t, g)) in roots.iter().enumerate() {
        if t.shape() != g.shape() {
            return Err(Error::GradShape {
                op,
                grad: g.shape().to_vec(),
                output: t.shape().to_vec(),
            });
        }
        let edge = Edge::of(t);
        if !edge.is_some() {
            return Err(Error::NoGradFn {
                op,
                index: i,
                shape: t.shape().to_vec(),
            });
        }
        pass.send(&edge, g.clone());
    }
    while let Some(ready) = pass.ready.pop() {
        pass.step(ready)?;
    }
    pass.finish_leaves();
    Ok(pass.captured)
}

impl Tensor {
    /// Gradients with the graph attached only while `create_graph` is on.
    fn detach_unless_graph(self) -> Tensor {
        if super::grad_mode::is_grad_enabled() {
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
            Some(g) => g.clone(),
            None => self.implicit_grad()?,
        };
        run("backward", &[(self.clone(), g)], Sink::Accumulate, opts).map(drop)
    }

    fn implicit_grad(&self) -> Result<Tensor> {
        if self.numel() != 1 {
            return Err(Error::NonScalarOutput {
                shape: self.shape().to_vec(),
            });
        }
        Ok(self.ones_like())
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
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, y) in outputs.iter().enumerate() {
        let g = match grad_outputs.and_then(|gs| gs.get(i)) {
            Some(g) => g.clone(),
            None => y.implicit_grad()?,
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
