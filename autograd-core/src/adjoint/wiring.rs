//! Typed wiring of pullback closures: the macro cannot write a closure's parameter
//! types, so these helpers give rustc the expected signature from a value.

use core::mem::MaybeUninit;

use super::{Real, Tangent};
use nalgebra::SMatrix;

/// Returns `f`, telling rustc that its argument has the type of `like`.
#[inline(always)]
pub fn pb_like<G, R, F: FnOnce(G) -> R>(_like: &G, f: F) -> F {
    f
}

/// A pullback: a closure, or an [`Either`] of pullbacks (the arms of a `match`
/// nest them: `Either<A, Either<B, C>>`).
pub trait Pullback<G, R> {
    /// Maps the cotangent of the outputs to those of the inputs.
    fn call(self, g: G) -> R;
}

impl<G, R, F: FnOnce(G) -> R> Pullback<G, R> for F {
    #[inline(always)]
    fn call(self, g: G) -> R {
        self(g)
    }
}

impl<G, R, A: Pullback<G, R>, B: Pullback<G, R>> Pullback<G, R> for Either<A, B> {
    #[inline(always)]
    fn call(self, g: G) -> R {
        Either::call(self, g)
    }
}

/// The pullback of an `if`/`else` (or of two arms of a `match`): one of two
/// closures of different types.
pub enum Either<A, B> {
    /// The `then` branch ran.
    Left(A),
    /// The `else` branch ran.
    Right(B),
}

impl<A, B> Either<A, B> {
    /// Calls whichever pullback the forward sweep took.
    #[inline(always)]
    pub fn call<G, R>(self, g: G) -> R
    where
        A: Pullback<G, R>,
        B: Pullback<G, R>,
    {
        match self {
            Either::Left(a) => a.call(g),
            Either::Right(b) => b.call(g),
        }
    }
}

/// A fixed-capacity stack of per-iteration pullbacks for `for i in 0..N`, on the
/// stack frame: no heap allocation.
pub struct LoopTape<P, const N: usize> {
    items: [MaybeUninit<P>; N],
    len: usize,
}

impl<P, const N: usize> LoopTape<P, N> {
    /// An empty tape.
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        LoopTape {
            items: [const { MaybeUninit::uninit() }; N],
            len: 0,
        }
    }

    /// Records the pullback of one iteration.
    ///
    /// # Panics
    /// If the loop runs more than `N` iterations, which the macro rules out by
    /// taking `N` from the range's constant end.
    #[inline(always)]
    pub fn push(&mut self, p: P) {
        assert!(
            self.len < N,
            "loop ran more iterations than its constant bound {N}"
        );
        self.items[self.len] = MaybeUninit::new(p);
        self.len += 1;
    }

    /// Takes the pullback of the last iteration not yet reversed.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<P> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slots below `len` were initialised by `push` and each is read once.
        Some(unsafe { self.items[self.len].assume_init_read() })
    }
}

impl<P, const N: usize> Drop for LoopTape<P, N> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// The tape of `for i in a..=N` with a constant `N`: up to `N + 1` pullbacks on
/// the stack, the last in a slot of its own (`{ N + 1 }` is not a const argument
/// on stable Rust).
pub struct InclusiveTape<P, const N: usize> {
    first: LoopTape<P, N>,
    last: Option<P>,
}

impl<P, const N: usize> InclusiveTape<P, N> {
    /// An empty tape.
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        InclusiveTape {
            first: LoopTape::new(),
            last: None,
        }
    }

    /// Records the pullback of one iteration.
    ///
    /// # Panics
    /// If the loop runs more than `N + 1` iterations.
    #[inline(always)]
    pub fn push(&mut self, p: P) {
        if self.first.len < N {
            self.first.push(p);
        } else {
            assert!(
                self.last.is_none(),
                "loop ran more iterations than its constant bound {N} + 1"
            );
            self.last = Some(p);
        }
    }

    /// Takes the pullback of the last iteration not yet reversed.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<P> {
        self.last.take().or_else(|| self.first.pop())
    }
}

/// The tape of a loop over the entries of an `R x C` matrix: `R * C` slots on the
/// stack (two const parameters, since `{ R * C }` is not a const argument on
/// stable Rust).
pub struct MatrixTape<P, const R: usize, const C: usize> {
    items: [[MaybeUninit<P>; R]; C],
    len: usize,
}

