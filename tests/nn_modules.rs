//! `Module`, `#[derive(Module)]`, state dicts and safetensors checkpoints.

use autograd::nn::{self, Kind, Visit};
use autograd::prelude::*;

#[derive(Module)]
struct Net {
    conv1: nn::Conv2d,
    fc: nn::Linear,
    #[module(buffer)]
    scale: Tensor,
    #[module(skip)]
    _label: Vec<u8>,
    hidden: usize,
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.conv1.forward(x).relu();
        let h = h.reshape(&[x.shape()[0], self.hidden]);
        self.fc.forward(&h) * &self.scale
    }
}

fn net() -> Net {
    autograd::manual_seed(1);
    Net {
        conv1: nn::Conv2d::new(1, 2, 3),
        fc: nn::Linear::new(8, 3),
        scale: Tensor::ones(&[3]),
        _label: vec![],
        hidden: 8,
    }
}

fn names(v: &[(String, Tensor)]) -> Vec<&str> {
    v.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn derive_registers_parameters_buffers_and_submodules() {
    let m = net();
    assert_eq!(
        names(&m.named_parameters()),
        ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"]
    );
    assert_eq!(names(&m.named_buffers()), ["scale"]);
    assert_eq!(m.parameters().len(), 4);
    assert_eq!(m.num_parameters(), 2 * 9 + 2 + 3 * 8 + 3);
    assert!(m
        .parameters()
        .iter()
        .all(|p| p.requires_grad() && p.is_leaf()));
    let y = m.forward(&Tensor::randn(&[5, 1, 4, 4]));
    assert_eq!(y.shape(), &[5, 3]);
}

#[derive(Module)]
struct Tower {
    blocks: Vec<nn::Linear>,
    head: Option<nn::Linear>,
    missing: Option<nn::Linear>,
    pair: [nn::Linear; 2],
    boxed: Box<dyn Module + Send + Sync>,
    drop: nn::Dropout,
    free: Tensor,
    extra: Vec<Tensor>,
}

impl Module for Tower {
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = x.clone();
        for b in &self.blocks {
            h = b.forward(&h).tanh();
        }
        self.drop.forward(&h)
    }
}

#[derive(Module)]
struct Pair(nn::Linear, Tensor);

impl Module for Pair {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.0.forward(x) + &self.1
    }
}

#[derive(Module)]
struct Generic<M> {
    inner: M,
}

impl<M: Module> Module for Generic<M> {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.inner.forward(x)
    }
}

#[test]
fn vec_option_array_box_tuple_struct_and_generics() {
    let mut t = Tower {
        blocks: vec![nn::Linear::new(2, 2), nn::Linear::new(2, 2)],
        head: Some(nn::Linear::new(2, 1).no_bias()),
        missing: None,
        pair: [nn::Linear::new(1, 1), nn::Linear::new(1, 1)],
        boxed: Box::new(nn::Sequential::new().append(nn::Linear::new(1, 1))),
        drop: nn::Dropout::new(0.5),
        free: Tensor::zeros(&[2]).requires_grad_(true),
        extra: vec![Tensor::zeros(&[1])],
    };
    assert_eq!(
        names(&t.named_parameters()),
        [
            "blocks.0.weight",
            "blocks.0.bias",
            "blocks.1.weight",
            "blocks.1.bias",
            "head.weight",
            "pair.0.weight",
            "pair.0.bias",
            "pair.1.weight",
            "pair.1.bias",
            "boxed.0.weight",
            "boxed.0.bias",
            "free",
            "extra.0",
        ]
    );
    assert!(t.is_training() && t.drop.training_flag() == Some(true));
    t.eval();
    assert!(!t.is_training());
    assert_eq!(t.blocks[1].training_flag(), Some(false));
    assert_eq!(t.drop.training_flag(), Some(false));
    // Dropout is the identity in evaluation mode.
    let x = Tensor::ones(&[3, 2]);
    let a = t.forward(&x).to_vec::<f32>();
    assert_eq!(a, t.forward(&x).to_vec::<f32>());
    t.train();
    assert!(t.is_training());

    let p = Pair(nn::Linear::new(2, 2), Tensor::zeros(&[2]));
    assert_eq!(names(&p.named_parameters()), ["0.weight", "0.bias", "1"]);
    let g = Generic { inner: p };
    assert_eq!(names(&g.named_parameters())[2], "inner.1");
}

#[test]
fn shared_parameters_are_listed_once() {
    let fc = nn::Linear::new(2, 2);
    let s = nn::Sequential::new().append(fc.clone()).append(fc);
    assert_eq!(names(&s.named_parameters()), ["0.weight", "0.bias"]);
}

