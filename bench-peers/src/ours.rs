//! autograd: the static engine (`grad`), the tape, and `apply` (a static function
//! as one node of the tape).

use crate::data::{self, Array, LossGrad, LR};
use crate::workloads::{mlp_loss, neuron, thermometer_loss};
use crate::Case;
use autograd::nalgebra::SVector;
use autograd::nn::functional as F;
use autograd::prelude::*;

const LIB: &str = "autograd";

fn grads_of(loss: &Tensor, params: &[&Tensor]) -> LossGrad {
    LossGrad {
        loss: loss.item(),
        grads: params
            .iter()
            .map(|p| p.grad().expect("a parameter without gradient").to_vec::<f64>())
            .collect(),
    }
}

fn leaf64(a: &Array, shape: &[usize]) -> Tensor {
    Tensor::from_vec(a.data.clone(), shape).requires_grad_(true)
}

fn leaf32(a: &Array) -> Tensor {
    Tensor::from_vec(a.as_f32(), &a.shape).requires_grad_(true)
}

fn labels(l: &[usize]) -> Tensor {
    Tensor::from_vec(l.iter().map(|&c| c as f32).collect::<Vec<f32>>(), &[l.len()])
}

// ---------------------------------------------------------------- W1

fn w1_tape_loss(w: &Tensor, b: &Tensor, t_u: &Tensor, t_c: &Tensor) -> Tensor {
    (t_u * w + b - t_c).pow(2.0).mean()
}

pub fn w1_static() -> LossGrad {
    let d = data::w1();
    let (loss, g) = thermometer_loss::grad(d.w, d.b, &SVector::from(d.t_u), &SVector::from(d.t_c));
    LossGrad { loss, grads: vec![vec![g.w], vec![g.b]] }
}

fn w1_cases(out: &mut Vec<Case>) {
    let d = data::w1();
    let (t_u, t_c) = (SVector::from(d.t_u), SVector::from(d.t_c));
    out.push(Case::new("W1", LIB, "static grad", Box::new(w1_static), {
        Box::new(move || {
            std::hint::black_box(thermometer_loss::grad(
                std::hint::black_box(d.w),
                std::hint::black_box(d.b),
                std::hint::black_box(&t_u),
                std::hint::black_box(&t_c),
            ));
        })
    }));
    let tape = |apply: bool| {
        let d = data::w1();
        let w = Tensor::scalar(d.w).requires_grad_(true);
        let b = Tensor::scalar(d.b).requires_grad_(true);
        let t_u = Tensor::from_vec(d.t_u.to_vec(), &[11]);
        let t_c = Tensor::from_vec(d.t_c.to_vec(), &[11]);
        move || {
            let loss = if apply {
                thermometer_loss::apply(&w, &b, &t_u, &t_c)
            } else {
                w1_tape_loss(&w, &b, &t_u, &t_c)
            };
            loss.backward().unwrap();
            let g = grads_of(&loss, &[&w, &b]);
            w.zero_grad();
            b.zero_grad();
            g
        }
    };
    for (variant, apply) in [("tape", false), ("apply", true)] {
        let run = tape(apply);
        out.push(Case::new("W1", LIB, variant, Box::new(tape(apply)), Box::new(move || {
            run();
        })));
    }
}

// ---------------------------------------------------------------- W2

pub fn w2_static() -> LossGrad {
    let d = data::w2();
    let (loss, g) = neuron::grad(d.w, d.b, d.x, d.y);
    LossGrad { loss, grads: vec![vec![g.w], vec![g.b]] }
}

fn w2_cases(out: &mut Vec<Case>) {
    let d = data::w2();
    out.push(Case::new("W2", LIB, "static grad", Box::new(w2_static), Box::new(move || {
        std::hint::black_box(neuron::grad(
            std::hint::black_box(d.w),
            std::hint::black_box(d.b),
            std::hint::black_box(d.x),
            std::hint::black_box(d.y),
        ));
    })));
    let tape = |apply: bool| {
        let d = data::w2();
        let w = Tensor::scalar(d.w).requires_grad_(true);
        let b = Tensor::scalar(d.b).requires_grad_(true);
        let (x, y) = (Tensor::scalar(d.x), Tensor::scalar(d.y));
        move || {
            let loss = if apply {
                neuron::apply(&w, &b, &x, &y)
            } else {
                (&y - (&w * &x + &b).tanh()).pow(2.0)
            };
            loss.backward().unwrap();
            let g = grads_of(&loss, &[&w, &b]);
            w.zero_grad();
            b.zero_grad();
            g
        }
    };
    for (variant, apply) in [("tape", false), ("apply", true)] {
        let run = tape(apply);
        out.push(Case::new("W2", LIB, variant, Box::new(tape(apply)), Box::new(move || {
            run();
        })));
    }
}

