//! dfdx 0.13 (CPU): W1-W3 with traced tensors of static shapes, W4 with its
//! `Linear`/`ReLU` modules, `cross_entropy_with_logits_loss` and `Sgd`. No W5:
//! dfdx 0.13's `Conv2D` needs its `nightly` feature (nightly Rust).

use crate::data::{self, Array, LossGrad, LR};
use crate::Case;
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::nn::builders::{Linear, ReLU};
use dfdx::nn::{BuildOnDevice, ModuleMut, ZeroGrads};
use dfdx::optim::{Optimizer, Sgd, SgdConfig};
use dfdx::prelude::*;

const LIB: &str = "dfdx";

fn dev() -> Cpu {
    Cpu::default()
}

fn w1() -> (LossGrad, impl FnMut()) {
    let dev = dev();
    let d = data::w1();
    let w: Tensor<Rank0, f64, Cpu> = dev.tensor(d.w);
    let b: Tensor<Rank0, f64, Cpu> = dev.tensor(d.b);
    let t_u: Tensor<Rank1<11>, f64, Cpu> = dev.tensor(d.t_u);
    let t_c: Tensor<Rank1<11>, f64, Cpu> = dev.tensor(d.t_c);
    let f = move || {
        let (wt, bt) = (w.leaky_trace(), b.leaky_trace());
        let loss = (wt.broadcast::<Rank1<11>, _>() * t_u.clone() + bt.broadcast() - t_c.clone()).square().mean();
        let l = loss.array();
        let g = loss.backward();
        LossGrad { loss: l, grads: vec![vec![g.get(&w).array()], vec![g.get(&b).array()]] }
    };
    (f(), move || {
        std::hint::black_box(f());
    })
}

fn w2() -> (LossGrad, impl FnMut()) {
    let dev = dev();
    let d = data::w2();
    let w: Tensor<Rank0, f64, Cpu> = dev.tensor(d.w);
    let b: Tensor<Rank0, f64, Cpu> = dev.tensor(d.b);
    let f = move || {
        let (wt, bt) = (w.leaky_trace(), b.leaky_trace());
        let loss = ((wt * d.x + bt).tanh() - d.y).square();
        let l = loss.array();
        let g = loss.backward();
        LossGrad { loss: l, grads: vec![vec![g.get(&w).array()], vec![g.get(&b).array()]] }
    };
    (f(), move || {
        std::hint::black_box(f());
    })
}

fn w3() -> (LossGrad, impl FnMut()) {
    let dev = dev();
    let d = data::w3();
    let p = &d.params;
    let mut w1: Tensor<Rank2<16, 4>, f64, Cpu> = dev.zeros();
    let mut b1: Tensor<Rank2<16, 1>, f64, Cpu> = dev.zeros();
    let mut w2: Tensor<Rank2<16, 16>, f64, Cpu> = dev.zeros();
    let mut b2: Tensor<Rank2<16, 1>, f64, Cpu> = dev.zeros();
    let mut w3: Tensor<Rank2<1, 16>, f64, Cpu> = dev.zeros();
    let mut b3: Tensor<Rank2<1, 1>, f64, Cpu> = dev.zeros();
    w1.copy_from(&p[0].data);
    b1.copy_from(&p[1].data);
    w2.copy_from(&p[2].data);
    b2.copy_from(&p[3].data);
    w3.copy_from(&p[4].data);
    b3.copy_from(&p[5].data);
    let mut x: Tensor<Rank2<4, 1>, f64, Cpu> = dev.zeros();
    x.copy_from(&d.x);
    let y = d.y;
    let f = move || {
        let h1 = (w1.leaky_trace().matmul(x.clone()) + b1.leaky_trace()).tanh();
        let h2 = (w2.leaky_trace().matmul(h1) + b2.leaky_trace()).tanh();
        let loss = ((w3.leaky_trace().matmul(h2) + b3.leaky_trace()) - y).square().sum::<Rank0, _>();
        let l = loss.array();
        let g = loss.backward();
        LossGrad {
            loss: l,
            grads: vec![
                g.get(&w1).as_vec(),
                g.get(&b1).as_vec(),
                g.get(&w2).as_vec(),
                g.get(&b2).as_vec(),
                g.get(&w3).as_vec(),
                g.get(&b3).as_vec(),
            ],
        }
    };
    (f(), move || {
        std::hint::black_box(f());
    })
}

type Mlp = ((Linear<784, 128>, ReLU), Linear<128, 10>);
type MlpOn = <Mlp as BuildOnDevice<Cpu, f32>>::Built;

struct W4 {
    model: MlpOn,
    x: Tensor<Rank2<64, 784>, f32, Cpu>,
    onehot: Tensor<Rank2<64, 10>, f32, Cpu>,
}

fn f32s(a: &Array) -> Vec<f32> {
    a.as_f32()
}

fn w4() -> W4 {
    let dev = dev();
    let d = data::w4();
    let p = &d.params;
    let mut model = dev.build_module::<Mlp, f32>();
    model.0 .0.weight.copy_from(&f32s(&p[0]));
    model.0 .0.bias.copy_from(&f32s(&p[1]));
    model.1.weight.copy_from(&f32s(&p[2]));
    model.1.bias.copy_from(&f32s(&p[3]));
    let mut x: Tensor<Rank2<64, 784>, f32, Cpu> = dev.zeros();
    x.copy_from(&d.x);
    let mut oh = vec![0.0f32; 64 * 10];
    for (i, &c) in d.labels.iter().enumerate() {
        oh[i * 10 + c] = 1.0;
    }
    let mut onehot: Tensor<Rank2<64, 10>, f32, Cpu> = dev.zeros();
    onehot.copy_from(&oh);
    W4 { model, x, onehot }
}

fn w4_grads() -> LossGrad {
    let mut w = w4();
    let grads = w.model.alloc_grads();
    let loss = cross_entropy_with_logits_loss(w.model.forward_mut(w.x.trace(grads)), w.onehot.clone());
    let l = loss.array() as f64;
    let g = loss.backward();
    let v = |t: Vec<f32>| t.into_iter().map(|x| x as f64).collect::<Vec<_>>();
    let m = &w.model;
    LossGrad {
        loss: l,
        grads: vec![
            v(g.get(&m.0 .0.weight).as_vec()),
            v(g.get(&m.0 .0.bias).as_vec()),
            v(g.get(&m.1.weight).as_vec()),
            v(g.get(&m.1.bias).as_vec()),
        ],
    }
}

pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let (_, mut r1) = w1();
    out.push(Case::new("W1", LIB, "backward", Box::new(|| w1().0), Box::new(move || r1())));
    let (_, mut r2) = w2();
    out.push(Case::new("W2", LIB, "backward", Box::new(|| w2().0), Box::new(move || r2())));
    let (_, mut r3) = w3();
    out.push(Case::new("W3", LIB, "backward", Box::new(|| w3().0), Box::new(move || r3())));
    let mut s = w4();
    let mut grads = Some(s.model.alloc_grads());
    let mut sgd = Sgd::new(&s.model, SgdConfig { lr: LR, momentum: None, weight_decay: None });
    out.push(Case::new("W4", LIB, "module+Sgd", Box::new(w4_grads), Box::new(move || {
        let mut g = grads.take().unwrap();
        s.model.zero_grads(&mut g);
        let loss = cross_entropy_with_logits_loss(s.model.forward_mut(s.x.trace(g)), s.onehot.clone());
        let g = loss.backward();
        sgd.update(&mut s.model, &g).unwrap();
        grads = Some(g);
    })));
    out
}
