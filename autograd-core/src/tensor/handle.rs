//! The `Tensor` handle: shared data buffer, shape, and autograd metadata.

use super::dtype::{get_default_dtype, DType, Data, Element, Storage};
use super::graph::{Hook, NodeData};
use super::scalar::ScalarGrad;
use super::shape::{numel, Shape};
use crate::error::Result;
use crate::Error;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

/// The data of a tensor with its version counter. Shared by a tensor, its
/// `detach()`ed twins and reshaped views, as PyTorch shares storage.
pub(crate) struct Buffer {
    cell: Cell,
    version: AtomicU32,
    /// Created in inference mode: in-place ops do not bump `version`, and the
    /// data may not be saved for backward (see `crate::inference_mode`).
    inference: bool,
    /// Shared by a view made by `reshape` and friends (never reset while the
    /// buffer lives): in-place ops on it do not rebase the graph.
    pub viewed: AtomicBool,
    /// Name of the last in-place op, for error messages.
    last_inplace: Mutex<&'static str>,
}

/// The elements: a single one as the bits of an atomic word, read and written
/// without a lock (a one-element tensor never changes its length), or a lock
/// around the storage.
enum Cell {
    One(AtomicU64, DType),
    Many(RwLock<Storage>),
}

impl Cell {
    fn new(s: Storage) -> Cell {
        match bits(&s) {
            Some(b) => Cell::One(AtomicU64::new(b), s.dtype()),
            None => Cell::Many(RwLock::new(s)),
        }
    }
}

fn one(bits: u64, dtype: DType) -> Storage {
    match dtype {
        // Only the low 32 bits of an f32's word are ever set.
        DType::F32 => Storage::F32(Data::One(f32::from_bits(bits as u32))),
        DType::F64 => Storage::F64(Data::One(f64::from_bits(bits))),
    }
}

fn bits(s: &Storage) -> Option<u64> {
    match s {
        Storage::F32(d) if d.len() == 1 => Some(d[0].to_bits().into()),
        Storage::F64(d) if d.len() == 1 => Some(d[0].to_bits()),
        _ => None,
    }
}

/// Read access to a buffer's data: a copy of a single element, or a read lock.
pub(crate) enum DataRef<'a> {
    Value(Storage),
    Locked(RwLockReadGuard<'a, Storage>),
}

impl std::ops::Deref for DataRef<'_> {
    type Target = Storage;
    #[inline]
    fn deref(&self) -> &Storage {
        match self {
            DataRef::Value(s) => s,
            DataRef::Locked(g) => g,
        }
    }
}

/// A per-thread pool of unique `Arc`s (blocks, buffers).
type Pool<T> = std::thread::LocalKey<std::cell::RefCell<Vec<Arc<T>>>>;

/// Takes an item from this thread's `pool`, if it has one.
#[inline(always)]
fn take<T>(pool: &'static Pool<T>) -> Option<Arc<T>> {
    pool.try_with(|p| p.borrow_mut().pop()).ok().flatten()
}

/// Puts `item` in this thread's `pool` if it holds fewer than `limit`, or
/// frees it. (A macro: as a generic function over the pool's `LocalKey` it
/// cost 6 to 8 more instructions per call.)
macro_rules! keep {
    ($pool:expr, $limit:expr, $item:expr) => {{
        let item = $item;
        let full = $pool.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < $limit {
                p.push(item);
                None
            } else {
                Some(item)
            }
        });
        // Freed outside the borrow (a full pool, or a thread being torn down).
        drop(full);
    }};
}

/// Buffers whose last reference went, kept by each thread for its next
/// tensors, at most this many: recording an op on small tensors then costs no
/// `malloc`/`free` for its output's buffer (see [`BufferRef`]).
const POOLED_BUFFERS: usize = 256;

