//! `nn::RNN`, `nn::LSTM`, `nn::GRU`: the numbers PyTorch printed
//! (`tests/data/recurrent/reference.json`, made by `make_reference.py` beside
//! it) to 1e-10 in f64, with PyTorch's state dicts loaded, and gradchecks.

use autograd::nn::{self, Module, StateDict};
use autograd::prelude::*;
use autograd::{gradcheck, DType};
use reference::tensor;
use serde_json::Value;

#[path = "common/reference.rs"]
mod reference;

fn close(name: &str, what: &str, ours: &Tensor, theirs: &Value) {
    let t = tensor(theirs);
    assert_eq!(ours.shape(), t.shape(), "{name}: {what} shape");
    for (a, b) in ours.to_vec::<f64>().iter().zip(t.to_vec::<f64>()) {
        assert!((a - b).abs() <= 1e-10, "{name}: {what}: {a} vs {b}");
    }
}

enum Layer {
    Rnn(nn::RNN),
    Lstm(nn::LSTM),
    Gru(nn::GRU),
}

#[test]
fn recurrent_layers_match_pytorch() {
    let reference: Value =
        serde_json::from_str(include_str!("data/recurrent/reference.json")).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 22);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (i, h) = (
            c["input_size"].as_u64().unwrap() as usize,
            c["hidden_size"].as_u64().unwrap() as usize,
        );
        let (layers, bf, bias) = (
            c["num_layers"].as_u64().unwrap() as usize,
            c["batch_first"].as_bool().unwrap(),
            c["bias"].as_bool().unwrap(),
        );
        let (bidirectional, proj) = (
            c["bidirectional"].as_bool().unwrap(),
            c["proj_size"].as_u64().unwrap() as usize,
        );
        let layer = match c["kind"].as_str().unwrap() {
            "rnn" => Layer::Rnn(
                nn::RNN::new(i, h)
                    .num_layers(layers)
                    .batch_first(bf)
                    .bias(bias)
                    .nonlinearity(c["nonlinearity"].as_str().unwrap())
                    .bidirectional(bidirectional)
                    .to_dtype(DType::F64),
            ),
            "lstm" => Layer::Lstm({
                let lstm = nn::LSTM::new(i, h)
                    .num_layers(layers)
                    .batch_first(bf)
                    .bias(bias)
                    .bidirectional(bidirectional);
                match proj {
                    0 => lstm,
                    p => lstm.proj_size(p),
                }
                .to_dtype(DType::F64)
            }),
            _ => Layer::Gru(
                nn::GRU::new(i, h)
                    .num_layers(layers)
                    .batch_first(bf)
                    .bias(bias)
                    .bidirectional(bidirectional)
                    .to_dtype(DType::F64),
            ),
        };
        let module: &dyn Module = match &layer {
            Layer::Rnn(m) => m,
            Layer::Lstm(m) => m,
            Layer::Gru(m) => m,
        };
        let order: Vec<String> = module
            .named_parameters()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let want: Vec<String> = c["parameter_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        assert_eq!(order, want, "{name}: parameter names and order");
        let state: StateDict = c["state_dict"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), tensor(v)))
            .collect();
        module.load_state_dict(&state).unwrap();
        let x = tensor(&c["input"]).requires_grad_(true);
        let h0 = c.get("h0").map(|v| tensor(v).requires_grad_(true));
        let c0 = c.get("c0").map(|v| tensor(v).requires_grad_(true));
        let (out, h_n, c_n) = match &layer {
            Layer::Rnn(m) => {
                let (o, hn) = m.forward_with(&x, h0.as_ref());
                (o, hn, None)
            }
            Layer::Gru(m) => {
                let (o, hn) = m.forward_with(&x, h0.as_ref());
                (o, hn, None)
            }
            Layer::Lstm(m) => {
                let (o, (hn, cn)) = m.forward_with(&x, h0.as_ref().zip(c0.as_ref()));
                (o, hn, Some(cn))
            }
        };
        close(name, "output", &out, &c["output"]);
        close(name, "h_n", &h_n, &c["h_n"]);
        let mut loss = out.sin().sum() + h_n.cos().sum();
        if let Some(cn) = &c_n {
            close(name, "c_n", cn, &c["c_n"]);
            loss = &loss + &cn.tanh().sum();
        }
        assert!(
            (loss.item() - c["loss"].as_f64().unwrap()).abs() < 1e-10,
            "{name}: loss"
        );
        loss.backward().unwrap();
        close(
            name,
            "grad of the input",
            &x.grad().unwrap(),
            &c["grad_input"],
        );
        if let Some(h0) = &h0 {
            close(name, "grad of h0", &h0.grad().unwrap(), &c["grad_h0"]);
        }
        if let Some(c0) = &c0 {
            close(name, "grad of c0", &c0.grad().unwrap(), &c["grad_c0"]);
        }
        for (n, p) in module.named_parameters() {
            close(
                name,
                &format!("grad of {n}"),
                &p.grad().unwrap(),
                &c["grad_parameters"][n.as_str()],
            );
        }
    }
}

