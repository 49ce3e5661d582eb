#!/usr/bin/env bash
# Builds bench-peers, exports the shared inputs, and runs every library at 1 and
# 2 threads, ROUNDS times in alternation (Rust peers, PyTorch, next thread count).
# Appends to results/RUN.tsv and writes results/RUN.md (tables.py).
#
#   ./run.sh [RUN_NAME]          env: ROUNDS (2), BUDGET (2.0 s per case),
#                                     PYTHON (.venv/bin/python if present,
#                                     else python3), FEATURES (dfdx)
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-peers}"
RUN="${1:-$(date +%Y%m%d-%H%M)}"
ROUNDS="${ROUNDS:-2}"
BUDGET="${BUDGET:-2.0}"
if [ -x .venv/bin/python ]; then DEFAULT_PYTHON=.venv/bin/python; else DEFAULT_PYTHON=python3; fi
PYTHON="${PYTHON:-$DEFAULT_PYTHON}"
FEATURES="${FEATURES-dfdx}"
cargo build --release ${FEATURES:+--features "$FEATURES"}
BIN="$CARGO_TARGET_DIR/release/bench-peers"
"$BIN" --export data/reference.json
mkdir -p results
OUT="results/$RUN.tsv"
LOG="results/$RUN.log"
{
  echo "# $(date -u +%FT%TZ)  $(lscpu | sed -n 's/^Model name: *//p')  $(nproc) cores"
  rustc --version
  "$PYTHON" -c 'import torch; print("torch", torch.__version__)' || true
} | tee -a "$LOG"
for round in $(seq "$ROUNDS"); do
  for t in 1 2; do
    echo "## round $round, $t thread(s), load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
    "$BIN" --threads "$t" --budget "$BUDGET" --out "$OUT" | tee -a "$LOG"
    if "$PYTHON" -c 'import torch' 2>/dev/null; then
      "$PYTHON" pytorch_bench.py --threads "$t" --budget "$BUDGET" --out "$OUT" | tee -a "$LOG"
    else
      echo "PyTorch not importable with $PYTHON: skipped" | tee -a "$LOG"
    fi
  done
done
echo "## end, load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
python3 tables.py "$OUT" > "results/$RUN.md"
cat "results/$RUN.md"
