//! The recorded graph: nodes, edges, recording, hooks, and iterative teardown.
//!
//! A node lives in the block of the tensor it produced ([`TensorInner::node`]):
//! it owns its [`Op`] (the saved tensors its backward needs) and one edge per
//! input. Edges point from outputs to inputs only, so the graph is a DAG of `Arc`s
//! with no cycle: dropping the last tensor of a graph frees it.

use super::dtype::{DType, Storage};
use super::grad_mode::is_grad_enabled;
use super::handle::{clear_block, lock, pool_block, unique_mut, BufferRef, Tensor, TensorInner};
use super::op::Op;
use crate::error::Result;
use crate::Error;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// A gradient hook: receives the gradient, may return a replacement.
pub(crate) type Hook = Arc<dyn Fn(&Tensor) -> Option<Tensor> + Send + Sync>;

/// Where the gradient of one input of a node goes.
pub(crate) enum Edge {
    /// The input does not require grad.
    None,
    /// The input was produced by a recorded op: its block holds the node.
    Node(Arc<TensorInner>),
    /// The input is a leaf that requires grad (PyTorch's `AccumulateGrad`, which
    /// holds the variable).
    Leaf(Tensor),
}

impl Edge {
    pub fn of(t: &Tensor) -> Edge {
        if t.inner.meta.node.is_some() {
            if t.inner.meta.rebased.load(Ordering::Acquire) {
                return Edge::Node(t.current_block());
            }
            Edge::Node(t.inner.meta.clone())
        } else if t.requires_grad() {
            Edge::Leaf(t.clone())
        } else {
            Edge::None
        }
    }

    /// The shape of the tensor the edge leads to.
    pub fn shape(&self) -> Option<&[usize]> {
        match self {
            Edge::None => None,
            Edge::Node(n) => Some(&n.shape),
            Edge::Leaf(t) => Some(t.shape()),
        }
    }

    pub fn is_some(&self) -> bool {
        !matches!(self, Edge::None)
    }

    /// The topological height of the node this edge leads to (0 for leaves).
    fn height(&self) -> u32 {
        match self {
            Edge::Node(n) => n.node().height,
            Edge::None | Edge::Leaf(_) => 0,
        }
    }
}

/// The edges of a node, inline for the usual one or two inputs so that recording
/// an op allocates nothing for them.
pub(crate) enum Edges {
    Inline([Edge; 2], u8),
    Heap(Vec<Edge>),
}

impl Default for Edges {
    fn default() -> Self {
        Edges::Inline([Edge::None, Edge::None], 0)
    }
}

impl std::ops::Deref for Edges {
    type Target = [Edge];
    fn deref(&self) -> &[Edge] {
        match self {
            Edges::Inline(e, n) => &e[..*n as usize],
            Edges::Heap(v) => v,
        }
    }
}

impl Edges {
    fn of(inputs: &[&Tensor]) -> Edges {
        match inputs {
            [a] => Edges::Inline([Edge::of(a), Edge::None], 1),
            [a, b] => Edges::Inline([Edge::of(a), Edge::of(b)], 2),
            _ => Edges::Heap(inputs.iter().map(|t| Edge::of(t)).collect()),
        }
    }
}

/// A node of the graph: the backward of the op that produced the tensor whose
/// block holds it.
pub(crate) struct NodeData {
    pub name: Cow<'static, str>,
    /// Two more than the largest height of the node's inputs (leaves are 0):
    /// every input is lower than its consumers, so decreasing height is a
    /// topological order of any graph, with no global counter to share.
    /// (32 bits: a graph of 2^32 nodes would not fit in memory.)
    pub height: u32,
    /// Where the op was recorded, as a [`super::anomaly::site`] number, while
    /// anomaly detection was on; 0 otherwise.
    pub site: u32,
    /// `None` once backward freed it.
    pub op: Mutex<Option<Op>>,
    pub edges: Edges,
}

impl Drop for NodeData {
    /// Dropping a long chain recursively would overflow the stack. A dying node
    /// dismantles the inputs that die with it in a loop instead: it takes each
    /// one's op and edges out before dropping it, so no drop recurses. The ops
    /// (saved tensors) go after the edges have been taken, while the work list
    /// still holds the input nodes they may refer to.
    fn drop(&mut self) {
        if self.edges.is_empty() {
            // Dismantled already, or a node without inputs: the op goes as a field.
            return;
        }
        let mut work = Work::default();
        self.dismantle(&mut work);
        while let Some(mut n) = work.pop() {
            let Some(t) = unique_mut(&mut n) else {
                continue;
            };
            if let Some(node) = t.node.as_mut() {
                node.dismantle(&mut work);
            }
            // The block goes back to this thread's pool; what it still held
            // is dropped after.
            let held = clear_block(t);
            pool_block(n);
            drop(held);
        }
    }
}