impl<P, const R: usize, const C: usize> MatrixTape<P, R, C> {
    /// An empty tape.
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        MatrixTape {
            items: [const { [const { MaybeUninit::uninit() }; R] }; C],
            len: 0,
        }
    }

    /// Records the pullback of one iteration.
    ///
    /// # Panics
    /// If the loop runs more than `R * C` iterations (it runs over the entries).
    #[inline(always)]
    pub fn push(&mut self, p: P) {
        assert!(
            self.len < R * C,
            "loop ran more iterations than the {R}x{C} matrix it iterates has entries"
        );
        self.items[self.len / R][self.len % R] = MaybeUninit::new(p);
        self.len += 1;
    }

    /// Takes the pullback of the last iteration not yet reversed.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<P> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slots below `len` were initialised by `push` and each is read once.
        Some(unsafe { self.items[self.len / R][self.len % R].assume_init_read() })
    }
}

impl<P, const R: usize, const C: usize> Drop for MatrixTape<P, R, C> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// The number of entries of `it.step_by(k)` over an iterator of `n` entries
/// (what a differentiated loop over `.step_by(k)` runs).
///
/// # Panics
/// If `k` is 0, as `Iterator::step_by` does.
#[inline(always)]
pub fn stepped_count(n: usize, k: usize) -> usize {
    assert!(k != 0, "assertion failed: step != 0");
    n.div_ceil(k)
}

/// What a differentiated `for x in v.iter()` runs over: its entries, indexed
/// `v[i]` for `i < v.len()`, and the tape that holds one pullback per entry (on
/// the stack for arrays and static matrices, on the heap for slices and `Vec`s).
#[diagnostic::on_unimplemented(
    message = "a differentiated loop cannot iterate `{Self}`",
    note = "iterate an array, an `SVector`/`SMatrix`, a slice or a `Vec` (`v.iter()`, `&v`, `v.iter().enumerate()`, `a.iter().zip(b.iter())`), or loop over indices: `for i in 0..n`"
)]
pub trait Iterable {
    /// The tape of a loop over the entries.
    type Tape<P>;
    /// An empty tape for a loop over the entries.
    fn tape<P>(&self) -> Self::Tape<P>;
}

impl<T, const N: usize> Iterable for [T; N] {
    type Tape<P> = LoopTape<P, N>;
    #[inline(always)]
    fn tape<P>(&self) -> LoopTape<P, N> {
        LoopTape::new()
    }
}

impl<T: Real, const R: usize, const C: usize> Iterable for SMatrix<T, R, C> {
    type Tape<P> = MatrixTape<P, R, C>;
    #[inline(always)]
    fn tape<P>(&self) -> MatrixTape<P, R, C> {
        MatrixTape::new()
    }
}

#[cfg(feature = "alloc")]
impl<T> Iterable for [T] {
    type Tape<P> = HeapTape<P>;
    #[inline(always)]
    fn tape<P>(&self) -> HeapTape<P> {
        HeapTape::new()
    }
}

#[cfg(feature = "alloc")]
impl<T> Iterable for alloc::vec::Vec<T> {
    type Tape<P> = HeapTape<P>;
    #[inline(always)]
    fn tape<P>(&self) -> HeapTape<P> {
        HeapTape::new()
    }
}

/// `DVector`, `DMatrix` and `RowDVector`: their entries, column by column, on
/// the heap.
macro_rules! dynamic_iterable {
    ($M:ident) => {
        #[cfg(feature = "alloc")]
        impl<T: Real> Iterable for nalgebra::$M<T> {
            type Tape<P> = HeapTape<P>;
            #[inline(always)]
            fn tape<P>(&self) -> HeapTape<P> {
                HeapTape::new()
            }
        }
    };
}
dynamic_iterable!(DVector);
dynamic_iterable!(DMatrix);
dynamic_iterable!(RowDVector);

impl<I: Iterable + ?Sized> Iterable for &I {
    type Tape<P> = I::Tape<P>;
    #[inline(always)]
    fn tape<P>(&self) -> I::Tape<P> {
        (**self).tape()
    }
}

/// The tape of a loop over the entries of `v` (see [`Iterable`]).
#[inline(always)]
pub fn tape_for<P, I: Iterable + ?Sized>(v: &I) -> I::Tape<P> {
    v.tape()
}

/// The per-iteration pullbacks of a loop whose trip count is known only at run
/// time (`for i in 0..n`, `while`, `loop`), on the heap: the one allocation a
/// differentiated runtime loop makes, growing as a `Vec` does.
#[cfg(feature = "alloc")]
pub struct HeapTape<P> {
    items: alloc::vec::Vec<P>,
}

