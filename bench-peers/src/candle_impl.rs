//! candle (candle-core on the CPU, no candle-nn): each workload written with
//! `Var` parameters and candle's tensor ops; cross-entropy as log-softmax and
//! `gather`; SGD as `var.set(var - lr * grad)`.

use crate::data::{self, Array, LossGrad, LR};
use crate::Case;
use candle_core::{DType, Device, Result, Tensor, Var};

const LIB: &str = "candle";

fn var64(a: &Array, shape: &[usize]) -> Var {
    Var::from_tensor(&Tensor::from_vec(a.data.clone(), shape, &Device::Cpu).unwrap()).unwrap()
}

fn var32(a: &Array) -> Var {
    Var::from_tensor(&Tensor::from_vec(a.as_f32(), a.shape.as_slice(), &Device::Cpu).unwrap()).unwrap()
}

fn to_f64(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap()
}

fn grads_of(loss: &Tensor, vars: &[&Var]) -> LossGrad {
    let g = loss.backward().unwrap();
    LossGrad {
        loss: loss.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap(),
        grads: vars.iter().map(|v| to_f64(g.get(v.as_tensor()).expect("no gradient"))).collect(),
    }
}

/// A loss and the parameters it is differentiated by.
struct Model {
    vars: Vec<Var>,
    loss: Box<dyn Fn(&[Var]) -> Result<Tensor>>,
}

impl Model {
    fn grads(&self) -> LossGrad {
        let loss = (self.loss)(&self.vars).unwrap();
        grads_of(&loss, &self.vars.iter().collect::<Vec<_>>())
    }
    /// Loss and gradient (W1-W3).
    fn gradient(&self) {
        let loss = (self.loss)(&self.vars).unwrap();
        std::hint::black_box(loss.backward().unwrap());
    }
    /// Forward, backward and the SGD update (W4-W5).
    fn sgd_step(&self) {
        let loss = (self.loss)(&self.vars).unwrap();
        let g = loss.backward().unwrap();
        for v in &self.vars {
            let d = g.get(v.as_tensor()).unwrap();
            v.set(&v.as_tensor().sub(&d.affine(LR, 0.0).unwrap()).unwrap()).unwrap();
        }
    }
}

fn w1() -> Model {
    let d = data::w1();
    let t_u = Tensor::from_vec(d.t_u.to_vec(), 11, &Device::Cpu).unwrap();
    let t_c = Tensor::from_vec(d.t_c.to_vec(), 11, &Device::Cpu).unwrap();
    let vars = vec![
        var64(&Array::new("w", &[], vec![d.w]), &[]),
        var64(&Array::new("b", &[], vec![d.b]), &[]),
    ];
    Model {
        vars,
        loss: Box::new(move |v| t_u.broadcast_mul(&v[0])?.broadcast_add(&v[1])?.sub(&t_c)?.sqr()?.mean_all()),
    }
}

fn w2() -> Model {
    let d = data::w2();
    let vars = vec![
        var64(&Array::new("w", &[], vec![d.w]), &[]),
        var64(&Array::new("b", &[], vec![d.b]), &[]),
    ];
    Model {
        vars,
        // (y - p)^2 written as (p - y)^2.
        loss: Box::new(move |v| v[0].affine(d.x, 0.0)?.add(&v[1])?.tanh()?.affine(1.0, -d.y)?.sqr()),
    }
}

fn w3() -> Model {
    let d = data::w3();
    let p = &d.params;
    let x = Tensor::from_vec(d.x.to_vec(), (4, 1), &Device::Cpu).unwrap();
    let y = d.y;
    let vars = vec![
        var64(&p[0], &[16, 4]),
        var64(&p[1], &[16, 1]),
        var64(&p[2], &[16, 16]),
        var64(&p[3], &[16, 1]),
        var64(&p[4], &[1, 16]),
        var64(&p[5], &[1, 1]),
    ];
    Model {
        vars,
        loss: Box::new(move |v| {
            let h1 = v[0].matmul(&x)?.add(&v[1])?.tanh()?;
            let h2 = v[2].matmul(&h1)?.add(&v[3])?.tanh()?;
            v[4].matmul(&h2)?.add(&v[5])?.affine(1.0, -y)?.sqr()?.sum_all()
        }),
    }
}

fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.matmul(&w.t()?)?.broadcast_add(b)
}

/// Mean cross-entropy of `logits` (n, c) and `labels` (n, 1) u32.
fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let m = logits.max_keepdim(1)?.detach();
    let shifted = logits.broadcast_sub(&m)?;
    let lse = shifted.exp()?.sum_keepdim(1)?.log()?;
    shifted.broadcast_sub(&lse)?.gather(labels, 1)?.mean_all()?.neg()
}

/// 2x2 max-pooling (floor mode) as a reshape and two `max` reductions.
///
/// candle's own `max_pool2d` has a wrong gradient in candle-core 0.11.1: its
/// backward (src/backprop.rs) multiplies the upstream gradient by the fraction of
/// maxima in each window (1/4 for a unique maximum) instead of dividing by their
/// count, and maps it back with `upsample_nearest2d`, which misaligns the windows
/// when a side is odd (LeNet's 13x13 maps). W5's check refuses it (case
/// "step (max_pool2d)"). `max`'s backward routes the gradient to the maximum;
/// ties (all-zero windows after ReLU) also reach entries whose ReLU gradient is 0.
fn max_pool2(y: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = y.dims4()?;
    let (h2, w2) = (h / 2, w / 2);
    y.narrow(2, 0, 2 * h2)?
        .narrow(3, 0, 2 * w2)?
        .contiguous()?
        .reshape((n, c, h2, 2, w2, 2))?
        .max(5)?
        .max(3)
}

fn labels(l: &[usize]) -> Tensor {
    Tensor::from_vec(l.iter().map(|&c| c as u32).collect::<Vec<_>>(), (l.len(), 1), &Device::Cpu).unwrap()
}

fn w4() -> Model {
    let d = data::w4();
    let x = Tensor::from_vec(d.x, (data::W4_BATCH, 784), &Device::Cpu).unwrap();
    let y = labels(&d.labels);
    Model {
        vars: d.params.iter().map(var32).collect(),
        loss: Box::new(move |v| {
            let h = linear(&x, &v[0], &v[1])?.relu()?;
            cross_entropy(&linear(&h, &v[2], &v[3])?, &y)
        }),
    }
}

fn w5() -> Model {
    w5_with(max_pool2)
}

/// W5 with candle's built-in `max_pool2d` (refused by the check, see [`max_pool2`]).
fn w5_builtin_pool() -> Model {
    w5_with(|y| y.max_pool2d(2))
}

fn w5_with(pool: fn(&Tensor) -> Result<Tensor>) -> Model {
    let d = data::w5();
    let x = Tensor::from_vec(d.x, (data::W5_BATCH, 1, data::W5_SIDE, data::W5_SIDE), &Device::Cpu).unwrap();
    let y = labels(&d.labels);
    Model {
        vars: d.params.iter().map(var32).collect(),
        loss: Box::new(move |v| {
            let conv = |x: &Tensor, w: &Var, b: &Var| -> Result<Tensor> {
                let c = b.dims()[0];
                let y = x.conv2d(w, 0, 1, 1, 1)?.broadcast_add(&b.reshape((1, c, 1, 1))?)?.relu()?;
                pool(&y)
            };
            let h = conv(&x, &v[0], &v[1])?;
            let h = conv(&h, &v[2], &v[3])?.flatten_from(1)?;
            let h = linear(&h, &v[4], &v[5])?.relu()?;
            let h = linear(&h, &v[6], &v[7])?.relu()?;
            cross_entropy(&linear(&h, &v[8], &v[9])?, &y)
        }),
    }
}

pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (w, make) in [("W1", w1 as fn() -> Model), ("W2", w2), ("W3", w3)] {
        let m = make();
        out.push(Case::new(w, LIB, "backward", Box::new(move || make().grads()), Box::new(move || m.gradient())));
    }
    for (w, variant, make) in [
        ("W4", "step", w4 as fn() -> Model),
        ("W5", "step (pool: reshape+max)", w5),
        ("W5", "step (max_pool2d)", w5_builtin_pool),
    ] {
        let m = make();
        out.push(Case::new(w, LIB, variant, Box::new(move || make().grads()), Box::new(move || m.sgd_step())));
    }
    out
}
