//! `RNN`, `LSTM`, `GRU`: PyTorch's recurrent layers, with its argument order,
//! defaults, shapes, parameter names and gate order, so that a state dict
//! exported from PyTorch loads and gives the same numbers.
//!
//! Each time step is composed from tape ops (`linear`, `chunk`, `sigmoid`,
//! `tanh`, products, `stack`), so backward through time comes from the tape.
//! The input projection `x W_ih^T + b_ih` of a layer is one matrix product over
//! every time step; only `h W_hh^T + b_hh` runs step by step.
//!
//! The equations are those of PyTorch's documentation of `torch.nn.RNN`,
//! `torch.nn.LSTM` and `torch.nn.GRU` (gate order `i, f, g, o` and `r, z, n`
//! along the rows of `weight_ih_l{k}` and `weight_hh_l{k}`).

use super::{functional as F, init, join, Kind, Module, Visit};
use crate::error::Result;
use crate::{DType, Error, Tensor};

/// The value, or a panic with the error's message (which names the shapes).
#[track_caller]
fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Which recurrence a layer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Tanh,
    Relu,
    Lstm,
    Gru,
}

impl Cell {
    /// Rows of `weight_ih` per hidden unit: the number of gates.
    fn gates(self) -> usize {
        match self {
            Cell::Tanh | Cell::Relu => 1,
            Cell::Lstm => 4,
            Cell::Gru => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cell::Tanh | Cell::Relu => "RNN",
            Cell::Lstm => "LSTM",
            Cell::Gru => "GRU",
        }
    }
}

/// The parameters of one layer.
#[derive(Clone, Debug)]
struct Layer {
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Option<Tensor>,
    bias_hh: Option<Tensor>,
}

/// What the three layers share: configuration, parameters and the loop.
#[derive(Clone, Debug)]
struct Recurrent {
    cell: Cell,
    input_size: usize,
    hidden_size: usize,
    num_layers: usize,
    bias: bool,
    batch_first: bool,
    dropout: f64,
    layers: Vec<Layer>,
    training: bool,
}

/// The state a step carries: `h`, and `c` for an LSTM.
type State = (Tensor, Option<Tensor>);

impl Recurrent {
    fn new(cell: Cell, input_size: usize, hidden_size: usize) -> Recurrent {
        let mut r = Recurrent {
            cell,
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            layers: Vec::new(),
            training: true,
        };
        r.reset_parameters();
        r
    }

    /// PyTorch's `reset_parameters`: every parameter, in registration order,
    /// from `U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`.
    fn reset_parameters(&mut self) {
        let h = self.hidden_size;
        let g = self.cell.gates() * h;
        let k = if h > 0 { 1.0 / (h as f64).sqrt() } else { 0.0 };
        self.layers = (0..self.num_layers)
            .map(|l| {
                let inp = if l == 0 { self.input_size } else { h };
                let weight_ih = init::uniform(&[g, inp], -k, k);
                let weight_hh = init::uniform(&[g, h], -k, k);
                let (bias_ih, bias_hh) = if self.bias {
                    (
                        Some(init::uniform(&[g], -k, k)),
                        Some(init::uniform(&[g], -k, k)),
                    )
                } else {
                    (None, None)
                };
                Layer {
                    weight_ih,
                    weight_hh,
                    bias_ih,
                    bias_hh,
                }
            })
            .collect();
    }

    fn cast(&mut self, dtype: DType) {
        let conv = |t: &Tensor| t.detach().to_dtype(dtype).requires_grad_(true);
        for l in &mut self.layers {
            l.weight_ih = conv(&l.weight_ih);
            l.weight_hh = conv(&l.weight_hh);
            l.bias_ih = l.bias_ih.as_ref().map(conv);
            l.bias_hh = l.bias_hh.as_ref().map(conv);
        }
    }

    fn visit(&self, path: &str, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        for (k, l) in self.layers.iter().enumerate() {
            f(
                &join(path, &format!("weight_ih_l{k}")),
                &l.weight_ih,
                Kind::Parameter,
            );
            f(
                &join(path, &format!("weight_hh_l{k}")),
                &l.weight_hh,
                Kind::Parameter,
            );
            if let Some(b) = &l.bias_ih {
                f(&join(path, &format!("bias_ih_l{k}")), b, Kind::Parameter);
            }
            if let Some(b) = &l.bias_hh {
                f(&join(path, &format!("bias_hh_l{k}")), b, Kind::Parameter);
            }
        }
    }