impl NodeData {
    fn dismantle(&mut self, work: &mut Work) {
        let mut keep = |e: Edge| {
            if let Edge::Node(n) = e {
                work.push(n);
            }
        };
        match std::mem::take(&mut self.edges) {
            Edges::Inline(edges, _) => edges.into_iter().for_each(&mut keep),
            Edges::Heap(edges) => edges.into_iter().for_each(&mut keep),
        }
        // Dropped in place: moving the op out would copy it.
        *self.op.get_mut().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The nodes a drop still has to dismantle: a chain needs one slot, so the
/// first lives inline and only branching graphs use the `Vec`.
#[derive(Default)]
struct Work {
    top: Option<Arc<TensorInner>>,
    rest: Vec<Arc<TensorInner>>,
}

impl Work {
    fn push(&mut self, n: Arc<TensorInner>) {
        if let Some(old) = self.top.replace(n) {
            self.rest.push(old);
        }
    }

    fn pop(&mut self) -> Option<Arc<TensorInner>> {
        self.top.take().or_else(|| self.rest.pop())
    }
}

/// Access to the output of an op being recorded, for ops whose backward needs
/// their own result.
pub(crate) struct OutRef<'a> {
    pub(super) buffer: &'a BufferRef,
}

impl Tensor {
    /// The result of an op: a leaf when nothing is recorded (grad mode off or no
    /// input requires grad), otherwise a tensor whose `grad_fn` is a new node
    /// holding `op(..)` and one edge per input.
    #[track_caller]
    pub(crate) fn record(
        s: Storage,
        shape: &[usize],
        inputs: &[&Tensor],
        op: impl FnOnce(&OutRef<'_>) -> Op,
    ) -> Tensor {
        let dtype = s.dtype();
        debug_assert_eq!(
            s.len(),
            shape.iter().product::<usize>(),
            "record: {shape:?}"
        );
        Tensor::record_typed(BufferRef::new(s), dtype, shape, inputs, op)
    }

    /// [`Tensor::record`] for an output that shares an existing buffer (views).
    #[track_caller]
    pub(crate) fn record_buffer(
        buffer: BufferRef,
        shape: &[usize],
        inputs: &[&Tensor],
        op: impl FnOnce(&OutRef<'_>) -> Op,
    ) -> Tensor {
        let dtype = buffer.dtype();
        Tensor::record_typed(buffer, dtype, shape, inputs, op)
    }

    /// [`Tensor::record_buffer`] with the buffer's dtype already known, which
    /// spares a read lock.
    #[track_caller]
    fn record_typed(
        buffer: BufferRef,
        dtype: DType,
        shape: &[usize],
        inputs: &[&Tensor],
        op: impl FnOnce(&OutRef<'_>) -> Op,
    ) -> Tensor {
        if !(is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())) {
            return Tensor::from_parts(buffer, shape, dtype, None);
        }
        let op = op(&OutRef { buffer: &buffer });
        let edges = Edges::of(inputs);
        // Steps of 2 leave room below each node for the one an in-place op
        // moves its op to (`Tensor::split_node`).
        let height = 2 + edges.iter().map(Edge::height).max().unwrap_or(0);
        let site = if super::anomaly::is_anomaly_enabled() {
            super::anomaly::site(std::panic::Location::caller())
        } else {
            0
        };
        let node = NodeData {
            name: op.name(),
            height,
            site,
            op: Mutex::new(Some(op)),
            edges,
        };
        Tensor::from_parts(buffer, shape, dtype, Some(node))
    }

    /// The node that produced this tensor, `None` for leaves (`t.grad_fn`).
    pub fn grad_fn(&self) -> Option<Node> {
        let this = self.current();
        let meta = &this.inner.meta;
        meta.node
            .is_some()
            .then(|| Node(NodeKind::Op(meta.clone())))
    }

    /// Keeps the gradient of this non-leaf tensor in [`Tensor::grad`] after
    /// backward (`t.retain_grad()`); a no-op on leaves.
    pub fn retain_grad(&self) {
        let this = self.current();
        if this.inner.meta.node.is_some() {
            this.inner.meta.retains_grad.store(true, Ordering::Relaxed);
        }
    }

    /// Whether [`Tensor::retain_grad`] was called on this non-leaf.
    pub fn retains_grad(&self) -> bool {
        self.current()
            .inner
            .meta
            .retains_grad
            .load(Ordering::Relaxed)
    }

    /// The block this handle's tensor lives in now: its own, or the one of the
    /// latest in-place op that rebased it.
    #[cold]
    pub(crate) fn current_block(&self) -> Arc<TensorInner> {
        let mut b = self.inner.meta.clone();
        while b.rebased.load(Ordering::Acquire) {
            let next = match &*lock(&b.node().op) {
                Some(Op::Rebased { current, .. }) => current.clone(),
                _ => unreachable!("a rebased node holds Op::Rebased"),
            };
            b = next;
        }
        b
    }

    /// This tensor as it is now: the handle itself, or one of the block an
    /// in-place op rebased it to (same data).
    #[inline]
    pub(crate) fn current(&self) -> Tensor {
        if self.inner.meta.rebased.load(Ordering::Acquire) {
            Tensor::from_handle(self.current_block(), self.inner.buffer.clone())
        } else {
            self.clone()
        }
    }

    /// For an in-place op on this non-leaf (its current block, `B`): moves
    /// `B`'s op into a new block just below it, with the same name, inputs and
    /// place, and returns that block, the old value's node. `B` itself still
    /// has to be given [`Op::Rebased`] (see [`Tensor::finish_rebase`]).
    pub(crate) fn split_node(block: &Arc<TensorInner>) -> Arc<TensorInner> {
        let node = block.node();
        let op = lock(&node.op).take();
        let edges: Vec<Edge> = node
            .edges
            .iter()
            .map(|e| match e {
                Edge::None => Edge::None,
                Edge::Node(n) => Edge::Node(n.clone()),
                Edge::Leaf(t) => Edge::Leaf(t.clone()),
            })
            .collect();
        let edges = match edges.len() {
            1 | 2 => {
                let mut it = edges.into_iter();
                let n = it.len() as u8;
                let a = it.next().unwrap_or(Edge::None);
                let b = it.next().unwrap_or(Edge::None);
                Edges::Inline([a, b], n)
            }
            _ => Edges::Heap(edges),
        };
        let old = NodeData {
            name: node.name.clone(),
            height: node.height - 1,
            site: node.site,
            op: Mutex::new(op),
            edges,
        };
        Arc::new(TensorInner {
            shape: block.shape.clone(),
            dtype: block.dtype,
            requires_grad: std::sync::atomic::AtomicBool::new(true),
            retains_grad: std::sync::atomic::AtomicBool::new(false),
            has_hooks: std::sync::atomic::AtomicBool::new(false),
            rebased: std::sync::atomic::AtomicBool::new(false),
            grad: Mutex::new(None),
            hooks: Mutex::new(Vec::new()),
            node: Some(old),
        })
    }

    /// Completes a rebase of `block` (split by [`Tensor::split_node`] into
    /// `old`): its handles now lead to `current`, and `root` (the handle's own
    /// block, when the tensor had been rebased before) straight there too.
    pub(crate) fn finish_rebase(
        root: &Arc<TensorInner>,
        block: &Arc<TensorInner>,
        old: Arc<TensorInner>,
        current: Arc<TensorInner>,
    ) {
        if !Arc::ptr_eq(root, block) {
            if let Some(Op::Rebased { current: c, .. }) = lock(&root.node().op).as_mut() {
                *c = current.clone();
            }
        }
        *lock(&block.node().op) = Some(Op::Rebased { old, current });
        block.rebased.store(true, Ordering::Release);
    }

    /// Registers `hook`, called with the gradient of this tensor each time one is
    /// computed; returning `Some(g)` replaces the gradient (`t.register_hook`).
    ///
    /// # Panics
    /// If the tensor does not require grad; see [`Tensor::try_register_hook`].
    #[track_caller]
    pub fn register_hook<F>(&self, hook: F) -> HookHandle
    where
        F: Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    {
        super::handle::ok(self.try_register_hook(hook))
    }

    /// Fallible [`Tensor::register_hook`].
    pub fn try_register_hook<F>(&self, hook: F) -> Result<HookHandle>
    where
        F: Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    {
        let this = self.current();
        let this = &this;
        if !self.requires_grad() {
            return Err(Error::InvalidArgument {
                op: "register_hook",
                shape: this.shape().to_vec(),
                reason: "cannot register a hook on a tensor that does not require grad".into(),
            });
        }
        static IDS: AtomicU64 = AtomicU64::new(0);
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        let meta = &this.inner.meta;
        lock(&meta.hooks).push((id, Arc::new(hook)));
        meta.has_hooks.store(true, Ordering::Release);
        Ok(HookHandle {
            tensor: Arc::downgrade(meta),
            id,
        })
    }

    /// Runs this tensor's hooks on `g` in registration order.
    /// Runs the hooks of `inner` on its gradient `g`; a hook's replacement must
    /// have `g`'s shape (PyTorch refuses a hook that "has changed the size of
    /// value"), so that a wrong gradient never flows on.
    pub(crate) fn run_hooks(inner: &TensorInner, mut g: Tensor) -> Result<Tensor> {
        let hooks: Vec<Hook> = lock(&inner.hooks).iter().map(|(_, h)| h.clone()).collect();
        for h in hooks {
            if let Some(new) = h(&g) {
                if new.shape() != g.shape() {
                    return Err(Error::ShapeMismatch {
                        op: "register_hook",
                        lhs: g.shape().to_vec(),
                        rhs: new.shape().to_vec(),
                        reason: "a hook must return a gradient of the shape it was given".into(),
                    });
                }
                g = new;
            }
        }
        Ok(g)
    }
}

/// Returned by [`Tensor::register_hook`]; [`HookHandle::remove`] unregisters the
/// hook (PyTorch's `RemovableHandle`).
#[derive(Debug)]
pub struct HookHandle {
    tensor: Weak<TensorInner>,
    id: u64,
}

impl HookHandle {
    /// Unregisters the hook.
    pub fn remove(self) {
        if let Some(t) = self.tensor.upgrade() {
            let mut hooks = lock(&t.hooks);
            hooks.retain(|(id, _)| *id != self.id);
            t.has_hooks.store(!hooks.is_empty(), Ordering::Release);
        }
    }
}

/// A node of the backward graph, as returned by [`Tensor::grad_fn`] (PyTorch's
/// `torch.autograd.graph.Node`).
#[derive(Clone)]
pub struct Node(pub(crate) NodeKind);

#[derive(Clone)]
pub(crate) enum NodeKind {
    Op(Arc<TensorInner>),
    Accumulate(Tensor),
}

impl Node {
    fn from_edge(e: &Edge) -> Option<Node> {
        match e {
            Edge::None => None,
            Edge::Node(n) => Some(Node(NodeKind::Op(n.clone()))),
            Edge::Leaf(t) => Some(Node(NodeKind::Accumulate(t.clone()))),
        }
    }

    /// PyTorch's name of the node: `"AddBackward0"`, `"MulBackward0"`, ..., and
    /// `"AccumulateGrad"` for the node that accumulates into a leaf.
    pub fn name(&self) -> &str {
        match &self.0 {
            NodeKind::Op(n) => n.name(),
            NodeKind::Accumulate(_) => "AccumulateGrad",
        }
    }

    /// The nodes the gradient flows to, one per input of the op; `None` for an
    /// input that does not require grad (`node.next_functions`, without the input
    /// numbers).
    pub fn next_functions(&self) -> Vec<Option<Node>> {
        match &self.0 {
            NodeKind::Op(n) => n.node().edges.iter().map(Node::from_edge).collect(),
            NodeKind::Accumulate(_) => Vec::new(),
        }
    }

    /// For an `AccumulateGrad` node, the leaf it accumulates into
    /// (`node.variable`).
    pub fn variable(&self) -> Option<Tensor> {
        match &self.0 {
            NodeKind::Accumulate(t) => Some(t.clone()),
            NodeKind::Op(_) => None,
        }
    }

    /// Whether both handles refer to the same node.
    pub fn same(&self, other: &Node) -> bool {
        self.id() == other.id()
    }

    /// An identity for the node, stable while it lives.
    pub(crate) fn id(&self) -> usize {
        match &self.0 {
            NodeKind::Op(n) => Arc::as_ptr(n) as usize,
            NodeKind::Accumulate(t) => Arc::as_ptr(&t.inner.meta) as usize,
        }
    }

    /// Shape of the tensor this node produces (of the leaf, for `AccumulateGrad`).
    pub fn shape(&self) -> Vec<usize> {
        match &self.0 {
            NodeKind::Op(n) => n.shape.to_vec(),
            NodeKind::Accumulate(t) => t.shape().to_vec(),
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.name())
    }
}