thread_local! {
    static BUFFERS: std::cell::RefCell<Vec<Arc<Buffer>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Buffer {
    pub fn version(&self) -> u32 {
        self.version.load(Ordering::Acquire)
    }

    /// Whether the buffer was created in inference mode.
    #[inline]
    pub fn is_inference(&self) -> bool {
        self.inference
    }

    /// Bumps the version after an in-place op, except for inference buffers.
    #[inline]
    fn bump(&self, op: &'static str) {
        *lock(&self.last_inplace) = op;
        if !self.inference {
            self.version.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub fn last_inplace(&self) -> &'static str {
        *lock(&self.last_inplace)
    }

    #[inline]
    pub fn read(&self) -> DataRef<'_> {
        match &self.cell {
            Cell::One(v, dtype) => DataRef::Value(one(v.load(Ordering::Acquire), *dtype)),
            Cell::Many(l) => DataRef::Locked(l.read().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// The value of a one-element buffer, without building a storage.
    #[inline]
    pub fn one(&self) -> Option<ScalarGrad> {
        match &self.cell {
            Cell::One(v, dtype) => {
                let bits = v.load(Ordering::Acquire);
                let v = match dtype {
                    DType::F32 => f64::from(f32::from_bits(bits as u32)),
                    DType::F64 => f64::from_bits(bits),
                };
                Some(ScalarGrad { v, dtype: *dtype })
            }
            Cell::Many(_) => None,
        }
    }

    /// The element type, without reading the data.
    pub fn dtype(&self) -> DType {
        match &self.cell {
            Cell::One(_, dtype) => *dtype,
            Cell::Many(l) => l.read().unwrap_or_else(PoisonError::into_inner).dtype(),
        }
    }

    /// Adds `other` (same length and dtype) into the data, for gradient
    /// accumulation into a buffer nothing else holds (no version bump).
    pub fn add_assign(&self, other: &Storage) {
        match &self.cell {
            Cell::One(v, dtype) => {
                let sum = match (one(v.load(Ordering::Acquire), *dtype), other) {
                    (Storage::F32(d), Storage::F32(s)) => Storage::F32(Data::One(d[0] + s[0])),
                    (Storage::F64(d), Storage::F64(s)) => Storage::F64(Data::One(d[0] + s[0])),
                    _ => unreachable!("callers check the dtypes match"),
                };
                v.store(bits(&sum).unwrap_or_default(), Ordering::Release);
            }
            Cell::Many(l) => {
                let mut data = l.write().unwrap_or_else(PoisonError::into_inner);
                match (&mut *data, other) {
                    (Storage::F32(d), Storage::F32(s)) => {
                        d.iter_mut().zip(s).for_each(|(d, s)| *d += s)
                    }
                    (Storage::F64(d), Storage::F64(s)) => {
                        d.iter_mut().zip(s).for_each(|(d, s)| *d += s)
                    }
                    _ => unreachable!("callers check the dtypes match"),
                }
            }
        }
    }

    /// Adds a one-element gradient of this dtype into a one-element buffer
    /// nothing else holds (no version bump), as [`Buffer::add_assign`] does.
    pub fn add_one(&self, g: ScalarGrad) {
        let s = match g.dtype {
            DType::F32 => Storage::F32(Data::One(g.v as f32)),
            DType::F64 => Storage::F64(Data::One(g.v)),
        };
        self.add_assign(&s);
    }

    /// Replaces the data (same length and dtype: in-place ops keep the shape)
    /// and bumps the version (every in-place op goes here).
    pub fn replace(&self, s: Storage, op: &'static str) {
        match &self.cell {
            Cell::One(v, dtype) => {
                debug_assert_eq!(s.dtype(), *dtype, "in-place ops keep the dtype");
                let b = bits(&s).expect("in-place ops keep the number of elements");
                v.store(b, Ordering::Release);
            }
            Cell::Many(l) => *l.write().unwrap_or_else(PoisonError::into_inner) = s,
        }
        self.bump(op);
    }

    /// Runs `f` on the data under the write lock (the same length and dtype
    /// afterwards) and bumps the version, as [`Buffer::replace`] does, without a
    /// new storage: optimizers update parameters here.
    pub fn modify<R>(&self, op: &'static str, f: impl FnOnce(&mut Storage) -> R) -> R {
        let r = match &self.cell {
            Cell::One(v, dtype) => {
                let mut s = one(v.load(Ordering::Acquire), *dtype);
                let r = f(&mut s);
                debug_assert_eq!(s.dtype(), *dtype, "in-place ops keep the dtype");
                let b = bits(&s).expect("in-place ops keep the number of elements");
                v.store(b, Ordering::Release);
                r
            }
            Cell::Many(l) => f(&mut l.write().unwrap_or_else(PoisonError::into_inner)),
        };
        self.bump(op);
        r
    }
}

/// A reference to a tensor's [`Buffer`], as an `Arc`; the last one to go
/// returns the buffer to its thread's pool for [`BufferRef::new`] to hand out
/// again, empty, instead of freeing it.
pub(crate) struct BufferRef(ManuallyDrop<Arc<Buffer>>);

impl BufferRef {
    /// A reference to a new buffer holding `s`, from this thread's pool when
    /// it has one.
    pub fn new(s: Storage) -> BufferRef {
        let inference = super::grad_mode::is_inference_mode_enabled();
        let buffer = match take(&BUFFERS) {
            Some(mut b) => match unique_mut(&mut b) {
                Some(buf) => {
                    // `BufferRef::drop` left a one-element cell, version 0 and no
                    // in-place op name: a fresh buffer.
                    buf.cell = Cell::new(s);
                    buf.inference = inference;
                    *buf.viewed.get_mut() = false;
                    b
                }
                None => unreachable!("pooled buffers are unique"),
            },
            None => Arc::new(Buffer {
                cell: Cell::new(s),
                version: AtomicU32::new(0),
                inference,
                viewed: AtomicBool::new(false),
                last_inplace: Mutex::new(""),
            }),
        };
        BufferRef(ManuallyDrop::new(buffer))
    }
}

impl Clone for BufferRef {
    #[inline]
    fn clone(&self) -> Self {
        BufferRef(self.0.clone())
    }
}

impl std::ops::Deref for BufferRef {
    type Target = Arc<Buffer>;
    #[inline]
    fn deref(&self) -> &Arc<Buffer> {
        &self.0
    }
}

impl Drop for BufferRef {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the field is not used after this.
        let mut b = unsafe { ManuallyDrop::take(&mut self.0) };
        let Some(buf) = unique_mut(&mut b) else {
            // Another reference remains (buffers never have `Weak`s): dropping
            // `b` is a plain decrement.
            return;
        };
        if let Cell::Many(_) = buf.cell {
            // Frees the storage now (a large one to `recycle`, for the next
            // kernel output); the pooled buffer holds no memory of its own.
            let old = std::mem::replace(&mut buf.cell, Cell::One(AtomicU64::new(0), DType::F32));
            if let Cell::Many(lock) = old {
                lock.into_inner()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recycle();
            }
        }
        *buf.version.get_mut() = 0;
        *buf.last_inplace
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = "";
        keep!(BUFFERS, POOLED_BUFFERS, b);
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What every handle of one tensor shares: its identity (shape, flags, `.grad`,
/// hooks) and, for the output of a recorded op, its node. Keeping the node in
/// the same block as the tensor makes a recorded op cost two allocations, this
/// block and the output's [`Buffer`]; the graph holds this block (never the
/// buffer) after the tensor's handles are gone, so unsaved outputs are freed as
/// in PyTorch.
pub(crate) struct TensorInner {
    pub shape: Shape,
    pub dtype: DType,
    pub requires_grad: AtomicBool,
    pub retains_grad: AtomicBool,
    /// Whether `hooks` is non-empty, so that backward takes its lock only then.
    pub has_hooks: AtomicBool,
    /// Whether an in-place op rebased this non-leaf: its node's op is then
    /// `Op::Rebased`, which says where the tensor's handles lead now.
    pub rebased: AtomicBool,
    pub grad: Mutex<Option<Tensor>>,
    pub hooks: Mutex<Vec<(u64, Hook)>>,
    /// The node that produced this tensor (`grad_fn`); `None` for leaves.
    pub node: Option<NodeData>,
}

impl TensorInner {
    /// The node of a tensor produced by a recorded op.
    pub fn node(&self) -> &NodeData {
        self.node
            .as_ref()
            .expect("only non-leaf tensors are graph nodes")
    }

    /// The PyTorch name of this tensor's node (`""` for leaves).
    pub fn name(&self) -> &str {
        self.node.as_ref().map_or("", |n| &n.name)
    }
}

/// Tensor blocks of dismantled graph nodes kept by each thread for its next
/// tensors, at most this many: a graph torn down and recorded again (every
/// training step) then costs no `malloc`/`free` of blocks, whose size puts them
/// on glibc's slow path.
const POOLED_BLOCKS: usize = 256;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Arc<TensorInner>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// [`Arc::get_mut`] without its compare-and-swap: `&mut` to the block when
/// `block` is its only reference. With one strong count (ours) and no `Weak`,
/// no other thread can reach the block nor make a new reference to it.
#[inline]
pub(crate) fn unique_mut<T>(block: &mut Arc<T>) -> Option<&mut T> {
    if Arc::strong_count(block) == 1 && Arc::weak_count(block) == 0 {
        // Pairs with the release of the last other reference's drop.
        std::sync::atomic::fence(Ordering::Acquire);
        // SAFETY: `block` is the only reference (checked above, and no other
        // can appear), and it is borrowed mutably for the result's lifetime.
        Some(unsafe { &mut *(Arc::as_ptr(block) as *mut T) })
    } else {
        None
    }
}

/// Empties the block of a dying node, whose node has been dismantled, for
/// [`pool_block`]; returns what it still held (`.grad`, hooks) for the caller
/// to drop.
pub(crate) fn clear_block(t: &mut TensorInner) -> (Option<Tensor>, Vec<(u64, Hook)>) {
    let grad = t
        .grad
        .get_mut()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let hooks = std::mem::take(t.hooks.get_mut().unwrap_or_else(PoisonError::into_inner));
    *t.retains_grad.get_mut() = false;
    *t.has_hooks.get_mut() = false;
    *t.rebased.get_mut() = false;
    if let Some(node) = t.node.as_mut() {
        // A custom function's name is the only thing a dismantled node can
        // still own: after this it owns nothing (see `Tensor::from_parts`).
        node.name = std::borrow::Cow::Borrowed("");
    }
    (grad, hooks)
}

/// Keeps a cleared block for this thread's next tensor. The caller holds the
/// only reference to it (no other `Arc`, no `Weak`: [`unique_mut`] just
/// succeeded on it).
pub(crate) fn pool_block(block: Arc<TensorInner>) {
    keep!(POOL, POOLED_BLOCKS, block);
}

/// An n-dimensional array of `f32` or `f64` that records the operations applied
/// to it, PyTorch's `torch.Tensor`.
///
/// A `Tensor` is a cheap handle (two `Arc`s: the data, and the tensor's identity
/// with its node): `clone()` gives another handle to the same tensor, as
/// assigning a Python variable does. It is `Send + Sync`; each graph lives in the
/// tensors that produced it, never in a global tape.
///
/// ```
/// # use autograd_core::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).requires_grad_(true);
/// let y = (&x * &x).sum();
/// y.backward().unwrap();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0, 4.0, 6.0]);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) inner: Handle,
}

/// The two halves of a [`Tensor`] handle.
#[derive(Clone)]
pub(crate) struct Handle {
    /// Identity, flags, gradient, hooks and node.
    pub meta: Arc<TensorInner>,
    /// The data, shared with views, `detach()`ed twins and saved outputs.
    pub buffer: BufferRef,
}

impl Drop for Handle {
    /// The last handle of a tensor gives its block back to this thread's pool
    /// (the graph teardown pools the blocks it dismantles; this pools those of
    /// tensors dropped as values: gradients, backward's temporaries, results a
    /// step throws away). Its node, gradient and hooks are dropped first, as the
    /// block's own drop would; the pool then holds the only reference.
    #[inline]
    fn drop(&mut self) {
        let Some(t) = unique_mut(&mut self.meta) else {
            return;
        };
        // Dropped in place (`take` would copy the node out first).
        t.node = None;
        drop(clear_block(t));
        // The clone's count goes back to one when the field drops after this.
        if let Some(t) = unique_mut(&mut self.meta) {
            debug_assert!(t.node.is_none());
            pool_block(Arc::clone(&self.meta));
        }
    }
}

impl Tensor {
    /// A tensor over `buffer`, produced by `node` when there is one.
    pub(crate) fn from_parts(
        buffer: BufferRef,
        shape: &[usize],
        dtype: DType,
        node: Option<NodeData>,
    ) -> Tensor {
        let meta = match take(&POOL) {
            Some(mut block) => match unique_mut(&mut block) {
                Some(t) => {
                    // `clear_block` left the flags, `.grad` and hooks cleared.
                    t.shape = Shape::new(shape);
                    t.dtype = dtype;
                    *t.requires_grad.get_mut() = node.is_some();
                    // The old node was dismantled and cleared (`clear_block`):
                    // it owns nothing, and writing over it skips its drop glue
                    // (and the copy `mem::replace` would make of it).
                    // SAFETY: `t.node` is a valid, initialised place; the value
                    // overwritten owns nothing, so nothing leaks.
                    unsafe { std::ptr::write(&mut t.node, node) };
                    block
                }
                None => unreachable!("pooled blocks are unique"),
            },
            None => Arc::new(TensorInner {
                shape: Shape::new(shape),
                dtype,
                requires_grad: AtomicBool::new(node.is_some()),
                retains_grad: AtomicBool::new(false),
                has_hooks: AtomicBool::new(false),
                rebased: AtomicBool::new(false),
                grad: Mutex::new(None),
                hooks: Mutex::new(Vec::new()),
                node,
            }),
        };
        Tensor {
            inner: Handle { meta, buffer },
        }
    }

    /// The handle of a tensor from its two halves.
    pub(crate) fn from_handle(meta: Arc<TensorInner>, buffer: BufferRef) -> Tensor {
        Tensor {
            inner: Handle { meta, buffer },
        }
    }

    /// A leaf tensor that owns `s`.
    pub(crate) fn from_storage(s: Storage, shape: &[usize]) -> Tensor {
        debug_assert_eq!(
            s.len(),
            numel(shape),
            "storage does not match shape {shape:?}"
        );
        let dtype = s.dtype();
        Tensor::from_parts(BufferRef::new(s), shape, dtype, None)
    }

    /// Read access to the data.
    pub(crate) fn data(&self) -> DataRef<'_> {
        self.inner.buffer.read()
    }

    /// Runs `f` on the data of two tensors. A buffer shared by both is locked
    /// once: read-locking it twice could deadlock against a waiting writer.
    pub(crate) fn read2<R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&Storage, &Storage) -> R) -> R {
        let da = a.data();
        if Arc::ptr_eq(&a.inner.buffer, &b.inner.buffer) {
            f(&da, &da)
        } else {
            f(&da, &b.data())
        }
    }

    /// [`Tensor::read2`] for any number of tensors.
    pub(crate) fn read_many<R>(ts: &[&Tensor], f: impl FnOnce(&[&Storage]) -> R) -> R {
        let mut guards: Vec<(*const Buffer, DataRef<'_>)> = Vec::new();
        let mut which = Vec::with_capacity(ts.len());
        for t in ts {
            let ptr = Arc::as_ptr(&t.inner.buffer);
            let i = match guards.iter().position(|(p, _)| *p == ptr) {
                Some(i) => i,
                None => {
                    guards.push((ptr, t.data()));
                    guards.len() - 1
                }
            };
            which.push(i);
        }
        let refs: Vec<&Storage> = which.iter().map(|&i| &*guards[i].1).collect();
        f(&refs)
    }

    /// A tensor from row-major `data` of the given shape; `f64` data gives an
    /// `F64` tensor (`torch.tensor(data).reshape(shape)`).
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`; see [`Tensor::try_from_vec`].
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        ok(Tensor::try_from_vec(data, shape))
    }

    /// Fallible [`Tensor::from_vec`].
    pub fn try_from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(Error::InvalidArgument {
                op: "from_vec",
                shape: shape.to_vec(),
                reason: format!(
                    "{} elements were given for {} places",
                    data.len(),
                    numel(shape)
                ),
            });
        }
        Ok(Tensor::from_storage(Storage::from_vec(data), shape))
    }

    /// A rank-0 tensor holding `v` (`torch.tensor(v)`).
    pub fn scalar<T: Element>(v: T) -> Tensor {
        Tensor::from_storage(Storage::from_vec(vec![v]), &[])
    }

    /// A tensor filled with `value` (`torch.full(shape, value)`), of dtype `dtype`.
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        Tensor::from_storage(Storage::full(numel(shape), value, dtype), shape)
    }

    /// Zeros of the default dtype, `f32` unless [`crate::set_default_dtype`]
    /// changed it (`torch.zeros(shape)`).
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0, get_default_dtype())
    }

    /// Ones of the default dtype (`torch.ones(shape)`).
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0, get_default_dtype())
    }

    /// Zeros of this tensor's shape and dtype (`torch.zeros_like`).
    pub fn zeros_like(&self) -> Tensor {
        Tensor::full(self.shape(), 0.0, self.dtype())
    }

    /// Ones of this tensor's shape and dtype (`torch.ones_like`).
    pub fn ones_like(&self) -> Tensor {
        Tensor::full(self.shape(), 1.0, self.dtype())
    }

    /// Samples of the standard normal distribution (`torch.randn`) in the
    /// default dtype, drawn from the generator seeded by [`crate::manual_seed`].
    pub fn randn(shape: &[usize]) -> Tensor {
        let s = Storage::from_f64_iter(super::rng::normals(numel(shape)), get_default_dtype());
        Tensor::from_storage(s, shape)
    }

    /// Samples uniform in `[0, 1)` in the default dtype (`torch.rand`).
    pub fn rand(shape: &[usize]) -> Tensor {
        let it = (0..numel(shape)).map(|_| super::rng::uniform());
        Tensor::from_storage(Storage::from_f64_iter(it, get_default_dtype()), shape)
    }

    /// `0, 1, .., n - 1` in the default dtype (`torch.arange(float(n))`; there
    /// is no integer dtype).
    pub fn arange(n: usize) -> Tensor {
        Tensor::from_storage(
            Storage::from_f64_iter((0..n).map(|i| i as f64), get_default_dtype()),
            &[n],
        )
    }

    /// The `n x n` identity matrix in the default dtype (`torch.eye(n)`).
    pub fn eye(n: usize) -> Tensor {
        let it = (0..n * n).map(|i| if i / n == i % n { 1.0 } else { 0.0 });
        Tensor::from_storage(Storage::from_f64_iter(it, get_default_dtype()), &[n, n])
    }

    /// The dimensions (`t.shape`).
    pub fn shape(&self) -> &[usize] {
        &self.inner.meta.shape
    }

    /// Number of dimensions (`t.dim()`).
    pub fn ndim(&self) -> usize {
        self.inner.meta.shape.len()
    }

    /// Number of elements (`t.numel()`).
    pub fn numel(&self) -> usize {
        numel(&self.inner.meta.shape)
    }

    /// The element type (`t.dtype`).
    pub fn dtype(&self) -> DType {
        self.inner.meta.dtype
    }

    /// The single value of a one-element tensor, as `f64` (`t.item()`).
    ///
    /// # Panics
    /// If the tensor has more than one element; see [`Tensor::try_item`].
    #[track_caller]
    pub fn item(&self) -> f64 {
        ok(self.try_item())
    }

    /// Fallible [`Tensor::item`].
    pub fn try_item(&self) -> Result<f64> {
        if self.numel() != 1 {
            return Err(Error::NotAScalar {
                op: "item",
                shape: self.shape().to_vec(),
                numel: self.numel(),
            });
        }
        Ok(self.data().get(0))
    }

    /// The data, row-major, converted to `T` (`t.flatten().tolist()`).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.data().to_vec()
    }

    /// Version of the data, bumped by every in-place op (`t._version`). An
    /// inference tensor tracks none and stays at 0 (PyTorch raises instead).
    pub fn version(&self) -> u32 {
        self.inner.buffer.version()
    }

    /// Whether this tensor's data was created in [`crate::inference_mode`]
    /// (`t.is_inference()`).
    pub fn is_inference(&self) -> bool {
        self.inner.buffer.is_inference()
    }

    /// The error of an inference tensor used where it may not be: outside
    /// inference mode, for an in-place update, `requires_grad_(true)` or being
    /// saved for backward.
    pub(crate) fn check_not_inference(&self, op: &'static str) -> Result<()> {
        if self.is_inference() && !super::grad_mode::is_inference_mode_enabled() {
            return Err(Error::InferenceTensor {
                op,
                shape: self.shape().to_vec(),
            });
        }
        Ok(())
    }

    /// Whether gradients are computed for this tensor (`t.requires_grad`).
    pub fn requires_grad(&self) -> bool {
        self.inner.meta.requires_grad.load(Ordering::Relaxed)
    }

    /// Sets `requires_grad` on this tensor (every handle to it sees the change) and
    /// returns a handle (`t.requires_grad_(flag)`).
    ///
    /// # Panics
    /// When clearing the flag of a non-leaf; see [`Tensor::try_requires_grad_`].
    #[track_caller]
    pub fn requires_grad_(&self, flag: bool) -> Tensor {
        ok(self.try_requires_grad_(flag))
    }

    /// Fallible [`Tensor::requires_grad_`].
    pub fn try_requires_grad_(&self, flag: bool) -> Result<Tensor> {
        if self.inner.meta.node.is_some() {
            if !flag {
                return Err(Error::NonLeafRequiresGrad);
            }
        } else {
            if flag {
                self.check_not_inference("requires_grad_")?;
            }
            self.inner.meta.requires_grad.store(flag, Ordering::Relaxed);
        }
        Ok(self.clone())
    }

    /// Whether this tensor is a leaf of the graph: created by the user, not by a
    /// recorded op (`t.is_leaf`).
    pub fn is_leaf(&self) -> bool {
        self.inner.meta.node.is_none()
    }

    /// Whether the data is shared with a view (`reshape`, `view`, `squeeze`,
    /// `unsqueeze`, `flatten`): in-place ops then do not rebase the graph.
    pub(crate) fn has_views(&self) -> bool {
        self.inner.buffer.viewed.load(Ordering::Relaxed)
    }

    /// The accumulated gradient: `None` until a backward reaches this tensor,
    /// always `None` for non-leaves unless [`Tensor::retain_grad`] was called
    /// (`t.grad`).
    pub fn grad(&self) -> Option<Tensor> {
        if self.inner.meta.rebased.load(Ordering::Acquire) {
            return lock(&self.current_block().grad).clone();
        }
        lock(&self.inner.meta.grad).clone()
    }

    /// Replaces the stored gradient (`t.grad = g`).
    pub fn set_grad(&self, g: Option<Tensor>) {
        *lock(&self.inner.meta.grad) = g;
    }

    /// Clears the gradient, as PyTorch's `zero_grad(set_to_none=True)`: `grad()`
    /// is `None` until the next backward.
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// A tensor sharing this one's data (and version counter) but outside any
    /// graph: a leaf that does not require grad (`t.detach()`).
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.inner.buffer.clone(), self.shape(), self.dtype(), None)
    }

    /// Whether both handles refer to the same tensor.
    pub fn same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.inner.meta, &other.inner.meta)
    }
}

/// Unwraps an op's result, panicking with the error's message (which names the op
/// and the shapes) at the caller's location.
#[track_caller]
pub(crate) fn ok<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

impl From<f32> for Tensor {
    fn from(v: f32) -> Tensor {
        Tensor::scalar(v)
    }
}

impl From<f64> for Tensor {
    fn from(v: f64) -> Tensor {
        Tensor::scalar(v)
    }
}

impl<T: Element> From<Vec<T>> for Tensor {
    /// A rank-1 tensor.
    fn from(v: Vec<T>) -> Tensor {
        let n = v.len();
        Tensor::from_vec(v, &[n])
    }
}

impl<T: Element> From<&[T]> for Tensor {
    /// A rank-1 tensor.
    fn from(v: &[T]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()])
    }
}
