#!/usr/bin/env bash
# Runs GradBench's evals against autograd's two variants.
#
#   GRADBENCH=/path/to/gradbench bench-peers/gradbench/run.sh [EVAL..]
#
# GRADBENCH is a checkout of github.com/gradbench/gradbench; nothing is
# downloaded. GradBench's CLI (`./gradbench`, a Rust program in that checkout)
# pipes an eval's messages to a tool and back; a tool is any command, so ours is
#
#   ./gradbench run --eval "./gradbench repo eval hello" \
#                   --tool "$BIN autograd-static"
#
# `repo eval` runs the eval's Docker image; without Docker the eval is its
# Python script, run with `uv run` from the checkout
# (`--eval "uv run python/gradbench/gradbench/evals/hello/run.py"`), which
# validates answers against GradBench's C++ `manual` tool (built by
# `make -C cpp` and `make -C tools/manual` there). This script uses the Python
# form and fails with a message when any of that is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${GRADBENCH:-}" ] || [ ! -x "$GRADBENCH/gradbench" ]; then
  echo "run.sh: set GRADBENCH to a GradBench checkout (with its ./gradbench script)" >&2
  exit 1
fi
for cmd in uv make; do
  if ! command -v "$cmd" >/dev/null; then
    echo "run.sh: GradBench's evals need '$cmd' (Python evals run with uv, the reference tool is built with make); not found" >&2
    exit 1
  fi
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
(cd "$here" && cargo build --release)
bin="$CARGO_TARGET_DIR/release/autograd-gradbench"

# det's tape graph has about e * ell! nodes: sizes 10 and 11 need gigabytes.
declare -A args=([hello]="" [llsq]="" [lse]="" [det]="-l 5 6 7 8 9" [gmm]="" [ba]="")
evals=("$@")
[ ${#evals[@]} -eq 0 ] && evals=(hello llsq lse det gmm ba)

out="$here/results"
mkdir -p "$out"
cd "$GRADBENCH"
for eval in "${evals[@]}"; do
  for variant in autograd-static autograd-tape; do
    echo "== $eval, $variant" >&2
    ./gradbench run \
      --eval "uv run python/gradbench/gradbench/evals/$eval/run.py ${args[$eval]}" \
      --tool "$bin $variant" \
      -o "$out/$eval-$variant.jsonl" || echo "run.sh: $eval with $variant failed" >&2
  done
done
echo "logs in $out" >&2
