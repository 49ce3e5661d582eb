//! Element types and the untyped storage a tensor's buffer holds.
//!
//! Kernels are generic over [`Element`] and compute each element in `f64` before
//! rounding back to the storage type: for `+ - * / sqrt` this gives exactly the
//! result of native `f32` arithmetic (double rounding through a 53-bit mantissa is
//! innocuous for 24-bit operands), and for transcendental functions it is at least
//! as accurate.

use super::recycle;
use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// The element type of a tensor (PyTorch's `torch.float32` / `torch.float64`).
///
/// `DType::default()` is `F32`, the type's own default; the dtype constructors
/// create is [`get_default_dtype`], which [`set_default_dtype`] changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float, the default (`torch.float32`).
    #[default]
    F32,
    /// 64-bit IEEE float (`torch.float64`).
    F64,
}

impl DType {
    /// PyTorch's name of the type: `"float32"` or `"float64"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The type both operands of a binary op are computed in (PyTorch's type
    /// promotion: `f32` with `f64` gives `f64`).
    pub fn promote(self, other: DType) -> DType {
        if self == DType::F64 || other == DType::F64 {
            DType::F64
        } else {
            DType::F32
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The process-wide default dtype, as a `DType` discriminant (0: `F32`).
static DEFAULT_DTYPE: AtomicU8 = AtomicU8::new(0);

/// Sets the dtype that constructors without a dtype argument create
/// (`Tensor::zeros`, `ones`, `rand`, `randn`, `arange`, `eye`) and so the
/// parameters of `nn` modules (PyTorch's `torch.set_default_dtype`). `F32` at
/// start.
///
/// The setting is global to the process, as PyTorch's is: threads share it, so
/// set it once at start-up rather than around a block. Constructors that are
/// given their data keep its element type (`Tensor::from_vec` of `f64`s is
/// `F64` whatever the default), and printing names a dtype only when it differs
/// from the default, as PyTorch does.
///
/// ```
/// # use autograd_core::*;
/// assert_eq!(get_default_dtype(), DType::F32);
/// set_default_dtype(DType::F64);
/// assert_eq!(Tensor::zeros(&[2]).dtype(), DType::F64);
/// assert_eq!(format!("{}", Tensor::ones(&[2])), "tensor([1., 1.])");
/// assert_eq!(
///     format!("{}", Tensor::ones(&[2]).to_dtype(DType::F32)),
///     "tensor([1., 1.], dtype=torch.float32)"
/// );
/// set_default_dtype(DType::F32);
/// ```
pub fn set_default_dtype(dtype: DType) {
    let v = match dtype {
        DType::F32 => 0,
        DType::F64 => 1,
    };
    DEFAULT_DTYPE.store(v, Ordering::Relaxed);
}

/// The dtype set by [`set_default_dtype`] (PyTorch's
/// `torch.get_default_dtype()`): `F32` unless it was changed.
pub fn get_default_dtype() -> DType {
    match DEFAULT_DTYPE.load(Ordering::Relaxed) {
        0 => DType::F32,
        _ => DType::F64,
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A scalar type a tensor can hold: `f32` or `f64` (sealed).
pub trait Element:
    sealed::Sealed + Copy + Send + Sync + PartialOrd + fmt::Debug + Default + 'static
{
    /// The tensor dtype of this element type.
    const DTYPE: DType;
    /// Widens to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Rounds an `f64` to this type.
    fn from_f64(v: f64) -> Self;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// The elements of a [`Storage`]: a one-element tensor keeps its value inline,
/// so that it costs no allocation of its own (the buffer holding it is the only
/// one); anything longer lives in a `Vec`. Both read as a slice.
#[derive(Clone)]
pub(crate) enum Data<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Data<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            Data::One(v) => std::slice::from_ref(v),
            Data::Many(v) => v,
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Data::One(v) => std::slice::from_mut(v),
            Data::Many(v) => v,
        }
    }

    /// The elements as a growable `Vec` (moves an inline value to the heap).
    pub fn vec_mut(&mut self) -> &mut Vec<T> {
        if let Data::One(_) = self {
            let Data::One(v) = std::mem::replace(self, Data::Many(Vec::new())) else {
                unreachable!("checked above")
            };
            *self = Data::Many(vec![v]);
        }
        match self {
            Data::Many(v) => v,
            Data::One(_) => unreachable!("moved to the heap above"),
        }
    }
}

impl<T> std::ops::Deref for Data<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> std::ops::DerefMut for Data<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T> From<Vec<T>> for Data<T> {
    fn from(v: Vec<T>) -> Data<T> {
        Data::Many(v)
    }
}

impl<T: 'static> FromIterator<T> for Data<T> {
    /// Stores an iterator that reports exactly one item inline, and collects
    /// a few into a kept small vector (see [`recycle`]).
    #[inline]
    fn from_iter<I: IntoIterator<Item = T>>(it: I) -> Data<T> {
        let mut it = it.into_iter();
        if let (n @ 2.., Some(m)) = it.size_hint() {
            if n == m {
                let mut v = recycle::with_capacity(n);
                v.extend(it);
                return Data::Many(v);
            }
        }
        if it.size_hint() == (1, Some(1)) {
            if let Some(v) = it.next() {
                // A lying size hint must not lose elements.
                return match it.next() {
                    None => Data::One(v),
                    Some(w) => Data::Many([v, w].into_iter().chain(it).collect()),
                };
            }
            return Data::Many(Vec::new());
        }
        Data::Many(it.collect())
    }
}

impl<'a, T> IntoIterator for &'a Data<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: PartialEq> PartialEq for Data<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: fmt::Debug> fmt::Debug for Data<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

/// Contiguous row-major data of one dtype.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Storage {
    F32(Data<f32>),
    F64(Data<f64>),
}

/// Runs a generic expression on the typed slice inside a [`Storage`] and wraps the
/// `Vec` it returns back into a storage of the same dtype.
macro_rules! dispatch {
    ($storage:expr, |$v:ident| $body:expr) => {
        match $storage {
            $crate::tensor::dtype::Storage::F32($v) => {
                $crate::tensor::dtype::Storage::F32($crate::tensor::dtype::Data::from($body))
            }
            $crate::tensor::dtype::Storage::F64($v) => {
                $crate::tensor::dtype::Storage::F64($crate::tensor::dtype::Data::from($body))
            }
        }
    };
}
pub(crate) use dispatch;

impl Storage {
    /// Wraps a typed vector without copying.
    pub fn from_vec<T: Element>(v: Vec<T>) -> Storage {
        let mut slot = Some(v);
        let any: &mut dyn Any = &mut slot;
        if let Some(s) = any.downcast_mut::<Option<Vec<f32>>>() {
            return Storage::F32(Data::from(s.take().unwrap_or_default()));
        }
        if let Some(s) = any.downcast_mut::<Option<Vec<f64>>>() {
            return Storage::F64(Data::from(s.take().unwrap_or_default()));
        }
        unreachable!("Element is sealed to f32 and f64")
    }

