//! burn with the NdArray backend under autodiff (`Device::ndarray().autodiff()`).
//! W1-W3: tensors that require grad, W4-W5: `burn::nn` modules (weights set to
//! ours), `CrossEntropyLoss` and the `Sgd` optimizer.

use crate::data::{self, Array, LossGrad, LR};
use crate::Case;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Int, Tensor, TensorData};

const LIB: &str = "burn-ndarray";

#[allow(deprecated)] // burn 0.22 deprecates the NdArray backend in favour of Flex.
fn device() -> Device {
    Device::ndarray().autodiff()
}

fn to_f64<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().convert::<f64>().try_to_vec::<f64>().unwrap()
}

fn t64<const D: usize>(v: &[f64], shape: [usize; D], dev: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), (dev, DType::F64))
}

fn t32<const D: usize>(a: &Array, dev: &Device) -> Tensor<D> {
    let shape: [usize; D] = a.shape.clone().try_into().unwrap();
    Tensor::from_data(TensorData::new(a.as_f32(), shape), (dev, DType::F32))
}

/// W1-W3: parameters that require grad and a loss over them.
struct Functional<const D: usize> {
    params: Vec<Tensor<D>>,
    loss: Box<dyn Fn(&[Tensor<D>]) -> Tensor<1>>,
}

impl<const D: usize> Functional<D> {
    fn grads(&self) -> LossGrad {
        let loss = (self.loss)(&self.params);
        let g = loss.backward();
        LossGrad {
            loss: to_f64(loss)[0],
            grads: self.params.iter().map(|p| to_f64(p.grad(&g).expect("no gradient"))).collect(),
        }
    }
    fn gradient(&self) {
        let loss = (self.loss)(&self.params);
        let g = loss.backward();
        for p in &self.params {
            std::hint::black_box(p.grad(&g));
        }
    }
}

fn scalar_params(vals: &[f64], dev: &Device) -> Vec<Tensor<1>> {
    vals.iter().map(|&v| t64(&[v], [1], dev).require_grad()).collect()
}

fn w1() -> Functional<1> {
    let dev = device();
    let d = data::w1();
    let t_u = t64(&d.t_u, [11], &dev);
    let t_c = t64(&d.t_c, [11], &dev);
    Functional {
        params: scalar_params(&[d.w, d.b], &dev),
        loss: Box::new(move |p| {
            (t_u.clone() * p[0].clone() + p[1].clone() - t_c.clone()).powi_scalar(2).mean()
        }),
    }
}

fn w2() -> Functional<1> {
    let dev = device();
    let d = data::w2();
    Functional {
        params: scalar_params(&[d.w, d.b], &dev),
        loss: Box::new(move |p| (p[0].clone().mul_scalar(d.x) + p[1].clone()).tanh().sub_scalar(d.y).powi_scalar(2)),
    }
}

fn w3() -> Functional<2> {
    let dev = device();
    let d = data::w3();
    let shapes = [[16, 4], [16, 1], [16, 16], [16, 1], [1, 16], [1, 1]];
    let params = d.params.iter().zip(shapes).map(|(a, s)| t64(&a.data, s, &dev).require_grad()).collect();
    let x = t64(&d.x, [4, 1], &dev);
    let y = d.y;
    Functional {
        params,
        loss: Box::new(move |p| {
            let h1 = (p[0].clone().matmul(x.clone()) + p[1].clone()).tanh();
            let h2 = (p[2].clone().matmul(h1) + p[3].clone()).tanh();
            (p[4].clone().matmul(h2) + p[5].clone()).sub_scalar(y).powi_scalar(2).sum()
        }),
    }
}

/// `nn.Linear` with our weights (burn stores the weight as `(in, out)`).
fn linear(w: &Array, b: &Array, dev: &Device) -> Linear {
    let mut l = LinearConfig::new(w.shape[1], w.shape[0]).init(dev);
    l.weight = Param::from_tensor(t32::<2>(w, dev).transpose());
    l.bias = Some(Param::from_tensor(t32::<1>(b, dev)));
    l
}

fn linear_grads(l: &Linear, g: &burn::tensor::Gradients) -> [Vec<f64>; 2] {
    [
        to_f64(l.weight.val().grad(g).unwrap().transpose()),
        to_f64(l.bias.as_ref().unwrap().val().grad(g).unwrap()),
    ]
}

fn conv(w: &Array, b: &Array, dev: &Device) -> Conv2d {
    let mut c = Conv2dConfig::new([w.shape[1], w.shape[0]], [w.shape[2], w.shape[3]]).init(dev);
    c.weight = Param::from_tensor(t32::<4>(w, dev));
    c.bias = Some(Param::from_tensor(t32::<1>(b, dev)));
    c
}