    /// A shape error naming the input's shape and the one expected.
    fn bad(&self, got: &[usize], want: Vec<usize>, reason: String) -> Error {
        Error::ShapeMismatch {
            op: self.cell.name(),
            lhs: got.to_vec(),
            rhs: want,
            reason,
        }
    }

    /// Checks an initial state against `(num_layers, batch, hidden_size)`
    /// (`(num_layers, hidden_size)` for an unbatched input) and returns it as
    /// `(num_layers, batch, hidden_size)`.
    fn initial(
        &self,
        name: &str,
        t: Option<&Tensor>,
        batch: usize,
        unbatched: bool,
        dtype: DType,
    ) -> Result<Tensor> {
        let (layers, h) = (self.num_layers, self.hidden_size);
        let Some(t) = t else {
            return Ok(Tensor::full(&[layers, batch, h], 0.0, dtype));
        };
        let want = if unbatched {
            vec![layers, h]
        } else {
            vec![layers, batch, h]
        };
        if t.shape() != want.as_slice() {
            return Err(self.bad(
                t.shape(),
                want.clone(),
                format!(
                    "the initial state {name} must have shape {want:?} (num_layers, {}hidden_size)",
                    if unbatched { "" } else { "batch, " }
                ),
            ));
        }
        Ok(if unbatched { t.unsqueeze(1) } else { t.clone() })
    }

    /// Runs every layer over the sequence: the output sequence, `h_n` and, for
    /// an LSTM, `c_n`, shaped as PyTorch returns them.
    fn run(
        &self,
        x: &Tensor,
        h0: Option<&Tensor>,
        c0: Option<&Tensor>,
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let name = self.cell.name();
        let layout = if self.batch_first {
            "(batch, seq, input_size)"
        } else {
            "(seq, batch, input_size)"
        };
        if !(x.ndim() == 2 || x.ndim() == 3) || x.shape()[x.ndim() - 1] != self.input_size {
            return Err(self.bad(
                x.shape(),
                vec![self.input_size],
                format!(
                    "{name} expects an input {layout} or, unbatched, (seq, input_size), with input_size = {}",
                    self.input_size
                ),
            ));
        }
        let unbatched = x.ndim() == 2;
        // Time first from here on: (seq, batch, features).
        let x = if unbatched {
            x.unsqueeze(1)
        } else if self.batch_first {
            x.transpose(0, 1)
        } else {
            x.clone()
        };
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        if steps == 0 {
            return Err(Error::InvalidArgument {
                op: name,
                shape: x.shape().to_vec(),
                reason: "the sequence is empty".into(),
            });
        }
        let h0 = self.initial("h_0", h0, batch, unbatched, x.dtype())?;
        let c0 = match self.cell {
            Cell::Lstm => Some(self.initial("c_0", c0, batch, unbatched, x.dtype())?),
            _ => None,
        };
        let hidden = self.hidden_size;
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let mut seq = x;
        for (k, layer) in self.layers.iter().enumerate() {
            let width = seq.shape()[2];
            let gates = self.cell.gates() * hidden;
            // The input projection of every step at once.
            let projected = F::linear(
                &seq.reshape(&[steps * batch, width]),
                &layer.weight_ih,
                layer.bias_ih.as_ref(),
            )
            .reshape(&[steps, batch, gates]);
            let at = |t: &Tensor| t.narrow(0, k, 1).reshape(&[batch, hidden]);
            let mut state: State = (at(&h0), c0.as_ref().map(at));
            let mut outputs = Vec::with_capacity(steps);
            for xt in projected.chunk(steps, 0) {
                let xt = xt.reshape(&[batch, gates]);
                state = self.step(layer, &xt, &state);
                outputs.push(state.0.clone());
            }
            seq = Tensor::stack(&outputs, 0);
            if self.dropout > 0.0 && self.training && k + 1 < self.num_layers {
                seq = F::dropout(&seq, self.dropout, true);
            }
            h_n.push(state.0);
            c_n.extend(state.1);
        }
        let mut h_n = Tensor::stack(&h_n, 0);
        let mut c_n = (!c_n.is_empty()).then(|| Tensor::stack(&c_n, 0));
        if unbatched {
            seq = seq.squeeze(1);
            h_n = h_n.squeeze(1);
            c_n = c_n.map(|c| c.squeeze(1));
        } else if self.batch_first {
            seq = seq.transpose(0, 1);
        }
        Ok((seq, h_n, c_n))
    }

