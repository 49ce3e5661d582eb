//! What ops save for backward, and the check that it was not modified since.
//!
//! A saved value keeps the version its buffer had when the op was recorded;
//! backward reads it through [`Saved::get`], [`SavedInput::get`] or
//! [`SavedOut::get`], which fail with `Error::ModifiedInPlace` (naming the node)
//! if an in-place op bumped the version since: a wrong gradient becomes an error.

use super::grad_mode::is_grad_enabled;
use super::graph::{Edge, OutRef};
use super::handle::{Buffer, BufferRef, Tensor, TensorInner};
use crate::error::Result;
use crate::Error;
use std::borrow::Cow;
use std::sync::Arc;

/// An input saved for backward, with the version it had then.
pub(crate) struct Saved {
    t: Tensor,
    version: u32,
}

/// An inference tensor about to be saved for backward outside inference mode:
/// PyTorch raises, and the recording closure has no error to return, so this
/// panics with [`Error::InferenceTensor`]'s message.
#[cold]
#[inline(never)]
fn inference_saved(t: &Tensor) {
    if let Err(e) = t.check_not_inference("save_for_backward") {
        panic!("{e}");
    }
}

/// Refuses to save an inference tensor outside inference mode (see
/// [`inference_saved`]; a custom function saves inside it too). Normal
/// tensors cost one load of the buffer's flag.
#[inline(always)]
fn check_savable(t: &Tensor) {
    if t.inner.buffer.is_inference() {
        inference_saved(t);
    }
}

impl Saved {
    pub fn new(t: &Tensor) -> Saved {
        check_savable(t);
        Saved {
            t: t.clone(),
            version: t.version(),
        }
    }

    /// The saved tensor without the version check (already done by the caller).
    pub fn tensor(&self) -> Tensor {
        self.t.clone()
    }

    /// The saved tensor, or an error naming `node` if it was modified in place.
    pub fn get(&self, node: &TensorInner) -> Result<&Tensor> {
        check_version(&self.t.inner.buffer, self.version, self.t.shape(), node)?;
        Ok(&self.t)
    }
}

/// An input of the node saved for backward, like [`Saved`], but sharing what
/// the node's edge to it already holds: the whole tensor for a leaf that
/// requires grad (`Edge::Leaf`), the tensor's block for a graph node
/// (`Edge::Node`), whose buffer is then all that is kept. Saving a second
/// handle would only add reference counts: atomic increments when recording,
/// decrements when the graph dies.
pub(crate) struct SavedInput {
    held: Held,
    version: u32,
}

/// Where a [`SavedInput`] is kept.
enum Held {
    /// A handle of its own: an input without an edge.
    Tensor(Tensor),
    /// The leaf held by the node's edge of this index.
    Edge(usize),
    /// The data of the graph node held by the node's edge of this index.
    Data(BufferRef, usize),
}

impl SavedInput {
    /// `t`, the node's input `i` (its edge's index).
    pub fn new(t: &Tensor, i: usize) -> SavedInput {
        check_savable(t);
        // The tests of `Edge::of`.
        let held = if t.inner.meta.node.is_some() {
            Held::Data(t.inner.buffer.clone(), i)
        } else if t.requires_grad() {
            Held::Edge(i)
        } else {
            Held::Tensor(t.clone())
        };
        SavedInput {
            held,
            version: t.version(),
        }
    }

    /// The saved data and its shape after the version check, without a
    /// tensor around them (for [`ScalarGrad`] reads).
    #[inline]
    pub fn checked<'a>(&'a self, node: &'a TensorInner) -> Result<(&'a Buffer, &'a [usize])> {
        let (buffer, shape): (&Buffer, &[usize]) = match &self.held {
            Held::Tensor(t) => (&t.inner.buffer, t.shape()),
            Held::Edge(i) => {
                let t = leaf(node, *i)?;
                (&t.inner.buffer, t.shape())
            }
            Held::Data(b, i) => (b, &edge_node(node, *i).shape),
        };
        check_version(buffer, self.version, shape, node)?;
        Ok((buffer, shape))
    }

    /// The saved tensor, or an error naming `node` if it was modified in place.
    pub fn get<'a>(&'a self, node: &'a TensorInner) -> Result<Cow<'a, Tensor>> {
        let t = match &self.held {
            Held::Tensor(t) => Cow::Borrowed(t),
            Held::Edge(i) => Cow::Borrowed(leaf(node, *i)?),
            Held::Data(b, i) => {
                Cow::Owned(Tensor::from_handle(edge_node(node, *i).clone(), b.clone()))
            }
        };
        check_version(&t.inner.buffer, self.version, t.shape(), node)?;
        Ok(t)
    }
}