#[cfg(feature = "alloc")]
impl<P> HeapTape<P> {
    /// An empty tape (no allocation until the first iteration).
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        HeapTape {
            items: alloc::vec::Vec::new(),
        }
    }

    /// Records the pullback of one iteration.
    #[inline(always)]
    pub fn push(&mut self, p: P) {
        self.items.push(p);
    }

    /// Takes the pullback of the last iteration not yet reversed.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<P> {
        self.items.pop()
    }
}

/// A matrix whose entries `m.map(|v| body)` maps: `SMatrix` and, with `alloc`,
/// `DMatrix`, `DVector` and `RowDVector`. The map helpers below are written once
/// over it; on an `SMatrix` each method is the nalgebra call the helpers made
/// before (inlined, the same code).
pub trait MapEntries: Clone {
    /// The entries' type.
    type Entry: Real;
    /// `f` applied to every entry.
    fn map_entries(&self, f: impl FnMut(Self::Entry) -> Self::Entry) -> Self;
    /// `f` applied to the entries of `self` and `other` pairwise.
    fn zip_map_entries(
        &self,
        other: &Self,
        f: impl FnMut(Self::Entry, Self::Entry) -> Self::Entry,
    ) -> Self;
    /// The entries, column by column.
    fn entry_slice(&self) -> &[Self::Entry];
    /// The entries, column by column, for updating.
    fn entry_slice_mut(&mut self) -> &mut [Self::Entry];
}