    /// One time step from the projected input `xt = x_t W_ih^T + b_ih`
    /// `(batch, gates * hidden)` and the previous state.
    fn step(&self, layer: &Layer, xt: &Tensor, (h, c): &State) -> State {
        let hh = F::linear(h, &layer.weight_hh, layer.bias_hh.as_ref());
        match self.cell {
            // h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
            Cell::Tanh => ((xt + &hh).tanh(), None),
            Cell::Relu => ((xt + &hh).relu(), None),
            // i, f, g, o = chunks of the sum; c' = f c + i g; h' = o tanh(c')
            Cell::Lstm => {
                let g = (xt + &hh).chunk(4, 1);
                let (i, f, gg, o) = (g[0].sigmoid(), g[1].sigmoid(), g[2].tanh(), g[3].sigmoid());
                let c = c.as_ref().expect("an LSTM carries a cell state");
                let c = f * c + i * gg;
                (o * c.tanh(), Some(c))
            }
            // r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z),
            // n = tanh(x_n + r * h_n), h' = (1 - z) n + z h
            Cell::Gru => {
                let xi = xt.chunk(3, 1);
                let hi = hh.chunk(3, 1);
                let r = (&xi[0] + &hi[0]).sigmoid();
                let z = (&xi[1] + &hi[1]).sigmoid();
                let n = (&xi[2] + r * &hi[2]).tanh();
                ((1.0 - &z) * n + z * h, None)
            }
        }
    }
}

/// The builders and the [`Visit`] implementation the three layers share.
macro_rules! recurrent_common {
    ($ty:ident) => {
        impl $ty {
            #[doc = concat!("`num_layers=` (1 by default): a stack of layers, each fed the output sequence of the one before. Draws new parameters.")]
            pub fn num_layers(mut self, num_layers: usize) -> $ty {
                assert!(num_layers >= 1, concat!(stringify!($ty), ": num_layers must be at least 1"));
                self.0.num_layers = num_layers;
                self.0.reset_parameters();
                self
            }

            /// `batch_first=` (`false` by default): inputs and outputs are
            /// `(batch, seq, feature)` instead of `(seq, batch, feature)`. The
            /// states keep `(num_layers, batch, hidden_size)`, as in PyTorch.
            pub fn batch_first(mut self, batch_first: bool) -> $ty {
                self.0.batch_first = batch_first;
                self
            }

            /// `bias=` (`true` by default): without it the layers have no
            /// `bias_ih_l{k}` and `bias_hh_l{k}`. Draws new parameters.
            pub fn bias(mut self, bias: bool) -> $ty {
                self.0.bias = bias;
                self.0.reset_parameters();
                self
            }

            /// `dropout=` (0 by default): dropout with this probability on the
            /// outputs of every layer but the last, in training mode.
            ///
            /// # Panics
            /// If `p` is not in `[0, 1]`.
            #[track_caller]
            pub fn dropout(mut self, p: f64) -> $ty {
                assert!(
                    (0.0..=1.0).contains(&p),
                    concat!(stringify!($ty), ": dropout probability {} is not in [0, 1]"),
                    p
                );
                self.0.dropout = p;
                self
            }

            /// The parameters converted to `dtype` (`module.to(dtype)`,
            /// `module.double()` for [`DType::F64`]), still leaves that require grad.
            pub fn to_dtype(mut self, dtype: DType) -> $ty {
                self.0.cast(dtype);
                self
            }

            /// The number of features of each input step.
            pub fn input_size(&self) -> usize {
                self.0.input_size
            }

            /// The number of features of the hidden state.
            pub fn hidden_size(&self) -> usize {
                self.0.hidden_size
            }
        }

        impl Visit for $ty {
            fn visit_tensors(&self, path: &str, _kind: Kind, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
                self.0.visit(path, f);
            }
            fn apply_training(&mut self, mode: bool) {
                self.0.training = mode;
            }
            fn training_flag(&self) -> Option<bool> {
                Some(self.0.training)
            }
        }
    };
}

/// An Elman recurrent network (`nn.RNN`): `h_t = tanh(x_t W_ih^T + b_ih +
/// h_{t-1} W_hh^T + b_hh)` (or `relu`, see [`RNN::nonlinearity`]), layer after
/// layer.
///
/// Input `(seq, batch, input_size)` (`(batch, seq, input_size)` with
/// [`RNN::batch_first`], `(seq, input_size)` unbatched); output
/// `(seq, batch, hidden_size)` in the same layout, and `h_n` `(num_layers,
/// batch, hidden_size)`. Parameters `weight_ih_l{k}` `(hidden_size, in)`,
/// `weight_hh_l{k}` `(hidden_size, hidden_size)`, `bias_ih_l{k}`,
/// `bias_hh_l{k}` `(hidden_size)`, all from `U(-1/sqrt(hidden_size),
/// 1/sqrt(hidden_size))`.
///
/// ```
/// use autograd_core::nn::{self, Module};
/// use autograd_core::Tensor;
///
/// let rnn = nn::RNN::new(3, 5).num_layers(2);
/// let (y, h_n) = rnn.forward_with(&Tensor::ones(&[7, 2, 3]), None);
/// assert_eq!((y.shape(), h_n.shape()), (&[7, 2, 5][..], &[2, 2, 5][..]));
/// assert_eq!(rnn.named_parameters()[4].0, "weight_ih_l1");
/// ```
#[derive(Clone, Debug)]
pub struct RNN(Recurrent);

