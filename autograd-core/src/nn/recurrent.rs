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
//! along the rows of `weight_ih_l{k}` and `weight_hh_l{k}`), with its
//! `bidirectional` layers (a second recurrence over the reversed sequence, its
//! parameters suffixed `_reverse`, both outputs concatenated along the
//! features) and the LSTM's `proj_size` (`h_t = W_hr (o * tanh(c_t))`).

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

/// The parameters of one direction of one layer.
#[derive(Clone, Debug)]
struct Layer {
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Option<Tensor>,
    bias_hh: Option<Tensor>,
    /// The LSTM's projection `(proj_size, hidden_size)` when `proj_size > 0`.
    weight_hr: Option<Tensor>,
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
    bidirectional: bool,
    /// The LSTM's projection size, 0 for none.
    proj_size: usize,
    /// Layer `k`, direction `d` at `k * directions + d`.
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
            bidirectional: false,
            proj_size: 0,
            layers: Vec::new(),
            training: true,
        };
        r.reset_parameters();
        r
    }

    /// 2 for a bidirectional layer, else 1.
    fn directions(&self) -> usize {
        1 + usize::from(self.bidirectional)
    }

    /// The features of `h`: `proj_size` when the LSTM projects, else
    /// `hidden_size`.
    fn out_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    /// PyTorch's `reset_parameters`: every parameter, in registration order,
    /// from `U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`.
    fn reset_parameters(&mut self) {
        let h = self.hidden_size;
        let g = self.cell.gates() * h;
        let k = if h > 0 { 1.0 / (h as f64).sqrt() } else { 0.0 };
        let (out, dirs) = (self.out_size(), self.directions());
        self.layers = (0..self.num_layers * dirs)
            .map(|i| {
                let inp = if i < dirs {
                    self.input_size
                } else {
                    out * dirs
                };
                let weight_ih = init::uniform(&[g, inp], -k, k);
                let weight_hh = init::uniform(&[g, out], -k, k);
                let (bias_ih, bias_hh) = if self.bias {
                    (
                        Some(init::uniform(&[g], -k, k)),
                        Some(init::uniform(&[g], -k, k)),
                    )
                } else {
                    (None, None)
                };
                let weight_hr = (self.proj_size > 0).then(|| init::uniform(&[out, h], -k, k));
                Layer {
                    weight_ih,
                    weight_hh,
                    bias_ih,
                    bias_hh,
                    weight_hr,
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
            l.weight_hr = l.weight_hr.as_ref().map(conv);
        }
    }

    /// PyTorch's names and order: per layer, per direction, `weight_ih`,
    /// `weight_hh`, `bias_ih`, `bias_hh`, `weight_hr`, suffixed `_l{k}` and,
    /// for the reverse direction, `_reverse`.
    fn visit(&self, path: &str, f: &mut dyn FnMut(&str, &Tensor, Kind)) {
        let dirs = self.directions();
        for (i, l) in self.layers.iter().enumerate() {
            let suffix = format!(
                "_l{}{}",
                i / dirs,
                if i % dirs == 1 { "_reverse" } else { "" }
            );
            let tensors = [
                ("weight_ih", Some(&l.weight_ih)),
                ("weight_hh", Some(&l.weight_hh)),
                ("bias_ih", l.bias_ih.as_ref()),
                ("bias_hh", l.bias_hh.as_ref()),
                ("weight_hr", l.weight_hr.as_ref()),
            ];
            for (name, t) in tensors {
                if let Some(t) = t {
                    f(&join(path, &format!("{name}{suffix}")), t, Kind::Parameter);
                }
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

    /// Checks an initial state of `h` features against `(num_layers *
    /// directions, batch, h)` (`(num_layers * directions, h)` for an unbatched
    /// input) and returns it as `(num_layers * directions, batch, h)`.
    fn initial(
        &self,
        name: &str,
        t: Option<&Tensor>,
        (batch, h): (usize, usize),
        unbatched: bool,
        dtype: DType,
    ) -> Result<Tensor> {
        let layers = self.num_layers * self.directions();
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
                    "the initial state {name} must have shape {want:?} (num_layers{}, {}{})",
                    if self.bidirectional { " * 2" } else { "" },
                    if unbatched { "" } else { "batch, " },
                    if h == self.hidden_size {
                        "hidden_size"
                    } else {
                        "proj_size"
                    }
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
        let (hidden, out) = (self.hidden_size, self.out_size());
        let h0 = self.initial("h_0", h0, (batch, out), unbatched, x.dtype())?;
        let c0 = match self.cell {
            Cell::Lstm => Some(self.initial("c_0", c0, (batch, hidden), unbatched, x.dtype())?),
            _ => None,
        };
        let dirs = self.directions();
        let (mut h_n, mut c_n) = (Vec::new(), Vec::new());
        let mut seq = x;
        for k in 0..self.num_layers {
            let width = seq.shape()[2];
            let gates = self.cell.gates() * hidden;
            let mut both = Vec::with_capacity(dirs);
            for d in 0..dirs {
                let i = k * dirs + d;
                let layer = &self.layers[i];
                // The input projection of every step at once.
                let projected = F::linear(
                    &seq.reshape(&[steps * batch, width]),
                    &layer.weight_ih,
                    layer.bias_ih.as_ref(),
                )
                .reshape(&[steps, batch, gates]);
                let at = |t: &Tensor, n: usize| t.narrow(0, i, 1).reshape(&[batch, n]);
                let mut state: State = (at(&h0, out), c0.as_ref().map(|c| at(c, hidden)));
                let mut outputs = Vec::with_capacity(steps);
                let mut inputs = projected.chunk(steps, 0);
                // The reverse direction reads the sequence from its end; its
                // outputs are put back in time order.
                if d == 1 {
                    inputs.reverse();
                }
                for xt in inputs {
                    let xt = xt.reshape(&[batch, gates]);
                    state = self.step(layer, &xt, &state);
                    outputs.push(state.0.clone());
                }
                if d == 1 {
                    outputs.reverse();
                }
                both.push(Tensor::stack(&outputs, 0));
                h_n.push(state.0);
                c_n.extend(state.1);
            }
            seq = if dirs == 1 {
                both.pop().expect("one direction")
            } else {
                Tensor::cat(&both, 2)
            };
            if self.dropout > 0.0 && self.training && k + 1 < self.num_layers {
                seq = F::dropout(&seq, self.dropout, true);
            }
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
                let h = o * c.tanh();
                let h = match &layer.weight_hr {
                    Some(w) => F::linear(&h, w, None),
                    None => h,
                };
                (h, Some(c))
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

            /// `bidirectional=` (`false` by default): each layer runs a second
            /// recurrence over the reversed sequence, with its own parameters
            /// (named with the suffix `_reverse`); the output has `2 *
            /// hidden_size` features (forward, then reverse), and the states
            /// `2 * num_layers` rows (layer `k`'s directions at `2k`, `2k + 1`).
            /// Draws new parameters.
            pub fn bidirectional(mut self, bidirectional: bool) -> $ty {
                self.0.bidirectional = bidirectional;
                self.0.reset_parameters();
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
///
/// // Both directions, projected to 2 features: the output has 2 * 2.
/// let bi = nn::LSTM::new(3, 4).bidirectional(true).proj_size(2);
/// let (y, (h_n, c_n)) = bi.forward_with(&Tensor::ones(&[6, 3]), None); // unbatched
/// assert_eq!((y.shape(), h_n.shape(), c_n.shape()), (&[6, 4][..], &[2, 2][..], &[2, 4][..]));
/// assert_eq!(bi.named_parameters()[4].0, "weight_hr_l0");
/// ```
#[derive(Clone, Debug)]
pub struct LSTM(Recurrent);

impl LSTM {
    /// `nn.LSTM(input_size, hidden_size)`: one layer, with biases, sequence
    /// first.
    pub fn new(input_size: usize, hidden_size: usize) -> LSTM {
        LSTM(Recurrent::new(Cell::Lstm, input_size, hidden_size))
    }

    /// `proj_size=` (0, none, by default): `h_t = W_hr (o * tanh(c_t))` with
    /// `weight_hr_l{k}` `(proj_size, hidden_size)`, so the output and `h_n`
    /// have `proj_size` features (`c_n` keeps `hidden_size`) and
    /// `weight_hh_l{k}` is `(4 hidden_size, proj_size)`. Draws new parameters.
    ///
    /// # Panics
    /// If `proj_size` is not smaller than `hidden_size`, as in PyTorch.
    #[track_caller]
    pub fn proj_size(mut self, proj_size: usize) -> LSTM {
        assert!(
            proj_size < self.0.hidden_size,
            "LSTM: proj_size ({proj_size}) has to be smaller than hidden_size ({})",
            self.0.hidden_size
        );
        self.0.proj_size = proj_size;
        self.0.reset_parameters();
        self
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
