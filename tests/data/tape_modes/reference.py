"""What PyTorch does in the cases tests/tape_modes.rs and
tests/tape_default_dtype.rs quote: in-place ops on non-leaves (grad_fn names,
gradients or the error), inference tensors, detect_anomaly's message, and
printing under a float64 default. Writes reference.json beside this file.
Run with PyTorch 2.15 (CPU): python3 reference.py"""
import json, os, warnings
import torch

warnings.simplefilter("ignore")
out = {"torch": torch.__version__}


def leaves():
    return (torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True),
            torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True))


def case(f):
    x, w = leaves()
    try:
        y = f(x, w)
        names = []
        if y.grad_fn is not None:
            names = [y.grad_fn.name()] + [n.name() for n, _ in y.grad_fn.next_functions if n is not None]
        y.sum().backward()
        g = lambda t: None if t.grad is None else t.grad.tolist()
        return {"grad_fn": names, "x_grad": g(x), "w_grad": g(w)}
    except RuntimeError as e:
        return {"error": str(e).split("\n")[0]}


def mul3_mul2(x, w):
    y = x * 3; y.mul_(2); return y
def sin_add(x, w):
    y = x.sin(); y.add_(1); return y
def xx_mul2(x, w):
    y = x * x; y.mul_(2.0); return y
def mul_w(x, w):
    y = x * 1; y.mul_(w); return y
def div_w(x, w):
    y = x * 3; y.div_(w); return y
def sub_w_add(x, w):
    y = x * 3; y.sub_(w).add_(2.0); return y
def div2(x, w):
    y = x * 3; y.div_(2.0); return y
def consumer_before(x, w):
    y = x * 3; z = y + 1; y.mul_(2); return z + y
def exp_mul(x, w):
    y = x.exp(); y.mul_(2); return y
def tanh_add(x, w):
    y = x.tanh(); y.add_(1); return y
def leaf_mul(x, w):
    x.mul_(2.0); return x

out["inplace"] = {f.__name__: case(f) for f in [
    mul3_mul2, sin_add, xx_mul2, mul_w, div_w, sub_w_add, div2, consumer_before,
    exp_mul, tanh_add, leaf_mul]}

# inference mode
inf = {}
x = torch.ones(2, requires_grad=True)
n = torch.ones(2)
with torch.inference_mode():
    c = torch.ones(2) * 3
    v = x.detach()
    with torch.enable_grad():
        e = x * 2
    inf["enable_grad_inside_records"] = e.requires_grad
    c.mul_(2)
    n.add_(1)
inf["is_inference"] = {"created": c.is_inference(), "view_of_normal": v.is_inference()}
inf["normal_version_after_inplace_inside"] = n._version
for name, f in [("add", lambda: x + c), ("mul", lambda: x * c),
                ("inplace", lambda: c.add_(1)), ("requires_grad", lambda: c.requires_grad_())]:
    try:
        r = f()
        inf[name] = {"grad_fn": None if r.grad_fn is None else r.grad_fn.name()}
    except RuntimeError as e:
        inf[name] = {"error": str(e).split(".")[0]}
out["inference_mode"] = inf

# detect_anomaly
anomaly = {}
for name, shape in [("array", [0.0, 0.0]), ("scalar", 0.0)]:
    a = torch.tensor(shape, dtype=torch.float64, requires_grad=True)
    with torch.autograd.detect_anomaly():
        try:
            (a / a).sum().backward()
        except RuntimeError as e:
            anomaly["div_" + name] = str(e)
x = torch.tensor([0.0, 4.0], requires_grad=True)
with torch.autograd.detect_anomaly():
    try:
        (x.sqrt() * 0.0).sum().backward()
    except RuntimeError as e:
        anomaly["sqrt"] = str(e)
b = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
(b / b).sum().backward()
anomaly["without_mode_grad"] = [str(v) for v in b.grad.tolist()]
out["detect_anomaly"] = anomaly

# default dtype
torch.set_default_dtype(torch.float64)
out["default_float64"] = {
    "float64": str(torch.tensor([1.5, 2.0])),
    "float32": str(torch.tensor([1.5, 2.0], dtype=torch.float32)),
    "zeros": str(torch.zeros(2).dtype),
    "linear_weight": str(torch.nn.Linear(2, 3).weight.dtype),
}
torch.set_default_dtype(torch.float32)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