/// The leaf that `node`'s edge `i` holds, for a [`Held::Edge`].
#[inline]
fn leaf(node: &TensorInner, i: usize) -> Result<&Tensor> {
    match node.node().edges.get(i) {
        Some(Edge::Leaf(t)) => Ok(t),
        _ => Err(not_saved(node, i)),
    }
}

/// Only if another thread turned `requires_grad` off while the op was being
/// recorded: then the edge did not keep the leaf.
#[cold]
fn not_saved(node: &TensorInner, i: usize) -> Error {
    Error::InvalidArgument {
        op: "backward",
        shape: node.shape.to_vec(),
        reason: format!(
            "input {i} of {} stopped requiring grad while the op was being recorded, so it was not saved",
            node.name()
        ),
    }
}

/// The block of the graph node that `node`'s edge `i` holds, for a
/// [`Held::Data`]: an input with a node always has a node edge.
#[inline]
fn edge_node(node: &TensorInner, i: usize) -> &Arc<TensorInner> {
    match node.node().edges.get(i) {
        Some(Edge::Node(n)) => n,
        _ => unreachable!("an input that is a graph node has a node edge"),
    }
}

#[inline]
fn check_version(
    b: &Buffer,
    saved_version: u32,
    shape: &[usize],
    node: &TensorInner,
) -> Result<()> {
    let version = b.version();
    if version == saved_version {
        Ok(())
    } else {
        Err(modified(b, saved_version, version, shape, node))
    }
}

#[cold]
fn modified(
    b: &Buffer,
    saved_version: u32,
    version: u32,
    shape: &[usize],
    node: &TensorInner,
) -> Error {
    Error::ModifiedInPlace {
        node: node.name().to_string(),
        inplace: b.last_inplace(),
        shape: shape.to_vec(),
        saved_version,
        version,
    }
}

/// An op's own output saved for backward. Only the data is held, never the
/// output's node (that would be a cycle); [`SavedOut::get`] re-attaches the node
/// being differentiated, so the value stays differentiable under `create_graph`.
pub(crate) struct SavedOut {
    pub(super) buffer: BufferRef,
    version: u32,
}

impl OutRef<'_> {
    /// Saves the output being recorded, for a backward that reads it.
    pub fn save(&self) -> SavedOut {
        SavedOut::new(self.buffer.clone())
    }
}

impl SavedOut {
    pub fn new(buffer: BufferRef) -> SavedOut {
        let version = buffer.version();
        SavedOut { buffer, version }
    }

    /// The data alone, outside any graph, as a tensor of `shape` (the node's).
    pub fn data(&self, shape: &[usize]) -> Tensor {
        let dtype = self.buffer.dtype();
        Tensor::from_parts(self.buffer.clone(), shape, dtype, None)
    }

    /// The saved buffer after the version check, for [`ScalarGrad`] reads.
    pub fn checked(&self, node: &TensorInner) -> Result<&Buffer> {
        check_version(&self.buffer, self.version, &node.shape, node)?;
        Ok(&self.buffer)
    }

    /// The output again: the tensor of `node` itself while a graph is recorded
    /// (`create_graph`), its data alone otherwise.
    pub fn get(&self, node: &Arc<TensorInner>) -> Result<Tensor> {
        self.checked(node)?;
        if is_grad_enabled() {
            Ok(Tensor::from_handle(node.clone(), self.buffer.clone()))
        } else {
            Ok(self.data(&node.shape))
        }
    }
}