#[test]
fn zero_grad_clears_every_parameter() {
    let m = net();
    m.forward(&Tensor::randn(&[2, 1, 4, 4]))
        .sum()
        .backward()
        .unwrap();
    assert!(m.parameters().iter().all(|p| p.grad().is_some()));
    m.zero_grad();
    assert!(m.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
fn state_dict_round_trip_and_all_or_nothing_loading() {
    let a = net();
    let sd = a.state_dict();
    assert_eq!(
        sd.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "conv1.bias",
            "conv1.weight",
            "fc.bias",
            "fc.weight",
            "scale"
        ]
    );
    autograd::manual_seed(99);
    let b = Net {
        conv1: nn::Conv2d::new(1, 2, 3),
        fc: nn::Linear::new(8, 3),
        scale: Tensor::zeros(&[3]),
        _label: vec![],
        hidden: 8,
    };
    assert_ne!(b.fc.weight.to_vec::<f32>(), a.fc.weight.to_vec::<f32>());
    b.load_state_dict(&sd).unwrap();
    assert_eq!(b.fc.weight.to_vec::<f32>(), a.fc.weight.to_vec::<f32>());
    assert_eq!(b.scale.to_vec::<f32>(), vec![1.0; 3]);
    // The parameters stay leaves that require grad.
    assert!(b.fc.weight.requires_grad() && b.fc.weight.is_leaf());

    // A wrong shape is an error naming the tensor, and nothing is copied.
    let c = net();
    c.fc.bias.as_ref().unwrap();
    let before = c.conv1.weight.to_vec::<f32>();
    let mut bad = b.state_dict();
    bad.insert("conv1.weight".into(), Tensor::zeros(&[2, 1, 3, 3]));
    bad.insert("fc.weight".into(), Tensor::zeros(&[3, 7]));
    let err = c.load_state_dict(&bad).unwrap_err().to_string();
    assert!(
        err.contains("`fc.weight`") && err.contains("[3, 7]"),
        "{err}"
    );
    assert_eq!(c.conv1.weight.to_vec::<f32>(), before);

    // Missing and unexpected names are listed.
    let mut bad = b.state_dict();
    bad.remove("fc.bias");
    bad.insert("fc.b".into(), Tensor::zeros(&[3]));
    let err = c.load_state_dict(&bad).unwrap_err().to_string();
    assert!(
        err.contains("missing `fc.bias`") && err.contains("unexpected `fc.b`"),
        "{err}"
    );
    assert_eq!(c.conv1.weight.to_vec::<f32>(), before);
}

#[test]
fn safetensors_checkpoint_round_trip() {
    let dir = std::env::temp_dir().join(format!("autograd-nn-{}", std::process::id()));
    let path = dir.join("net.safetensors");
    let a = net();
    a.save(&path).unwrap();
    let b = Net {
        conv1: nn::Conv2d::new(1, 2, 3),
        fc: nn::Linear::new(8, 3),
        scale: Tensor::zeros(&[3]),
        _label: vec![],
        hidden: 8,
    };
    b.load(&path).unwrap();
    let x = Tensor::randn(&[2, 1, 4, 4]);
    assert_eq!(a.forward(&x).to_vec::<f32>(), b.forward(&x).to_vec::<f32>());

    // The file is plain safetensors: f64 tensors and names survive as written.
    let mut sd = nn::StateDict::new();
    sd.insert("w".into(), Tensor::from_vec(vec![1.5f64, -2.0], &[2]));
    nn::save(&sd, dir.join("f64.safetensors")).unwrap();
    let back = nn::load(dir.join("f64.safetensors")).unwrap();
    assert_eq!(back["w"].dtype(), DType::F64);
    assert_eq!(back["w"].to_vec::<f64>(), vec![1.5, -2.0]);

    // Integer tensors (PyTorch's int64 buffers) load as f64.
    let mut bytes = Vec::new();
    let header = br#"{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#;
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&7i64.to_le_bytes());
    std::fs::write(dir.join("i64.safetensors"), bytes).unwrap();
    let back = nn::load(dir.join("i64.safetensors")).unwrap();
    assert_eq!((back["n"].shape(), back["n"].item()), (&[][..], 7.0));

    // Loading a checkpoint of another model fails naming the tensor.
    let other = nn::Linear::new(8, 3);
    let err = other.load(&path).unwrap_err().to_string();
    assert!(
        err.contains("missing") || err.contains("unexpected"),
        "{err}"
    );
    let err = nn::load(dir.join("nope.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope.safetensors"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn visit_reports_kinds() {
    let bn = nn::BatchNorm2d::new(3);
    let mut seen = vec![];
    bn.visit_tensors("bn", Kind::Parameter, &mut |n, _, k| {
        seen.push((n.to_string(), k))
    });
    assert_eq!(
        seen,
        [
            ("bn.weight".to_string(), Kind::Parameter),
            ("bn.bias".to_string(), Kind::Parameter),
            ("bn.running_mean".to_string(), Kind::Buffer),
            ("bn.running_var".to_string(), Kind::Buffer),
            ("bn.num_batches_tracked".to_string(), Kind::Buffer),
        ]
    );
}
