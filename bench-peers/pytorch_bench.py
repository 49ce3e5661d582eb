#!/usr/bin/env python3
"""W1-W5 in PyTorch CPU, on the inputs and parameters that `bench-peers --export`
writes, with each gradient checked against ours before it is timed.

    cargo run --release -- --export data/reference.json
    python3 pytorch_bench.py --threads 1 [--budget 1.0] [--out results/run.tsv]

Timing mirrors src/harness.rs: warm-up of 0.2 s (at least 3 calls), then samples of
~2 ms (at least one call each) until the budget is spent (11 to 1001 samples);
reported: the median and the minimum per-call time.
"""

import argparse
import json
import os
import time

import torch
import torch.nn.functional as F


def timeit(f, budget):
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < 0.2:
        f()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    k = max(1, int(-(-2e-3 // per_call)))
    times = []
    t0 = time.perf_counter()
    while len(times) < 11 or (time.perf_counter() - t0 < budget and len(times) < 1001):
        s = time.perf_counter_ns()
        for _ in range(k):
            f()
        times.append((time.perf_counter_ns() - s) / k)
    times.sort()
    return times[len(times) // 2], times[0], len(times)


def fmt_ns(ns):
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} us"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def check(loss, grads, ref, rtol):
    """Same rule as data::check: loss relative error, and each gradient's max error
    relative to the reference array's max magnitude."""
    worst = abs(loss - ref["loss"]) / max(abs(ref["loss"]), 1e-30)
    if not worst <= rtol:
        raise AssertionError(f"loss {loss} vs ours {ref['loss']}")
    if len(grads) != len(ref["grads"]):
        raise AssertionError(f"{len(grads)} gradients vs ours {len(ref['grads'])}")
    for i, (g, r) in enumerate(zip(grads, ref["grads"])):
        g = g.detach().to(torch.float64).flatten()
        r = torch.tensor(r, dtype=torch.float64)
        if g.numel() != r.numel():
            raise AssertionError(f"gradient {i}: {g.numel()} values vs ours {r.numel()}")
        err = ((g - r).abs().max() / r.abs().max().clamp_min(1e-30)).item()
        if not err <= rtol:
            raise AssertionError(f"gradient {i}: relative max error {err:.3e} > {rtol:.0e}")
        worst = max(worst, err)
    return worst


def tensor(a, dtype, shape=None, grad=False):
    t = torch.tensor(a["data"], dtype=dtype).reshape(shape if shape is not None else a["shape"])
    return t.requires_grad_(grad)


# ----------------------------------------------------------------- W1-W3


def w1(d):
    f64 = torch.float64
    w, b = (tensor(p, f64, [], True) for p in d["params"])
    t_u = torch.tensor(d["t_u"], dtype=f64)
    t_c = torch.tensor(d["t_c"], dtype=f64)
    params = [w, b]
    return params, lambda: ((t_u * w + b - t_c) ** 2).mean()


def w2(d):
    w, b = (tensor(p, torch.float64, [], True) for p in d["params"])
    x, y = d["x"], d["y"]
    return [w, b], lambda: (y - torch.tanh(w * x + b)) ** 2


def w3(d):
    f64 = torch.float64
    shapes = [[16, 4], [16, 1], [16, 16], [16, 1], [1, 16], [1, 1]]
    w1, b1, w2, b2, w3, b3 = (tensor(p, f64, s, True) for p, s in zip(d["params"], shapes))
    x = torch.tensor(d["x"], dtype=f64).reshape(4, 1)
    y = d["y"]

    def loss():
        h1 = torch.tanh(w1 @ x + b1)
        h2 = torch.tanh(w2 @ h1 + b2)
        return ((w3 @ h2 + b3 - y) ** 2).sum()

    return [w1, b1, w2, b2, w3, b3], loss


def gradient_case(make, d, name):
    params, loss_fn = make(d)

    def grads():
        loss = loss_fn()
        loss.backward()
        g = [p.grad.clone() for p in params]
        for p in params:
            p.grad = None
        return loss.item(), g

    def run():
        loss_fn().backward()
        for p in params:
            p.grad = None

    return name, "backward", grads, run


# ----------------------------------------------------------------- W4-W5


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class LeNet(torch.nn.Module):
    def __init__(self, flat):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 3)
        self.conv2 = torch.nn.Conv2d(6, 16, 3)
        self.fc1 = torch.nn.Linear(flat, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def train_case(name, d, make_model):
    def fresh():
        model = make_model()
        named = dict(model.named_parameters())
        with torch.no_grad():
            for a in d["params"]:
                named[a["name"]].copy_(tensor(a, torch.float32))
        return model

    x = tensor({"data": d["x"], "shape": d["x_shape"]}, torch.float32)
    y = torch.tensor(d["labels"], dtype=torch.int64)
    order = [a["name"] for a in d["params"]]

    def grads():
        model = fresh()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        named = dict(model.named_parameters())
        return loss.item(), [named[n].grad for n in order]

    model = fresh()
    opt = torch.optim.SGD(model.parameters(), lr=d["lr"])

    def run():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return name, "module+SGD", grads, run


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget", type=float, default=1.0)
    ap.add_argument("--data", default=os.path.join(here, "data", "reference.json"))
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.data) as f:
        data = json.load(f)
    flat = data["W5"]["params"][4]["shape"][1]
    cases = [
        gradient_case(w1, data["W1"], "W1"),
        gradient_case(w2, data["W2"], "W2"),
        gradient_case(w3, data["W3"], "W3"),
        train_case("W4", data["W4"], Mlp),
        train_case("W5", data["W5"], lambda: LeNet(flat)),
    ]
    print(f"torch {torch.__version__}  threads: {torch.get_num_threads()}  budget per case: {a.budget} s")
    print(f"{'case':<34} {'median':>12} {'min':>12} {'samples':>8}  check")
    out = None
    if a.out:
        new = not os.path.exists(a.out)
        out = open(a.out, "a")
        if new:
            out.write("threads\tworkload\tlib\tvariant\tmedian_ns\tmin_ns\tsamples\tcheck\n")
    for workload, variant, grads, run in cases:
        name = f"{workload}/pytorch/{variant}"
        if a.only and not any(s in name for s in a.only):
            continue
        rtol = 1e-3 if workload in ("W4", "W5") else 1e-9
        try:
            loss, g = grads()
            err = check(loss, g, data[workload]["reference"], rtol)
            med, mn, n = timeit(run, a.budget)
            status = f"ok {err:.1e}"
            print(f"{name:<34} {fmt_ns(med):>12} {fmt_ns(mn):>12} {n:>8}  {status}")
        except AssertionError as e:
            med, mn, n, status = float("nan"), float("nan"), 0, f"REFUSED: {e}"
            print(f"{name:<34} {'-':>12} {'-':>12} {'-':>8}  {status}")
        if out:
            out.write(f"{a.threads}\t{workload}\tpytorch\t{variant}\t{med:.1f}\t{mn:.1f}\t{n}\t{status}\n")


if __name__ == "__main__":
    main()