impl<T: Real, const R: usize, const C: usize> MapEntries for SMatrix<T, R, C> {
    type Entry = T;
    #[inline(always)]
    fn map_entries(&self, f: impl FnMut(T) -> T) -> Self {
        self.map(f)
    }
    #[inline(always)]
    fn zip_map_entries(&self, other: &Self, f: impl FnMut(T, T) -> T) -> Self {
        self.zip_map(other, f)
    }
    #[inline(always)]
    fn entry_slice(&self) -> &[T] {
        self.as_slice()
    }
    #[inline(always)]
    fn entry_slice_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

macro_rules! dynamic_map_entries {
    ($M:ident) => {
        #[cfg(feature = "alloc")]
        impl<T: Real> MapEntries for nalgebra::$M<T> {
            type Entry = T;
            #[inline]
            fn map_entries(&self, f: impl FnMut(T) -> T) -> Self {
                self.map(f)
            }
            #[inline]
            #[track_caller]
            fn zip_map_entries(&self, other: &Self, f: impl FnMut(T, T) -> T) -> Self {
                assert!(
                    self.shape() == other.shape(),
                    "map: the shapes {:?} and {:?} differ",
                    self.shape(),
                    other.shape()
                );
                self.zip_map(other, f)
            }
            #[inline]
            fn entry_slice(&self) -> &[T] {
                self.as_slice()
            }
            #[inline]
            fn entry_slice_mut(&mut self) -> &mut [T] {
                self.as_mut_slice()
            }
        }
    };
}
dynamic_map_entries!(DVector);
dynamic_map_entries!(DMatrix);
dynamic_map_entries!(RowDVector);

/// Returns `f`, telling rustc that it takes an entry of `like`.
#[inline(always)]
pub fn map_fn<T: Real, M: MapEntries<Entry = T>, Out, F: Fn(T) -> Out>(_like: &M, f: F) -> F {
    f
}

/// The forward value of `m.map(|v| body)` through the body's generated vjp.
#[inline(always)]
pub fn map_value<T: Real, M: MapEntries<Entry = T>, P>(m: &M, f: &impl Fn(T) -> (T, P)) -> M {
    m.map_entries(|v| f(v).0)
}

/// Pullback of `m.map(|v| body)` when the entries are differentiated: each entry's
/// cotangent comes from re-running the body's vjp at that entry (recomputation
/// instead of storing `R*C` pullbacks), and the cotangents of the variables the
/// closure captures are summed over the entries.
#[inline(always)]
pub fn map_pullback<T, M, P, Caps>(m: &M, g: &M, caps: &Caps, f: &impl Fn(T) -> (T, P)) -> (M, Caps)
where
    T: Real,
    M: MapEntries<Entry = T>,
    P: FnOnce((T,)) -> (T, Caps),
    Caps: Tangent,
{
    let mut gcaps = caps.zero_like();
    let gm = m.zip_map_entries(g, |v, gv| {
        let (gv, gc) = (f(v).1)((gv,));
        gcaps.accumulate(gc);
        gv
    });
    (gm, gcaps)
}

/// Pullback of `m.map(|v| body)` when only captured variables are differentiated.
#[inline(always)]
pub fn map_pullback_caps<T, M, P, Caps>(m: &M, g: &M, caps: &Caps, f: &impl Fn(T) -> (T, P)) -> Caps
where
    T: Real,
    M: MapEntries<Entry = T>,
    P: FnOnce((T,)) -> Caps,
    Caps: Tangent,
{
    let mut gcaps = caps.zero_like();
    for (v, gv) in m.entry_slice().iter().zip(g.entry_slice().iter()) {
        gcaps.accumulate((f(*v).1)((*gv,)));
    }
    gcaps
}

/// Returns `f`, telling rustc that it takes an entry of `like` and its tangent.
#[inline(always)]
pub fn map_jvp_fn<T: Real, M: MapEntries<Entry = T>, Out, F: Fn(T, T) -> Out>(
    _like: &M,
    f: F,
) -> F {
    f
}

/// Forward mode of `m.map(|v| body)`: the value and its tangent, entry by entry,
/// from the body's generated jvp (`f(v, dv) = (value, tangent)`).
#[inline(always)]
pub fn map_jvp<T: Real, M: MapEntries<Entry = T>>(
    m: &M,
    dm: &M,
    f: &impl Fn(T, T) -> (T, T),
) -> (M, M) {
    let mut value = m.clone();
    let mut tangent = dm.clone();
    for (v, t) in value
        .entry_slice_mut()
        .iter_mut()
        .zip(tangent.entry_slice_mut().iter_mut())
    {
        (*v, *t) = f(*v, *t);
    }
    (value, tangent)
}

/// Returns `f`, telling rustc that it takes an entry of `like` and its tangent
/// (second order: `f(v, dv) = (value, tangent, pullback of pairs)`).
#[inline(always)]
pub fn map_hvp_fn<T: Real, M: MapEntries<Entry = T>, Out, F: Fn(T, T) -> Out>(
    _like: &M,
    f: F,
) -> F {
    f
}

/// Second order: the value of `m.map(|v| body)` and its tangent along `dm`.
#[inline(always)]
pub fn map_hvp_value<T: Real, M: MapEntries<Entry = T>, P>(
    m: &M,
    dm: &M,
    f: &impl Fn(T, T) -> (T, T, P),
) -> (M, M) {
    let mut value = m.clone();
    let mut tangent = dm.clone();
    for (v, t) in value
        .entry_slice_mut()
        .iter_mut()
        .zip(tangent.entry_slice_mut().iter_mut())
    {
        let (y, dy, _) = f(*v, *t);
        (*v, *t) = (y, dy);
    }
    (value, tangent)
}

/// Second order: the pullback of `m.map(|v| body)` over cotangent pairs `(g, dg)`
/// when the entries are differentiated; like [`map_pullback`], each entry re-runs
/// the body (with its tangent) and the captured variables' pairs are summed.
#[inline(always)]
#[allow(clippy::type_complexity)]
pub fn map_pullback_hvp<T, M, P, Caps>(
    m: &M,
    dm: &M,
    g: &(M, M),
    caps: &Caps,
    f: &impl Fn(T, T) -> (T, T, P),
) -> ((M, M), Caps)
where
    T: Real,
    M: MapEntries<Entry = T>,
    P: FnOnce(((T, T),)) -> ((T, T), Caps),
    Caps: Tangent,
{
    let mut gcaps = caps.zero_like();
    let (mut gm, mut dgm) = g.clone();
    let (ms, dms) = (m.entry_slice(), dm.entry_slice());
    for (k, (gv, dgv)) in gm
        .entry_slice_mut()
        .iter_mut()
        .zip(dgm.entry_slice_mut().iter_mut())
        .enumerate()
    {
        let ((a, b), gc) = (f(ms[k], dms[k]).2)(((*gv, *dgv),));
        (*gv, *dgv) = (a, b);
        gcaps.accumulate(gc);
    }
    ((gm, dgm), gcaps)
}

/// Second order: the pullback of `m.map(|v| body)` over cotangent pairs when only
/// captured variables are differentiated.
#[inline(always)]
pub fn map_pullback_caps_hvp<T, M, P, Caps>(
    m: &M,
    dm: &M,
    g: &(M, M),
    caps: &Caps,
    f: &impl Fn(T, T) -> (T, T, P),
) -> Caps
where
    T: Real,
    M: MapEntries<Entry = T>,
    P: FnOnce(((T, T),)) -> Caps,
    Caps: Tangent,
{
    let mut gcaps = caps.zero_like();
    let (ms, dms) = (m.entry_slice(), dm.entry_slice());
    let (g0, g1) = (g.0.entry_slice(), g.1.entry_slice());
    for k in 0..ms.len() {
        gcaps.accumulate((f(ms[k], dms[k]).2)(((g0[k], g1[k]),)));
    }
    gcaps
}
