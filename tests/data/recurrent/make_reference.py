"""What PyTorch's nn.RNN, nn.LSTM and nn.GRU compute, the reference of
tests/nn_recurrent.rs.

Run with PyTorch installed (`pip install torch`): python3 make_reference.py
writes reference.json beside this script. Each case builds a layer in float64
from a seeded generator and records its constructor arguments, its state dict
(every tensor flattened row-major, with its shape), an input, the initial state
when there is one, the outputs (output sequence, h_n and, for an LSTM, c_n) and
the gradients of the scalar loss

    loss = sum(sin(output)) + sum(cos(h_n)) [+ sum(tanh(c_n)) for an LSTM]

with respect to the input, the initial state and every parameter.
"""

import json
import os

import torch

torch.manual_seed(16)


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().reshape(-1).tolist()]}


def case(name, kind, input_size, hidden_size, shape, num_layers=1, batch_first=False,
         bias=True, nonlinearity="tanh", state=False, bidirectional=False, proj_size=0):
    kwargs = dict(num_layers=num_layers, batch_first=batch_first, bias=bias,
                  bidirectional=bidirectional)
    if kind == "rnn":
        layer = torch.nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kwargs)
    elif kind == "lstm":
        layer = torch.nn.LSTM(input_size, hidden_size, proj_size=proj_size, **kwargs)
    else:
        layer = torch.nn.GRU(input_size, hidden_size, **kwargs)
    layer = layer.double()
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    unbatched = len(shape) == 2
    batch = None if unbatched else shape[0 if batch_first else 1]
    rows = num_layers * (2 if bidirectional else 1)

    def state_shape(features):
        return [rows, features] if unbatched else [rows, batch, features]

    h0 = c0 = None
    if state:
        h0 = torch.randn(state_shape(proj_size or hidden_size), dtype=torch.float64,
                         requires_grad=True)
        if kind == "lstm":
            c0 = torch.randn(state_shape(hidden_size), dtype=torch.float64, requires_grad=True)
    if kind == "lstm":
        out, (h_n, c_n) = layer(x, (h0, c0)) if state else layer(x)
    else:
        out, h_n = layer(x, h0) if state else layer(x)
        c_n = None
    loss = out.sin().sum() + h_n.cos().sum()
    if c_n is not None:
        loss = loss + c_n.tanh().sum()
    loss.backward()
    rec = {
        "name": name,
        "kind": kind,
        "input_size": input_size,
        "hidden_size": hidden_size,
        "num_layers": num_layers,
        "batch_first": batch_first,
        "bias": bias,
        "nonlinearity": nonlinearity,
        "bidirectional": bidirectional,
        "proj_size": proj_size,
        "state_dict": {k: flat(v) for k, v in layer.state_dict().items()},
        "parameter_order": [k for k, _ in layer.named_parameters()],
        "input": flat(x),
        "output": flat(out),
        "h_n": flat(h_n),
        "loss": float(loss.detach()),
        "grad_input": flat(x.grad),
        "grad_parameters": {k: flat(p.grad) for k, p in layer.named_parameters()},
    }
    if h0 is not None:
        rec["h0"] = flat(h0)
        rec["grad_h0"] = flat(h0.grad)
    if c0 is not None:
        rec["c0"] = flat(c0)
        rec["grad_c0"] = flat(c0.grad)
    if c_n is not None:
        rec["c_n"] = flat(c_n)
    return rec


cases = [
    case("lstm, 1 layer, sequence first", "lstm", 3, 4, [5, 2, 3]),
    case("lstm, 1 layer, batch first, with state", "lstm", 3, 4, [2, 5, 3], batch_first=True, state=True),
    case("lstm, 2 layers, sequence first, with state", "lstm", 3, 4, [5, 2, 3], num_layers=2, state=True),
    case("lstm, 2 layers, batch first", "lstm", 2, 3, [3, 4, 2], num_layers=2, batch_first=True),
    case("lstm, unbatched, with state", "lstm", 3, 2, [4, 3], state=True),
    case("lstm, no bias", "lstm", 2, 3, [3, 2, 2], bias=False),
    case("gru, 1 layer, sequence first", "gru", 3, 4, [5, 2, 3]),
    case("gru, 1 layer, batch first, with state", "gru", 3, 4, [2, 5, 3], batch_first=True, state=True),
    case("gru, 2 layers, sequence first, with state", "gru", 3, 4, [5, 2, 3], num_layers=2, state=True),
    case("gru, 2 layers, batch first", "gru", 2, 3, [3, 4, 2], num_layers=2, batch_first=True),
    case("gru, unbatched", "gru", 3, 2, [4, 3]),
    case("rnn tanh, 1 layer, sequence first", "rnn", 3, 4, [5, 2, 3]),
    case("rnn tanh, 2 layers, batch first, with state", "rnn", 3, 4, [2, 5, 3], num_layers=2, batch_first=True, state=True),
    case("rnn relu, 2 layers, sequence first, with state", "rnn", 3, 4, [5, 2, 3], num_layers=2, nonlinearity="relu", state=True),
    case("rnn relu, 1 layer, batch first", "rnn", 2, 3, [3, 4, 2], batch_first=True, nonlinearity="relu"),
    case("rnn tanh, unbatched, no bias, with state", "rnn", 3, 2, [4, 3], bias=False, state=True),
    # Added later (after the cases above, whose random draws they leave as they were).
    case("lstm, bidirectional, 2 layers, with state", "lstm", 3, 4, [5, 2, 3], num_layers=2,
         bidirectional=True, state=True),
    case("lstm, proj_size 2, 2 layers, with state", "lstm", 3, 4, [5, 2, 3], num_layers=2,
         proj_size=2, state=True),
    case("lstm, bidirectional, proj_size 3, batch first", "lstm", 2, 5, [2, 4, 2],
         batch_first=True, bidirectional=True, proj_size=3),
    case("lstm, bidirectional, unbatched, no bias, with state", "lstm", 3, 2, [4, 3],
         bias=False, bidirectional=True, state=True),
    case("gru, bidirectional, 2 layers, batch first, with state", "gru", 3, 4, [2, 5, 3],
         num_layers=2, batch_first=True, bidirectional=True, state=True),
    case("rnn relu, bidirectional, 2 layers", "rnn", 2, 3, [3, 4, 2], num_layers=2,
         nonlinearity="relu", bidirectional=True),
]

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "reference.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"{len(cases)} cases written with PyTorch {torch.__version__}")
