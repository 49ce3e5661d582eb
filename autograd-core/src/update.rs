//! Per-entry update rules of the optimizers, shared by the tape's
//! [`optim`](crate::optim) and the static engine's
//! [`static_optim`](crate::static_optim), written once in PyTorch's order of
//! operations (its CPU kernels fuse `add(x, alpha=a)` into one multiply-add, and
//! `lerp` picks its formula by weight), so that both reproduce PyTorch's
//! trajectories to the last bits.

use crate::adjoint::Real;

/// `a + alpha b` rounded once, as PyTorch's CPU `add(a, b, alpha=alpha)`.
#[inline(always)]
pub fn add_alpha<T: Real>(a: T, b: T, alpha: T) -> T {
    alpha.mul_add(b, a)
}

/// `a + w (b - a)`, PyTorch's `torch.lerp` (its formula for weights below 0.5, and
/// the symmetric one above).
#[inline(always)]
pub fn lerp<T: Real>(a: T, b: T, w: T) -> T {
    if w.abs() < nalgebra::convert(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (T::one() - w)
    }
}

/// SGD's hyper-parameters (PyTorch's `torch.optim.SGD`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdHyper<T> {
    /// Learning rate.
    pub lr: T,
    /// Momentum factor (0: none).
    pub momentum: T,
    /// Dampening of the momentum.
    pub dampening: T,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// L2 penalty.
    pub weight_decay: T,
    /// Ascend instead of descend.
    pub maximize: bool,
}

/// One SGD step of one entry: `p`, its gradient `g` and its momentum buffer
/// (`first`: the buffer starts from this step's direction).
#[inline(always)]
pub fn sgd_entry<T: Real>(h: &SgdHyper<T>, first: bool, p: &mut T, g: T, buf: &mut T) {
    let mut d = if h.maximize { -g } else { g };
    if h.weight_decay != T::zero() {
        d = add_alpha(d, *p, h.weight_decay);
    }
    if h.momentum != T::zero() {
        *buf = if first {
            d
        } else {
            add_alpha(*buf * h.momentum, d, T::one() - h.dampening)
        };
        d = if h.nesterov {
            add_alpha(d, *buf, h.momentum)
        } else {
            *buf
        };
    }
    *p = add_alpha(*p, d, -h.lr);
}

/// An element type a parameter is stored in; the rules compute in `f64` and
/// round the result to it.
#[cfg(feature = "std")]
pub trait Stored: Copy {
    /// The value as `f64` (exact).
    fn widen(self) -> f64;
    /// `v` rounded to this type.
    fn narrow(v: f64) -> Self;
}

#[cfg(feature = "std")]
impl Stored for f64 {
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    #[inline(always)]
    fn narrow(v: f64) -> f64 {
        v
    }
}

#[cfg(feature = "std")]
impl Stored for f32 {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn narrow(v: f64) -> f32 {
        v as f32
    }
}

/// [`sgd_entry`] over a parameter `p` stored as `P` (computed in `f64`), its
/// gradient `g` and its momentum buffer `buf` (empty without momentum).
///
/// Compiled a second time with the CPU's fused multiply-add (and AVX2), taken
/// when the CPU has them: without the `fma` target feature [`add_alpha`]'s
/// `mul_add` is a call to a software `fma` per element, with it one instruction,
/// and the loop vectorises. Both round once: the results are the same bits.
#[cfg(feature = "std")]
pub fn sgd_slice<P: Stored>(h: &SgdHyper<f64>, first: bool, p: &mut [P], g: &[P], buf: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("fma") && std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the features `sgd_slice_fma` is compiled with.
        return unsafe { sgd_slice_fma(h, first, p, g, buf) };
    }
    sgd_slice_body(h, first, p, g, buf)
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2,fma")]
fn sgd_slice_fma<P: Stored>(h: &SgdHyper<f64>, first: bool, p: &mut [P], g: &[P], buf: &mut [f64]) {
    sgd_slice_body(h, first, p, g, buf)
}

#[cfg(feature = "std")]
#[inline(always)]
fn sgd_slice_body<P: Stored>(
    h: &SgdHyper<f64>,
    first: bool,
    p: &mut [P],
    g: &[P],
    buf: &mut [f64],
) {
    assert_eq!(p.len(), g.len(), "a gradient per element");
    if h.momentum != 0.0 {
        assert_eq!(p.len(), buf.len(), "a momentum per element");
        for ((p, &g), b) in p.iter_mut().zip(g).zip(buf) {
            let mut v = p.widen();
            sgd_entry(h, first, &mut v, g.widen(), b);
            *p = P::narrow(v);
        }
    } else if h.weight_decay == 0.0 && !h.maximize {
        // `sgd_entry` without momentum, decay or maximize: `p - lr g`.
        for (p, &g) in p.iter_mut().zip(g) {
            *p = P::narrow(f64::mul_add(-h.lr, g.widen(), p.widen()));
        }
    } else {
        for (p, &g) in p.iter_mut().zip(g) {
            let mut v = p.widen();
            sgd_entry(h, first, &mut v, g.widen(), &mut 0.0);
            *p = P::narrow(v);
        }
    }
}

/// Adam's hyper-parameters (PyTorch's `torch.optim.Adam`, and `AdamW` with
/// `decoupled`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamHyper<T> {
    /// Learning rate.
    pub lr: T,
    /// Decay of the first moment.
    pub beta1: T,
    /// Decay of the second moment.
    pub beta2: T,
    /// Added to the denominator.
    pub eps: T,
    /// Weight decay (L2, or decoupled as AdamW).
    pub weight_decay: T,
    /// AdamW's decoupled weight decay.
    pub decoupled: bool,
    /// The AMSGrad variant.
    pub amsgrad: bool,
    /// Ascend instead of descend.
    pub maximize: bool,
}

/// What Adam's step `t` shares across entries: `lr / (1 - beta1^t)` and
/// `sqrt(1 - beta2^t)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep<T> {
    step_size: T,
    bias_correction2_sqrt: T,
}

impl<T: Real> AdamStep<T> {
    /// The shared factors of step `t` (counted from 1).
    pub fn new(h: &AdamHyper<T>, t: T) -> Self {
        let bias_correction1 = T::one() - h.beta1.powf(t);
        let bias_correction2 = T::one() - h.beta2.powf(t);
        AdamStep {
            step_size: h.lr / bias_correction1,
            bias_correction2_sqrt: bias_correction2.sqrt(),
        }
    }
}

/// One Adam step of one entry: `p`, its gradient, its moments `m`, `v` and the
/// running maximum of `v` (AMSGrad).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn adam_entry<T: Real>(
    h: &AdamHyper<T>,
    s: &AdamStep<T>,
    p: &mut T,
    g: T,
    m: &mut T,
    v: &mut T,
    vmax: &mut T,
) {
    let mut d = if h.maximize { -g } else { g };
    if h.weight_decay != T::zero() {
        if h.decoupled {
            *p *= T::one() - h.lr * h.weight_decay;
        } else {
            d = add_alpha(d, *p, h.weight_decay);
        }
    }
    *m = lerp(*m, d, T::one() - h.beta1);
    *v = *v * h.beta2 + (T::one() - h.beta2) * d * d;
    let second = if h.amsgrad {
        *vmax = vmax.max(*v);
        *vmax
    } else {
        *v
    };
    let denom = second.sqrt() / s.bias_correction2_sqrt + h.eps;
    *p += -s.step_size * *m / denom;
}
