"""What PyTorch's scatter, index_copy and index_fill compute, the reference of
`scatter_index_copy_and_index_fill_match_pytorch` in tests/tape_ops.rs.

Run with PyTorch installed (`pip install torch`): python3 make_reference.py
writes reference.json beside this script. Each case takes a float64 tensor
`x` and (for `scatter` and `index_copy`) a source `src`, both seeded normal
draws, an integer index, and records the output, its grad_fn's name and the
gradients of `sum(out * w)` (w a third draw of the output's shape) with
respect to `x` and `src`. Indices repeat in some cases: PyTorch's CPU kernel
writes in order, so the last element written stays; the gradient of `src` is
`w` at every element's target either way.
"""

import json
import os

import torch

torch.manual_seed(15)


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().reshape(-1).tolist()]}


def case(name, op, shape, dim, index, src_shape=None, value=None):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    index = torch.tensor(index)
    src = None
    if src_shape is not None:
        src = torch.randn(src_shape, dtype=torch.float64, requires_grad=True)
    arg = src if src is not None else value
    out = getattr(x, op)(dim, index, arg)
    w = torch.randn(out.shape, dtype=torch.float64)
    (out * w).sum().backward()
    c = {
        "name": name,
        "op": op,
        "dim": dim,
        "x": flat(x),
        "index": {"shape": list(index.shape), "values": [float(i) for i in index.reshape(-1).tolist()]},
        "w": flat(w),
        "out": flat(out),
        "grad_fn": out.grad_fn.name(),
        "grad_x": flat(x.grad),
    }
    if src is not None:
        c["src"] = flat(src)
        c["grad_src"] = flat(src.grad)
    else:
        c["value"] = value
    return c


cases = [
    case("scatter_rows", "scatter", [3, 4], 0, [[2, 0, 1, 2], [0, 1, 2, 0]], src_shape=[2, 4]),
    # A src larger than the index is used only where the index reaches; PyTorch
    # 2.15's backward then fails ("ScatterBackward0 returned an invalid gradient
    # at index 1"), so this case's src has the index's shape (the gradcheck in
    # tests/tape_gradcheck.rs covers the larger src).
    case("scatter_repeats", "scatter", [2, 5], 1, [[4, 4, 0], [1, 3, 1]], src_shape=[2, 3]),
    case("scatter_last_dim_3d", "scatter", [2, 3, 4], -1, [[[3, 0], [1, 2], [0, 0]], [[2, 2], [3, 1], [0, 3]]],
         src_shape=[2, 3, 2]),
    case("scatter_value", "scatter", [3, 4], 1, [[1], [3], [0]], value=1.5),
    case("index_copy_rows", "index_copy", [4, 3], 0, [3, 0], src_shape=[2, 3]),
    case("index_copy_middle_repeats", "index_copy", [2, 4, 3], 1, [1, 1, 3], src_shape=[2, 3, 3]),
    case("index_fill_columns", "index_fill", [3, 5], 1, [4, 0, 4], value=-2.0),
    case("index_fill_scalar_index", "index_fill", [2, 3, 2], 0, 1, value=0.25),
]

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