fn input(shape: &[usize], seed: u64) -> Tensor {
    autograd::manual_seed(seed);
    Tensor::randn(shape).to_dtype(DType::F64)
}

/// Gradients w.r.t. the input and the initial states against central
/// differences (the parameters' gradients are checked against PyTorch above).
#[test]
fn gradcheck_lstm_gru_rnn() {
    for (k, bf) in [(1usize, false), (2, true)] {
        autograd::manual_seed(k as u64);
        let lstm = nn::LSTM::new(2, 3)
            .num_layers(k)
            .batch_first(bf)
            .to_dtype(DType::F64);
        let gru = nn::GRU::new(2, 3)
            .num_layers(k)
            .batch_first(bf)
            .to_dtype(DType::F64);
        let rnn = nn::RNN::new(2, 3)
            .num_layers(k)
            .batch_first(bf)
            .to_dtype(DType::F64);
        let xs = [
            input(&[2, 2, 2], 2),
            input(&[k, 2, 3], 3),
            input(&[k, 2, 3], 4),
        ];
        gradcheck(
            |t| {
                let (y, (h, c)) = lstm.forward_with(&t[0], Some((&t[1], &t[2])));
                y.sin().sum() + h.cos().sum() + c.tanh().sum()
            },
            &xs[..],
        )
        .unwrap();
        gradcheck(
            |t| {
                let (y, h) = gru.forward_with(&t[0], Some(&t[1]));
                y.sin().sum() + h.cos().sum()
            },
            &xs[..2],
        )
        .unwrap();
        gradcheck(
            |t| {
                let (y, h) = rnn.forward_with(&t[0], Some(&t[1]));
                y.sin().sum() + h.cos().sum()
            },
            &xs[..2],
        )
        .unwrap();
    }
}

#[test]
fn bad_shapes_are_errors_naming_both_shapes() {
    let lstm = nn::LSTM::new(3, 4);
    let e = lstm
        .try_forward_with(&Tensor::ones(&[5, 2, 2]), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("[5, 2, 2]") && e.contains("[3]"), "{e}");
    let h = Tensor::zeros(&[1, 3, 4]);
    let e = lstm
        .try_forward_with(&Tensor::ones(&[5, 2, 3]), Some((&h, &h)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("[1, 3, 4]") && e.contains("[1, 2, 4]"), "{e}");
}

/// The bidirectional layers and the LSTM's projection against central
/// differences, through the input and both initial states.
#[test]
fn gradcheck_bidirectional_and_projected() {
    autograd::manual_seed(7);
    let lstm = nn::LSTM::new(2, 3)
        .num_layers(2)
        .bidirectional(true)
        .proj_size(2)
        .to_dtype(DType::F64);
    let gru = nn::GRU::new(2, 3)
        .bidirectional(true)
        .batch_first(true)
        .to_dtype(DType::F64);
    let xs = [
        input(&[3, 2, 2], 8),
        input(&[4, 2, 2], 9),
        input(&[4, 2, 3], 10),
    ];
    gradcheck(
        |t| {
            let (y, (h, c)) = lstm.forward_with(&t[0], Some((&t[1], &t[2])));
            assert_eq!(
                (y.shape(), h.shape(), c.shape()),
                (&[3, 2, 4][..], &[4, 2, 2][..], &[4, 2, 3][..])
            );
            y.sin().sum() + h.cos().sum() + c.tanh().sum()
        },
        &xs[..],
    )
    .unwrap();
    let g0 = input(&[2, 2, 3], 11);
    gradcheck(
        |t| {
            let (y, h) = gru.forward_with(&t[0], Some(&t[1]));
            assert_eq!(y.shape(), &[2, 2, 6]);
            y.sin().sum() + h.cos().sum()
        },
        &[input(&[2, 2, 2], 12), g0],
    )
    .unwrap();
}

#[test]
fn bidirectional_state_shapes_and_projection_limits() {
    let lstm = nn::LSTM::new(3, 4).bidirectional(true).num_layers(2);
    let names: Vec<String> = lstm
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        &names[..8],
        [
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_ih_l0_reverse",
            "weight_hh_l0_reverse",
            "bias_ih_l0_reverse",
            "bias_hh_l0_reverse"
        ]
    );
    // The second layer reads both directions' outputs.
    assert_eq!(lstm.named_parameters()[8].1.shape(), &[16, 8]);
    let h = Tensor::zeros(&[2, 2, 4]);
    let e = lstm
        .try_forward_with(&Tensor::ones(&[5, 2, 3]), Some((&h, &h)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("[2, 2, 4]") && e.contains("[4, 2, 4]"), "{e}");
    let p = std::panic::catch_unwind(|| nn::LSTM::new(3, 4).proj_size(4)).unwrap_err();
    let msg = p.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("proj_size (4) has to be smaller than hidden_size (4)"),
        "{msg}"
    );
}