fn conv_grads(c: &Conv2d, g: &burn::tensor::Gradients) -> [Vec<f64>; 2] {
    [
        to_f64(c.weight.val().grad(g).unwrap()),
        to_f64(c.bias.as_ref().unwrap().val().grad(g).unwrap()),
    ]
}

fn labels(l: &[usize], dev: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(l.iter().map(|&c| c as i64).collect::<Vec<_>>(), [l.len()]), dev)
}

#[derive(Module, Debug)]
struct Mlp {
    fc1: Linear,
    fc2: Linear,
}

impl Mlp {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(relu(self.fc1.forward(x)))
    }
}

#[derive(Module, Debug)]
struct LeNet {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl LeNet {
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.conv1.forward(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = relu(self.fc1.forward(x));
        let x = relu(self.fc2.forward(x));
        self.fc3.forward(x)
    }
}

struct W4 {
    model: Mlp,
    x: Tensor<2>,
    y: Tensor<1, Int>,
    ce: CrossEntropyLoss,
}

fn w4() -> W4 {
    let dev = device();
    let d = data::w4();
    let p = &d.params;
    W4 {
        model: Mlp { fc1: linear(&p[0], &p[1], &dev), fc2: linear(&p[2], &p[3], &dev) },
        x: Tensor::from_data(TensorData::new(d.x, [data::W4_BATCH, 784]), (&dev, DType::F32)),
        y: labels(&d.labels, &dev),
        ce: CrossEntropyLossConfig::new().init(&dev),
    }
}

fn w4_grads() -> LossGrad {
    let w = w4();
    let loss = w.ce.forward(w.model.forward(w.x.clone()), w.y.clone());
    let g = loss.backward();
    let mut grads = Vec::new();
    grads.extend(linear_grads(&w.model.fc1, &g));
    grads.extend(linear_grads(&w.model.fc2, &g));
    LossGrad { loss: to_f64(loss)[0], grads }
}

struct W5 {
    model: LeNet,
    x: Tensor<4>,
    y: Tensor<1, Int>,
    ce: CrossEntropyLoss,
}

fn w5() -> W5 {
    let dev = device();
    let d = data::w5();
    let p = &d.params;
    W5 {
        model: LeNet {
            conv1: conv(&p[0], &p[1], &dev),
            conv2: conv(&p[2], &p[3], &dev),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: linear(&p[4], &p[5], &dev),
            fc2: linear(&p[6], &p[7], &dev),
            fc3: linear(&p[8], &p[9], &dev),
        },
        x: Tensor::from_data(
            TensorData::new(d.x, [data::W5_BATCH, 1, data::W5_SIDE, data::W5_SIDE]),
            (&dev, DType::F32),
        ),
        y: labels(&d.labels, &dev),
        ce: CrossEntropyLossConfig::new().init(&dev),
    }
}

fn w5_grads() -> LossGrad {
    let w = w5();
    let loss = w.ce.forward(w.model.forward(w.x.clone()), w.y.clone());
    let g = loss.backward();
    let m = &w.model;
    let mut grads = Vec::new();
    grads.extend(conv_grads(&m.conv1, &g));
    grads.extend(conv_grads(&m.conv2, &g));
    for l in [&m.fc1, &m.fc2, &m.fc3] {
        grads.extend(linear_grads(l, &g));
    }
    LossGrad { loss: to_f64(loss)[0], grads }
}

pub fn cases() -> Vec<Case> {
    let (f1, f2, f3) = (w1(), w2(), w3());
    let mut s4 = Some(w4());
    let mut opt4 = SgdConfig::new().init();
    let mut s5 = Some(w5());
    let mut opt5 = SgdConfig::new().init();
    vec![
        Case::new("W1", LIB, "backward", Box::new(|| w1().grads()), Box::new(move || f1.gradient())),
        Case::new("W2", LIB, "backward", Box::new(|| w2().grads()), Box::new(move || f2.gradient())),
        Case::new("W3", LIB, "backward", Box::new(|| w3().grads()), Box::new(move || f3.gradient())),
        Case::new("W4", LIB, "module+Sgd", Box::new(w4_grads), Box::new(move || {
            let mut w = s4.take().unwrap();
            let loss = w.ce.forward(w.model.forward(w.x.clone()), w.y.clone());
            let g = GradientsParams::from_grads(loss.backward(), &w.model);
            w.model = opt4.step(LR, w.model, g);
            s4 = Some(w);
        })),
        Case::new("W5", LIB, "module+Sgd", Box::new(w5_grads), Box::new(move || {
            let mut w = s5.take().unwrap();
            let loss = w.ce.forward(w.model.forward(w.x.clone()), w.y.clone());
            let g = GradientsParams::from_grads(loss.backward(), &w.model);
            w.model = opt5.step(LR, w.model, g);
            s5 = Some(w);
        })),
    ]
}