impl RNN {
    /// `nn.RNN(input_size, hidden_size)`: one layer, `tanh`, with biases,
    /// sequence first.
    pub fn new(input_size: usize, hidden_size: usize) -> RNN {
        RNN(Recurrent::new(Cell::Tanh, input_size, hidden_size))
    }

    /// `nonlinearity=`: `"tanh"` (the default) or `"relu"`.
    ///
    /// # Panics
    /// On any other name.
    #[track_caller]
    pub fn nonlinearity(mut self, nonlinearity: &str) -> RNN {
        self.0.cell = match nonlinearity {
            "tanh" => Cell::Tanh,
            "relu" => Cell::Relu,
            other => panic!("RNN: unknown nonlinearity `{other}`, expected \"tanh\" or \"relu\""),
        };
        self
    }

    /// The output sequence and `h_n`, from `h_0` (zeros when `None`) of shape
    /// `(num_layers, batch, hidden_size)` (`(num_layers, hidden_size)` for an
    /// unbatched input): `rnn(x, h0)`.
    ///
    /// # Panics
    /// If a shape does not fit; see [`RNN::try_forward_with`].
    #[track_caller]
    pub fn forward_with(&self, x: &Tensor, h0: Option<&Tensor>) -> (Tensor, Tensor) {
        ok(self.try_forward_with(x, h0))
    }

    /// Fallible [`RNN::forward_with`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] naming the shape given and the one expected
    /// when the input or `h_0` does not fit; [`Error::InvalidArgument`] for an
    /// empty sequence.
    pub fn try_forward_with(&self, x: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let (y, h, _) = self.0.run(x, h0, None)?;
        Ok((y, h))
    }
}

/// A long short-term memory network (`nn.LSTM`). With `x_t W_ih^T + b_ih +
/// h_{t-1} W_hh^T + b_hh` cut into four chunks `i, f, g, o` (in this order,
/// as PyTorch stores them along the rows of the weights):
/// `c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g)`, `h_t = sigmoid(o) tanh(c_t)`.
///
/// Input `(seq, batch, input_size)` (`(batch, seq, input_size)` with
/// [`LSTM::batch_first`], `(seq, input_size)` unbatched); output
/// `(seq, batch, hidden_size)` in the same layout, `h_n` and `c_n`
/// `(num_layers, batch, hidden_size)`. Parameters `weight_ih_l{k}`
/// `(4 hidden_size, in)`, `weight_hh_l{k}` `(4 hidden_size, hidden_size)`,
/// `bias_ih_l{k}`, `bias_hh_l{k}` `(4 hidden_size)`, all from
/// `U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`.
///
/// ```
/// use autograd_core::nn::{self, Module};
/// use autograd_core::Tensor;
///
/// let lstm = nn::LSTM::new(3, 4).batch_first(true);
/// let x = Tensor::ones(&[2, 6, 3]); // (batch, seq, input_size)
/// let (y, (h_n, c_n)) = lstm.forward_with(&x, None);
/// assert_eq!(y.shape(), &[2, 6, 4]);
/// assert_eq!((h_n.shape(), c_n.shape()), (&[1, 2, 4][..], &[1, 2, 4][..]));
/// let names: Vec<String> = lstm.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
/// assert_eq!(lstm.named_parameters()[0].1.shape(), &[16, 3]);
/// ```
#[derive(Clone, Debug)]
pub struct LSTM(Recurrent);

impl LSTM {
    /// `nn.LSTM(input_size, hidden_size)`: one layer, with biases, sequence
    /// first.
    pub fn new(input_size: usize, hidden_size: usize) -> LSTM {
        LSTM(Recurrent::new(Cell::Lstm, input_size, hidden_size))
    }