// ---------------------------------------------------------------- W3

pub fn w3_static() -> LossGrad {
    let d = data::w3();
    let m = &d.m;
    let (loss, g) = mlp_loss::grad(&m.w1, &m.b1, &m.w2, &m.b2, &m.w3, m.b3, &SVector::from(d.x), d.y);
    let rows = |r: usize, c: usize, get: &dyn Fn(usize, usize) -> f64| {
        (0..r).flat_map(|i| (0..c).map(move |j| (i, j))).map(|(i, j)| get(i, j)).collect::<Vec<_>>()
    };
    LossGrad {
        loss,
        grads: vec![
            rows(16, 4, &|i, j| g.w1[(i, j)]),
            g.b1.iter().copied().collect(),
            rows(16, 16, &|i, j| g.w2[(i, j)]),
            g.b2.iter().copied().collect(),
            rows(1, 16, &|i, j| g.w3[(i, j)]),
            vec![g.b3],
        ],
    }
}

fn w3_cases(out: &mut Vec<Case>) {
    let d = data::w3();
    let (m, x, y) = (d.m, SVector::from(d.x), d.y);
    out.push(Case::new("W3", LIB, "static grad", Box::new(w3_static), Box::new(move || {
        let m = std::hint::black_box(&m);
        std::hint::black_box(mlp_loss::grad(
            &m.w1,
            &m.b1,
            &m.w2,
            &m.b2,
            &m.w3,
            m.b3,
            std::hint::black_box(&x),
            std::hint::black_box(y),
        ));
    })));
    let tape = |apply: bool| {
        let d = data::w3();
        let p = &d.params;
        // Column vectors: x (4,1), biases (16,1); apply takes them as (16).
        let (w1, w2, w3) = (leaf64(&p[0], &[16, 4]), leaf64(&p[2], &[16, 16]), leaf64(&p[4], &[1, 16]));
        let bshape: &[usize] = if apply { &[16] } else { &[16, 1] };
        let (b1, b2) = (leaf64(&p[1], bshape), leaf64(&p[3], bshape));
        let b3 = if apply { Tensor::scalar(p[5].data[0]).requires_grad_(true) } else { leaf64(&p[5], &[1, 1]) };
        let xshape: &[usize] = if apply { &[4] } else { &[4, 1] };
        let x = Tensor::from_vec(d.x.to_vec(), xshape);
        let y = Tensor::scalar(d.y);
        move || {
            let loss = if apply {
                mlp_loss::apply(&w1, &b1, &w2, &b2, &w3, &b3, &x, &y)
            } else {
                let h1 = (w1.matmul(&x) + &b1).tanh();
                let h2 = (w2.matmul(&h1) + &b2).tanh();
                let out = w3.matmul(&h2) + &b3;
                (out - &y).pow(2.0).sum()
            };
            loss.backward().unwrap();
            let g = grads_of(&loss, &[&w1, &b1, &w2, &b2, &w3, &b3]);
            for t in [&w1, &b1, &w2, &b2, &w3, &b3] {
                t.zero_grad();
            }
            g
        }
    };
    for (variant, apply) in [("tape", false), ("apply", true)] {
        let run = tape(apply);
        out.push(Case::new("W3", LIB, variant, Box::new(tape(apply)), Box::new(move || {
            run();
        })));
    }
}

// ---------------------------------------------------------------- W4

fn linear(w: &Array, b: &Array) -> nn::Linear {
    let mut l = nn::Linear::new(w.shape[1], w.shape[0]);
    l.weight = leaf32(w);
    l.bias = Some(leaf32(b));
    l
}

