"""PyTorch's str(t) for a set of tensors, the reference of tests/tape_print.rs.

Run with PyTorch installed (`pip install torch`): python3 make_reference.py
writes reference.json beside this script. Each case stores the tensor's entries
(as Python's repr, so nan and inf survive JSON), its shape and dtype, what was
done to it (`op`), and what PyTorch printed.
"""

import json
import math
import os

import torch


def entries(t):
    return [repr(float(v)) for v in t.detach().reshape(-1).tolist()]


def case(name, values, shape, dtype=torch.float32, requires_grad=False, op=None):
    t = torch.tensor(values, dtype=torch.float64).reshape(shape).to(dtype)
    base = entries(t)
    if requires_grad:
        t.requires_grad_(True)
    if op == "add_one":
        t = t + 1
    elif op == "mul_two":
        t = t * 2
    elif op == "sum":
        t = t.sum()
    return {
        "name": name,
        "values": base,
        "shape": list(shape),
        "dtype": str(dtype).replace("torch.", ""),
        "requires_grad": requires_grad,
        "op": op,
        "printed": str(t),
    }


def arange(n, scale=1.0, offset=0.0):
    return [i * scale + offset for i in range(n)]


cases = [
    case("ones requiring grad", [1.0, 1.0], [2], requires_grad=True),
    case("add of a leaf", [1.0, 1.0], [2], requires_grad=True, op="add_one"),
    case("the issue's matrix", [2.0, 5.0, 10.0, 17.0], [2, 2], requires_grad=True, op="add_one"),
    case("fixed point", arange(6, 1.0 / 7.0), [2, 3]),
    case("negative fixed point", [-1.5, 2.25, -0.001, 3.0], [4]),
    case("scientific, wide range", [1e-5, 1.0, 1e5], [3]),
    case("scientific, tiny", [1e-5, 2e-5, -3.5e-5], [3]),
    case("scientific integers", [1.0, 1e9], [2]),
    case("integers with a wide range", [1.0, 2000.0, -3.0], [3]),
    case("large integers", [123456.0, -7.0], [2]),
    case("nan and infinities", [math.nan, math.inf, -math.inf, 1.5], [4]),
    case("integers and nan", [math.nan, 1.0, 2.0], [3]),
    case("only nan", [math.nan, math.nan], [2]),
    case("zeros", [0.0, 0.0, 0.0], [3]),
    case("negative zero", [-0.0, 1.0], [2]),
    case("a scalar", [3.5], []),
    case("an integer scalar", [2.0], []),
    case("a scalar with grad_fn", [1.0, 2.0, 3.5], [3], requires_grad=True, op="sum"),
    case("float64", [0.1, 0.2, 0.3], [3], dtype=torch.float64),
    case("float64 integers with grad", [1.0, 2.0], [2], dtype=torch.float64, requires_grad=True, op="mul_two"),
    case("f32 widened", [0.1, 1.0 / 3.0], [2]),
    case("a wrapping row", arange(30, 1.1), [30]),
    case("a wrapping row of a matrix", arange(40, 0.37, -3.0), [2, 20]),
    case("three dimensions", arange(24, 0.5), [2, 3, 4]),
    case("four dimensions", arange(16, 1.0), [2, 2, 2, 2]),
    case("summarised vector", arange(1001, 1.0 / 3.0), [1001]),
    case("summarised matrix", arange(2000, 0.25), [40, 50]),
    case("summarised rows only", arange(1004, 1.0), [502, 2]),
    case("summarised in three dimensions", arange(1200, 0.5, -100.0), [10, 10, 12]),
    case("a suffix on its own line", arange(12, 1234.5678), [12], requires_grad=True, op="add_one"),
    case("float64 suffix wrapping", arange(11, 1111.25), [11], dtype=torch.float64, requires_grad=True),
    case("empty", [], [0]),
    case("empty matrix", [], [2, 0]),
    case("empty float64", [], [0, 3], dtype=torch.float64),
]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"{len(cases)} cases from torch {torch.__version__} -> {out}")
