#!/usr/bin/env bash
# Runs GradBench's evals against autograd's two variants and GradBench's own
# manual (C++), PyTorch and JAX tools, one thread each, and writes a table.
#
#   GRADBENCH=/path/to/gradbench bench-peers/gradbench/run.sh [EVAL..]
#
# GRADBENCH is a checkout of github.com/gradbench/gradbench (any commit with
# crates/gradbench, python/gradbench and tools/manual). Nothing is downloaded:
# cargo builds run with --offline, the Python side must already be installed.
#
# Environment (all optional):
#   TOOLS          tools to run (default: autograd-static autograd-tape manual pytorch jax)
#   GRADBENCH_CLI  a built `gradbench` CLI; default: build crates/gradbench of the
#                  checkout into $GRADBENCH_TARGET (default $GRADBENCH/target)
#   PYTHON         python interpreter when uv is absent (default python3)
#   OUT            log directory (default bench-peers/gradbench/results/logs)
#   MIN_SECONDS    passed to every eval as --min-seconds (the evals' default is 1)
#   TIMEOUT        seconds the CLI waits for one tool response (default 600)
#   CARGO_LOCK     a lock file: every cargo command runs under `flock CARGO_LOCK`
#                  (for a machine whose builds share a lock)
#   DET_SIZES      det's sizes (default "5 6 7 8 9": the tape's graph has about
#                  e * ell! nodes, and ell = 10, 11 need gigabytes)
#   LSTM_L, LSTM_C lstm's layer counts and sequence lengths (default: the eval's,
#                  l in 2 4 6 and c in 1024 4096 8192)
#   GMM_ARGS       gmm's arguments (default none: d in 2 10 20 32 64, K in 5 10 25 50
#                  100), e.g. "-d 32 64 -k 50 100"
#   HT_ARGS        ht's arguments (default none: --model big --variant complicated,
#                  hands 1..12), e.g. "--variant simple --max 8"
#
# Each run is `gradbench run --eval "PY evals/EVAL/run.py ..." --tool "CMD"` in
# the checkout, where PY is `uv run --no-sync` if uv is there and otherwise
# `$PYTHON` with PYTHONPATH=python/gradbench. The evals validate every answer
# against the manual tool's binaries (tools/manual/bin/EVAL), built here with
# make if missing (saddle and particle, which manual lacks, check against the
# values their run.py holds); its JSON header is nlohmann/json.hpp (Debian:
# nlohmann-json3-dev), found through CPATH when cpp/json.hpp is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
die() { echo "run.sh: $*" >&2; exit 1; }

[ -n "${GRADBENCH:-}" ] || die "set GRADBENCH to a GradBench checkout"
GRADBENCH="$(cd "$GRADBENCH" && pwd)"
for p in crates/gradbench/Cargo.toml python/gradbench/gradbench/eval.py tools/manual/Makefile; do
  [ -e "$GRADBENCH/$p" ] || die "$GRADBENCH is not a GradBench checkout (no $p)"
done
command -v cargo >/dev/null || die "cargo not found"
cargo=(cargo)
[ -n "${CARGO_LOCK:-}" ] && cargo=(flock "$CARGO_LOCK" cargo)
command -v make >/dev/null || die "make not found (it builds GradBench's manual tool)"
command -v c++ >/dev/null || die "a C++ compiler (c++) is needed for GradBench's manual tool"