    pub fn from_f64_iter(it: impl Iterator<Item = f64>, dtype: DType) -> Storage {
        let n = it.size_hint().0;
        if n > 1 && it.size_hint().1 == Some(n) {
            // A known, long length: into a recycled vector when there is one.
            return match dtype {
                DType::F32 => {
                    let mut v = recycle::with_capacity(n);
                    v.extend(it.map(|v| v as f32));
                    Storage::F32(Data::Many(v))
                }
                DType::F64 => {
                    let mut v = recycle::with_capacity(n);
                    v.extend(it);
                    Storage::F64(Data::Many(v))
                }
            };
        }
        match dtype {
            DType::F32 => Storage::F32(it.map(|v| v as f32).collect()),
            DType::F64 => Storage::F64(it.collect()),
        }
    }

    /// Frees the storage, keeping a large vector for the next kernel output
    /// (see [`recycle`]).
    pub fn recycle(self) {
        match self {
            Storage::F32(Data::Many(v)) => recycle::give(v),
            Storage::F64(Data::Many(v)) => recycle::give(v),
            Storage::F32(Data::One(_)) | Storage::F64(Data::One(_)) => {}
        }
    }

    pub fn full(n: usize, value: f64, dtype: DType) -> Storage {
        match dtype {
            DType::F32 => Storage::F32(std::iter::repeat_n(value as f32, n).collect()),
            DType::F64 => Storage::F64(std::iter::repeat_n(value, n).collect()),
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::F32,
            Storage::F64(_) => DType::F64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Storage::F32(v) => v.len(),
            Storage::F64(v) => v.len(),
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Storage::F32(v) => v[i] as f64,
            Storage::F64(v) => v[i],
        }
    }

    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        match self {
            Storage::F32(v) => v.iter().map(|&x| T::from_f64(x as f64)).collect(),
            Storage::F64(v) => v.iter().map(|&x| T::from_f64(x)).collect(),
        }
    }

    pub fn to_dtype(&self, dtype: DType) -> Storage {
        match dtype {
            DType::F32 => match self {
                Storage::F32(v) => Storage::F32(v.clone()),
                Storage::F64(v) => Storage::F32(v.iter().map(|&x| x as f32).collect()),
            },
            DType::F64 => match self {
                Storage::F32(v) => Storage::F64(v.iter().map(|&x| x as f64).collect()),
                Storage::F64(v) => Storage::F64(v.clone()),
            },
        }
    }

    /// Element-wise map computed in `f64`, on the kernel pool if large.
    pub fn map(&self, f: impl Fn(f64) -> f64 + Sync) -> Storage {
        use crate::tensor::kernels::elementwise::map_slice;
        match self {
            Storage::F32(v) => Storage::F32(map_slice(v, |&x| f32::from_f64(f(x.to_f64())))),
            Storage::F64(v) => Storage::F64(map_slice(v, |&x| f(x))),
        }
    }
}
