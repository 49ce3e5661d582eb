#!/usr/bin/env python3
"""Turns the logs of run.sh (DIR/EVAL/TOOL.jsonl, GradBench's log format) into
markdown tables on stdout.

    python3 table.py DIR

Per eval, size (the eval's description of the input) and tool: the objective's
and the derivative's time, each the mean of the tool's "evaluate" timings for
that message (as GradBench's own scorer takes them), their ratio, and whether
GradBench's analysis validated both answers. A second table puts the tools side
by side against issue #15's targets.
"""

import json
import sys
from pathlib import Path

# Which function of an eval is the objective and which the derivative.
ROLE = {
    "primal": "obj",
    "objective": "obj",
    "square": "obj",
    "gradient": "der",
    "jacobian": "der",
    "double": "der",
    "cost": "obj",
    "dir": "der",
}
# The evals whose four functions are the same computation in four combinations
# of AD modes (saddle, particle): one table of their own.
MODES = ["rr", "rf", "fr", "ff"]
TOOL_ORDER = ["autograd-static", "autograd-tape", "manual", "pytorch", "jax"]


def read_log(path):
    """{description: {role: {"ns": mean or None, "valid": bool or None, "error": str}}}"""
    pending = {}  # message id -> (description, role)
    by_id = {}
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            if "message" in entry:
                m = entry["message"]
                if m.get("kind") == "evaluate":
                    desc = m.get("description")
                    if desc is None:  # hello: one row for all its messages
                        desc = "all"
                    role = ROLE.get(m.get("function"), m.get("function"))
                    pending[m["id"]] = (desc, role)
                    if desc not in rows:
                        rows[desc] = {}
                        order.append(desc)
                elif m.get("kind") == "analysis":
                    key = by_id.get(m["of"])
                    if key is not None:
                        cell = rows[key[0]][key[1]]
                        cell["valid"] = m.get("valid") and cell["valid"] is not False
                        if not m.get("valid"):
                            cell["error"] = (m.get("error") or "")[:200]
            elif "response" in entry:
                r = entry["response"]
                if r.get("id") in pending:
                    desc, role = pending.pop(r["id"])
                    ts = [
                        t["nanoseconds"]
                        for t in r.get("timings") or []
                        if t.get("name") == "evaluate"
                    ]
                    cell = {
                        "ns": sum(ts) / len(ts) if ts else None,
                        "valid": None,
                        "error": None if r.get("success") else (r.get("error") or "failed")[:200],
                    }
                    # hello evaluates each function several times: one cell
                    # for all, its time the mean of the messages' means.
                    old = rows[desc].get(role)
                    if old is not None:
                        cell["n"] = old.get("n", 1) + 1
                        if old["ns"] is not None and cell["ns"] is not None:
                            cell["ns"] = old["ns"] + (cell["ns"] - old["ns"]) / cell["n"]
                        cell["error"] = old["error"] or cell["error"]
                        cell["valid"] = old["valid"]
                    rows[desc][role] = cell
                    by_id[r["id"]] = (desc, role)
    # A message without a response: the tool crashed or timed out.
    for desc, role in pending.values():
        rows[desc][role] = {"ns": None, "valid": None, "error": "no response (crash or timeout)"}
    return order, rows


def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.3g}"


def validated(cells):
    if not cells or any(c.get("error") for c in cells):
        return "no (" + next((c["error"] for c in cells if c.get("error")), "missing").splitlines()[0] + ")"
    if all(c.get("valid") for c in cells):
        return "yes"
    return "no"


def main():
    root = Path(sys.argv[1])
    data = {}  # eval -> tool -> (order, rows)
    for eval_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for log in sorted(eval_dir.glob("*.jsonl")):
            data.setdefault(eval_dir.name, {})[log.stem] = read_log(log)

    def tools_of(ev):
        ts = list(data[ev])
        return sorted(ts, key=lambda t: (TOOL_ORDER.index(t) if t in TOOL_ORDER else 99, t))

    def sizes_of(ev):
        seen = []
        for t in tools_of(ev):
            for d in data[ev][t][0]:
                if d not in seen:
                    seen.append(d)
        return seen

    def is_modes(ev):
        return any(
            set(row) & set(MODES) for t in data[ev] for row in data[ev][t][1].values()
        )

    print("| eval | size | tool | objective | derivative | derivative / objective | validated |")
    print("|---|---|---|---|---|---|---|")
    for ev in data:
        if is_modes(ev):
            continue
        for size in sizes_of(ev):
            for t in tools_of(ev):
                row = data[ev][t][1].get(size)
                if row is None:
                    continue
                o, d = row.get("obj", {}), row.get("der", {})
                cells = [c for c in (row.get("obj"), row.get("der")) if c is not None]
                print(
                    f"| {ev} | {size} | {t} | {fmt_time(o.get('ns'))} | {fmt_time(d.get('ns'))} "
                    f"| {fmt_ratio(d.get('ns'), o.get('ns'))} | {validated(cells)} |"
                )

    print()
    print("Targets, derivative times side by side (ratios: static / manual, ")
    print("pytorch / tape (above 1: the tape is faster), tape / jax; '-' where a tool")
    print("has no such eval or size; only validated answers are compared):")
    print()
    print("| eval | size | manual | static | static / manual | tape | pytorch | pytorch / tape | jax | tape / jax | best der/obj (tool) | static der/obj |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for ev in data:
        if ev == "hello" or is_modes(ev):
            continue
        for size in sizes_of(ev):
            der, ratio = {}, {}
            for t in tools_of(ev):
                row = data[ev][t][1].get(size)
                if row is None or validated([c for c in (row.get("obj"), row.get("der")) if c]) != "yes":
                    continue
                o, d = row.get("obj", {}).get("ns"), row.get("der", {}).get("ns")
                der[t] = d
                if o and d:
                    ratio[t] = d / o
            best = min(ratio.items(), key=lambda kv: kv[1]) if ratio else None
            g = der.get
            print(
                f"| {ev} | {size} | {fmt_time(g('manual'))} | {fmt_time(g('autograd-static'))} "
                f"| {fmt_ratio(g('autograd-static'), g('manual'))} | {fmt_time(g('autograd-tape'))} "
                f"| {fmt_time(g('pytorch'))} | {fmt_ratio(g('pytorch'), g('autograd-tape'))} "
                f"| {fmt_time(g('jax'))} | {fmt_ratio(g('autograd-tape'), g('jax'))} "
                f"| {f'{best[1]:.3g} ({best[0]})' if best else '-'} "
                f"| {fmt_ratio(ratio.get('autograd-static'), 1) if 'autograd-static' in ratio else '-'} |"
            )

    mode_evals = [ev for ev in data if is_modes(ev)]
    if mode_evals:
        print()
        print("Nested AD (each function the whole computation; outer mode, then inner):")
        print()
        print("| eval | size | tool | " + " | ".join(MODES) + " | validated |")
        print("|---|---|---|" + "---|" * len(MODES) + "---|")
        for ev in mode_evals:
            for size in sizes_of(ev):
                for t in tools_of(ev):
                    row = data[ev][t][1].get(size)
                    if row is None:
                        continue
                    cells = [row[m] for m in MODES if m in row]
                    times = " | ".join(fmt_time(row.get(m, {}).get("ns")) for m in MODES)
                    print(f"| {ev} | {size} | {t} | {times} | {validated(cells)} |")


if __name__ == "__main__":
    main()