struct W4Net {
    fc1: nn::Linear,
    fc2: nn::Linear,
    x: Tensor,
    labels: Tensor,
}

impl W4Net {
    fn new() -> W4Net {
        let d = data::w4();
        let p = &d.params;
        W4Net {
            fc1: linear(&p[0], &p[1]),
            fc2: linear(&p[2], &p[3]),
            x: Tensor::from_vec(d.x, &[data::W4_BATCH, 784]),
            labels: labels(&d.labels),
        }
    }
    fn params(&self) -> Vec<Tensor> {
        let mut v = self.fc1.parameters();
        v.extend(self.fc2.parameters());
        v
    }
    fn loss(&self) -> Tensor {
        let h = F::relu(&self.fc1.forward(&self.x));
        F::cross_entropy(&self.fc2.forward(&h), &self.labels)
    }
}

pub fn w4_tape() -> LossGrad {
    let net = W4Net::new();
    let loss = net.loss();
    loss.backward().unwrap();
    grads_of(&loss, &net.params().iter().collect::<Vec<_>>())
}

fn w4_cases(out: &mut Vec<Case>) {
    let net = W4Net::new();
    let mut opt = autograd::optim::Sgd::new(net.params(), LR);
    out.push(Case::new("W4", LIB, "tape", Box::new(w4_tape), Box::new(move || {
        opt.zero_grad();
        let loss = net.loss();
        loss.backward().unwrap();
        opt.step();
    })));
}

// ---------------------------------------------------------------- W5

struct LeNet {
    conv1: nn::Conv2d,
    conv2: nn::Conv2d,
    fc1: nn::Linear,
    fc2: nn::Linear,
    fc3: nn::Linear,
    x: Tensor,
    labels: Tensor,
}

fn conv(w: &Array, b: &Array) -> nn::Conv2d {
    let mut c = nn::Conv2d::new(w.shape[1], w.shape[0], w.shape[2]);
    c.weight = leaf32(w);
    c.bias = Some(leaf32(b));
    c
}

impl LeNet {
    fn new() -> LeNet {
        let d = data::w5();
        let p = &d.params;
        LeNet {
            conv1: conv(&p[0], &p[1]),
            conv2: conv(&p[2], &p[3]),
            fc1: linear(&p[4], &p[5]),
            fc2: linear(&p[6], &p[7]),
            fc3: linear(&p[8], &p[9]),
            x: Tensor::from_vec(d.x, &[data::W5_BATCH, 1, data::W5_SIDE, data::W5_SIDE]),
            labels: labels(&d.labels),
        }
    }
    fn params(&self) -> Vec<Tensor> {
        let mut v = self.conv1.parameters();
        v.extend(self.conv2.parameters());
        v.extend(self.fc1.parameters());
        v.extend(self.fc2.parameters());
        v.extend(self.fc3.parameters());
        v
    }
    fn loss(&self) -> Tensor {
        let x = F::max_pool2d(&F::relu(&self.conv1.forward(&self.x)), 2);
        let x = F::max_pool2d(&F::relu(&self.conv2.forward(&x)), 2);
        let x = F::flatten(&x, 1, -1);
        let x = F::relu(&self.fc1.forward(&x));
        let x = F::relu(&self.fc2.forward(&x));
        F::cross_entropy(&self.fc3.forward(&x), &self.labels)
    }
}

pub fn w5_tape() -> LossGrad {
    let net = LeNet::new();
    let loss = net.loss();
    loss.backward().unwrap();
    grads_of(&loss, &net.params().iter().collect::<Vec<_>>())
}

fn w5_cases(out: &mut Vec<Case>) {
    let net = LeNet::new();
    let mut opt = autograd::optim::Sgd::new(net.params(), LR);
    out.push(Case::new("W5", LIB, "tape", Box::new(w5_tape), Box::new(move || {
        opt.zero_grad();
        let loss = net.loss();
        loss.backward().unwrap();
        opt.step();
    })));
}

pub fn cases(out: &mut Vec<Case>) {
    w1_cases(out);
    w2_cases(out);
    w3_cases(out);
    w4_cases(out);
    w5_cases(out);
}
