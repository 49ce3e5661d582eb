#!/usr/bin/env python3
"""Markdown tables from the TSV that bench-peers and pytorch_bench.py append to.

For each (threads, workload, library, variant) the lowest of the rounds' medians
is shown (each round's median is over its samples). Ratios divide our time by the
peer's: below 1 means ours is faster."""

import csv
import math
import sys
from collections import defaultdict

LIBS = ["autograd", "hand", "num-dual", "candle", "burn-ndarray", "dfdx", "pytorch"]


def fmt(ns):
    if ns is None or math.isnan(ns):
        return "-"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} us"
    return f"{ns / 1e6:.2f} ms"


def ratio(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return "-"
    return f"{a / b:.3g}"


def main(path):
    best = {}
    checks = {}
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["threads"] == "threads":
                continue
            key = (int(r["threads"]), r["workload"], r["lib"], r["variant"])
            m = float(r["median_ns"])
            if not math.isnan(m):
                best[key] = min(best.get(key, math.inf), m)
            else:
                best.setdefault(key, math.nan)
            checks[key[1:]] = r["check"]
    threads = sorted({k[0] for k in best})
    order = {"static grad": 0, "tape": 1, "apply": 2}
    rows = sorted(
        {k[1:] for k in best},
        key=lambda k: (k[0], LIBS.index(k[1]) if k[1] in LIBS else 99, order.get(k[2], 9), k[2]),
    )

    def get(t, w, lib, var):
        return best.get((t, w, lib, var))

    head = ["workload", "library", "variant"] + [f"{t} thr" for t in threads]
    head += [f"ours tape / this, {t} thr" for t in threads]
    head += [f"ours static / this, {t} thr" for t in threads]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for w, lib, var in rows:
        cells = [w, lib, var]
        cells += [fmt(get(t, w, lib, var)) for t in threads]
        cells += [ratio(get(t, w, "autograd", "tape"), get(t, w, lib, var)) for t in threads]
        cells += [ratio(get(t, w, "autograd", "static grad"), get(t, w, lib, var)) for t in threads]
        c = checks[(w, lib, var)]
        if not c.startswith("ok"):
            cells[2] += " (not timed: " + c.split(";")[0] + ")"
        print("| " + " | ".join(cells) + " |")

    print()
    print("Targets (PyTorch's time / ours; the issue asks >= 20 on W1-W3 for the tape, >= 1 on W4-W5):")
    print()
    head = ["threads"] + [f"W{i}" for i in range(1, 6)]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for t in threads:
        cells = [f"{t}, tape"]
        for i in range(1, 6):
            py = next((v for k, v in best.items() if k[:3] == (t, f"W{i}", "pytorch")), None)
            cells.append(ratio(py, get(t, f"W{i}", "autograd", "tape")))
        print("| " + " | ".join(cells) + " |")
        cells = [f"{t}, static grad"]
        for i in range(1, 6):
            py = next((v for k, v in best.items() if k[:3] == (t, f"W{i}", "pytorch")), None)
            cells.append(ratio(py, get(t, f"W{i}", "autograd", "static grad")))
        print("| " + " | ".join(cells) + " |")

    print()
    print("Overhead targets (ours tape / hand-written, from the issue: W4 <= 1.1, W5 <= 1.2;")
    print("and ours tape / dfdx, below 1 means ours is faster):")
    print()
    head = ["threads", "W4 / hand", "W5 / hand", "W1 / dfdx", "W2 / dfdx", "W3 / dfdx", "W4 / dfdx"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for t in threads:
        tape = lambda w: get(t, w, "autograd", "tape")
        peer = lambda w, lib: next((v for k, v in best.items() if k[:3] == (t, w, lib)), None)
        cells = [str(t)]
        cells += [ratio(tape(w), peer(w, "hand")) for w in ("W4", "W5")]
        cells += [ratio(tape(w), peer(w, "dfdx")) for w in ("W1", "W2", "W3", "W4")]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