ours=(hello llsq lse det gmm ba ht kmeans ode saddle particle lstm)  # what autograd-gradbench implements
static_ours=(hello llsq lse ba ht kmeans saddle particle lstm)      # ... of which autograd-static
evals=("$@")
[ ${#evals[@]} -eq 0 ] && evals=("${ours[@]}")
read -r -a tools <<< "${TOOLS:-autograd-static autograd-tape manual pytorch jax}"
out="${OUT:-$here/results/logs}"
timeout="${TIMEOUT:-600}"
min_seconds=()
[ -n "${MIN_SECONDS:-}" ] && min_seconds=(--min-seconds "$MIN_SECONDS")

# One thread everywhere.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export JAX_PLATFORMS=cpu

# Python: uv if present, else an interpreter with the packages installed.
if command -v uv >/dev/null; then
  py=(uv run --no-sync)
else
  py=("${PYTHON:-python3}")
  command -v "${py[0]}" >/dev/null || die "neither uv nor ${py[0]} found"
  export PYTHONPATH="$GRADBENCH/python/gradbench${PYTHONPATH:+:$PYTHONPATH}"
  "${py[0]}" -c 'import numpy, scipy, pydantic, dataclasses_json' 2>/dev/null ||
    die "${py[0]} lacks numpy, scipy, pydantic or dataclasses-json (GradBench's evals need them): pip install numpy scipy pydantic dataclasses-json"
fi

# Whether GradBench's tools/TOOL/evals.txt lists EVAL (a line "EVAL" or
# "EVAL OUTCOME", the outcome GradBench expects when it is not success).
listed() { awk '{print $1}' "$GRADBENCH/tools/$1/evals.txt" | grep -qx "$2"; }

# The manual tool's JSON header.
if [ ! -e "$GRADBENCH/cpp/json.hpp" ]; then
  if [ -e /usr/include/nlohmann/json.hpp ]; then
    export CPATH="/usr/include/nlohmann${CPATH:+:$CPATH}"
  else
    die "no nlohmann/json.hpp: apt-get install nlohmann-json3-dev (or put json.hpp in $GRADBENCH/cpp)"
  fi
fi
for eval in "${evals[@]}"; do
  listed manual "$eval" || continue
  if [ ! -x "$GRADBENCH/tools/manual/bin/$eval" ]; then
    echo "run.sh: building GradBench's manual/$eval (the evals' reference)" >&2
    make -s -C "$GRADBENCH/tools/manual" "bin/$eval" || die "building tools/manual/bin/$eval failed"
  fi
done

# GradBench's CLI.
if [ -n "${GRADBENCH_CLI:-}" ]; then
  cli="$GRADBENCH_CLI"
else
  target="${GRADBENCH_TARGET:-$GRADBENCH/target}"
  (cd "$GRADBENCH/crates/gradbench" && CARGO_TARGET_DIR="$target" "${cargo[@]}" build --release --offline -q) ||
    die "building GradBench's CLI failed (with --offline: run 'cargo fetch' in $GRADBENCH once)"
  cli="$target/release/gradbench"
fi
[ -x "$cli" ] || die "no GradBench CLI at $cli"

# Our tool.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
(cd "$here" && "${cargo[@]}" build --release --offline -q) ||
  die "building autograd-gradbench failed (with --offline: run 'cargo fetch' in $here once)"
bin="$CARGO_TARGET_DIR/release/autograd-gradbench"

has_python_module() { (cd "$GRADBENCH" && "${py[@]}" -c "import $1" 2>/dev/null); }


# The command for a tool, or nothing when it is missing or lacks the eval.
tool_cmd() {
  local tool="$1" eval="$2"
  case "$tool" in
    autograd-static)
      [[ " ${static_ours[*]} " == *" $eval "* ]] && echo "$bin autograd-static" ;;
    autograd-tape)
      [[ " ${ours[*]} " == *" $eval "* ]] && echo "$bin autograd-tape" ;;
    manual)
      listed manual "$eval" &&
        echo "${py[*]} python/gradbench/gradbench/cpp.py manual" ;;
    pytorch | jax)
      listed "$tool" "$eval" &&
        echo "${py[*]} python/gradbench/gradbench/tools/$tool/run.py" ;;
    *) echo "run.sh: unknown tool $tool" >&2 ;;
  esac
  return 0
}

for tool in "${tools[@]}"; do
  case "$tool" in
    pytorch) has_python_module torch || { echo "run.sh: skipping pytorch: python has no torch" >&2; tools=("${tools[@]/pytorch}"); } ;;
    jax) has_python_module jax || { echo "run.sh: skipping jax: python has no jax" >&2; tools=("${tools[@]/jax}"); } ;;
  esac
done

mkdir -p "$out"
cd "$GRADBENCH"
for eval in "${evals[@]}"; do
  args=()
  [ "$eval" = det ] && read -r -a args <<< "-l ${DET_SIZES:-5 6 7 8 9}"
  [ "$eval" = gmm ] && read -r -a args <<< "${GMM_ARGS:-}"
  [ "$eval" = ht ] && read -r -a args <<< "${HT_ARGS:-}"
  if [ "$eval" = lstm ]; then
    [ -n "${LSTM_L:-}" ] && read -r -a lstm_l <<< "-l $LSTM_L" && args+=("${lstm_l[@]}")
    [ -n "${LSTM_C:-}" ] && read -r -a lstm_c <<< "-c $LSTM_C" && args+=("${lstm_c[@]}")
  fi
  for tool in "${tools[@]}"; do
    [ -n "$tool" ] || continue
    cmd="$(tool_cmd "$tool" "$eval")"
    if [ -z "$cmd" ]; then
      echo "== $eval, $tool: not implemented by the tool, skipped" >&2
      continue
    fi
    mkdir -p "$out/$eval"
    echo "== $eval, $tool ($(date -u +%H:%M:%S))" >&2
    "$cli" run --timeout "$timeout" \
      --eval "${py[*]} python/gradbench/gradbench/evals/$eval/run.py ${args[*]} ${min_seconds[*]}" \
      --tool "$cmd" \
      -o "$out/$eval/$tool.jsonl" > "$out/$eval/$tool.txt" 2>&1 ||
      echo "run.sh: $eval with $tool exited non-zero (see $out/$eval/$tool.txt)" >&2
    tail -n 1 "$out/$eval/$tool.txt" >&2
  done
done

"${PYTHON:-python3}" "$here/table.py" "$out" > "$out/table.md"
echo "logs in $out, table in $out/table.md" >&2