    /// The output sequence and `(h_n, c_n)`, from `(h_0, c_0)` (zeros when
    /// `None`), each `(num_layers, batch, hidden_size)` (`(num_layers,
    /// hidden_size)` for an unbatched input): `lstm(x, (h0, c0))`.
    ///
    /// # Panics
    /// If a shape does not fit; see [`LSTM::try_forward_with`].
    #[track_caller]
    pub fn forward_with(
        &self,
        x: &Tensor,
        state: Option<(&Tensor, &Tensor)>,
    ) -> (Tensor, (Tensor, Tensor)) {
        ok(self.try_forward_with(x, state))
    }

    /// Fallible [`LSTM::forward_with`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] naming the shape given and the one expected
    /// when the input, `h_0` or `c_0` does not fit; [`Error::InvalidArgument`]
    /// for an empty sequence.
    pub fn try_forward_with(
        &self,
        x: &Tensor,
        state: Option<(&Tensor, &Tensor)>,
    ) -> Result<(Tensor, (Tensor, Tensor))> {
        let (h0, c0) = state.unzip();
        let (y, h, c) = self.0.run(x, h0, c0)?;
        Ok((y, (h, c.expect("an LSTM returns its cell state"))))
    }
}

/// A gated recurrent unit network (`nn.GRU`). With `x_t W_ih^T + b_ih` cut into
/// `x_r, x_z, x_n` and `h_{t-1} W_hh^T + b_hh` into `h_r, h_z, h_n` (this order,
/// as PyTorch stores them): `r = sigmoid(x_r + h_r)`, `z = sigmoid(x_z + h_z)`,
/// `n = tanh(x_n + r h_n)`, `h_t = (1 - z) n + z h_{t-1}`.
///
/// Shapes as [`RNN`]'s; parameters `weight_ih_l{k}` `(3 hidden_size, in)`,
/// `weight_hh_l{k}` `(3 hidden_size, hidden_size)`, `bias_ih_l{k}`,
/// `bias_hh_l{k}` `(3 hidden_size)`, all from `U(-1/sqrt(hidden_size),
/// 1/sqrt(hidden_size))`.
///
/// ```
/// use autograd_core::nn::{self, Module};
/// use autograd_core::Tensor;
///
/// let gru = nn::GRU::new(2, 3);
/// let x = Tensor::ones(&[5, 2]); // unbatched (seq, input_size)
/// let (y, h_n) = gru.forward_with(&x, Some(&Tensor::zeros(&[1, 3])));
/// assert_eq!((y.shape(), h_n.shape()), (&[5, 3][..], &[1, 3][..]));
/// assert_eq!(gru.forward(&x).shape(), &[5, 3]);
///
/// let err = gru.try_forward_with(&Tensor::ones(&[5, 1, 4]), None).unwrap_err();
/// assert!(err.to_string().contains("[5, 1, 4]"));
/// ```
#[derive(Clone, Debug)]
pub struct GRU(Recurrent);

impl GRU {
    /// `nn.GRU(input_size, hidden_size)`: one layer, with biases, sequence
    /// first.
    pub fn new(input_size: usize, hidden_size: usize) -> GRU {
        GRU(Recurrent::new(Cell::Gru, input_size, hidden_size))
    }

    /// The output sequence and `h_n`, from `h_0` (zeros when `None`) of shape
    /// `(num_layers, batch, hidden_size)` (`(num_layers, hidden_size)` for an
    /// unbatched input): `gru(x, h0)`.
    ///
    /// # Panics
    /// If a shape does not fit; see [`GRU::try_forward_with`].
    #[track_caller]
    pub fn forward_with(&self, x: &Tensor, h0: Option<&Tensor>) -> (Tensor, Tensor) {
        ok(self.try_forward_with(x, h0))
    }

    /// Fallible [`GRU::forward_with`].
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] naming the shape given and the one expected
    /// when the input or `h_0` does not fit; [`Error::InvalidArgument`] for an
    /// empty sequence.
    pub fn try_forward_with(&self, x: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let (y, h, _) = self.0.run(x, h0, None)?;
        Ok((y, h))
    }
}

recurrent_common!(RNN);
recurrent_common!(LSTM);
recurrent_common!(GRU);

impl Module for RNN {
    /// The output sequence from a zero state (`rnn(x)[0]`).
    ///
    /// # Panics
    /// If the input's shape does not fit.
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_with(input, None).0
    }
}

impl Module for LSTM {
    /// The output sequence from a zero state (`lstm(x)[0]`).
    ///
    /// # Panics
    /// If the input's shape does not fit.
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_with(input, None).0
    }
}

impl Module for GRU {
    /// The output sequence from a zero state (`gru(x)[0]`).
    ///
    /// # Panics
    /// If the input's shape does not fit.
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_with(input, None).0
    }
}
