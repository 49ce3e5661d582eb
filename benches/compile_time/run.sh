#!/usr/bin/env bash
# What `#[differentiable]` adds to the build of a library crate: generates a
# throwaway crate of N small, varied differentiable functions (scalars, vectors,
# matrices, a constant parameter, a for loop, a while loop, an if, a vector
# output) with a path dependency on this repository's `autograd`, and times its
# release and debug builds with the attribute and without it (the same functions,
# the attribute lines and `#[constant]` removed). Dependencies are built first, so
# only the crate itself is timed: `touch src/lib.rs`, then `cargo build`, the
# fastest of REPS builds. Prints the seconds the attribute adds.
#
#   benches/compile_time/run.sh [N]      # N = 100 functions by default
#
# Environment: REPS (default 2) timed builds per case; CT_DIR, a directory to
# build in and keep (its target/ then serves the next run; by default a temporary
# directory, removed at the end). CARGO_TARGET_DIR is ignored: the probe crate has
# its own target directory.
set -euo pipefail

n=${1:-100}
reps=${REPS:-2}
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -n ${CT_DIR:-} ]]; then
    dir=$CT_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
export CARGO_TARGET_DIR="$dir/target"
mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<TOML
[package]
name = "compile_time_probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
autograd = { path = "$repo" }

[workspace]
TOML

# Function i of the probe, one of ten shapes; the constant varies with i so that
# no two functions are the same.
function_source() {
    local i=$1 c
    c="0.$((i + 1))"
    case $((i % 10)) in
    0) echo "pub fn f$i(x: f64, y: f64) -> f64 { (x * y + $c).tanh() * x.exp() - y.powi(2) }" ;;
    1) echo "pub fn f$i(w: f64, b: f64, #[constant] x: f64) -> f64 { let p = (w * x + b).sin(); p * p + $c * w }" ;;
    2) echo "pub fn f$i(v: &SVector<f64, 3>, w: &SVector<f64, 3>) -> f64 { v.dot(w) * $c + v.norm() }" ;;
    3) echo "pub fn f$i(a: &SMatrix<f64, 2, 2>, x: &SVector<f64, 2>) -> f64 { (a * x).map(|s| s.tanh()).sum() + $c }" ;;
    4) echo "pub fn f$i(x: f64, a: f64) -> f64 { let mut s = x; for _k in 0..4 { s = s * a + $c; } s }" ;;
    5) echo "pub fn f$i(x: f64, y: f64) -> f64 { if x > y { x * x - y } else { y.sin() * $c } }" ;;
    6) echo "pub fn f$i(r: f64, t: f64) -> SVector<f64, 2> { Vector2::new(r * t.cos(), r * t.sin() + $c) }" ;;
    7) echo "pub fn f$i(w: &SMatrix<f64, 3, 2>, b: &SVector<f64, 3>, #[constant] x: &SVector<f64, 2>) -> f64 { (w * x + b).tanh().norm_squared() * $c }" ;;
    8) echo "pub fn f$i(x: f64) -> f64 { let (mut y, mut t) = (x, 0.0); while t < 3.0 { y = y.sin() + $c; t += 1.0; } y }" ;;
    9) echo "pub fn f$i(a: &SMatrix<f64, 2, 2>, b: &SMatrix<f64, 2, 2>) -> f64 { (a * b.transpose()).trace() + a.determinant() * $c }" ;;
    esac
}

# The probe's lib.rs, with the attribute (`with`) or without it.
write_lib() {
    {
        echo '#![allow(unused)]'
        echo 'use autograd::nalgebra::{SMatrix, SVector, Vector2};'
        echo 'use autograd::prelude::*;'
        for ((i = 0; i < n; i++)); do
            if [[ $1 == with ]]; then
                echo '#[differentiable]'
                function_source "$i"
            else
                function_source "$i" | sed 's/#\[constant\] //g'
            fi
        done
    } >"$dir/src/lib.rs"
}

# The fastest of `reps` builds of the probe alone, in seconds.
time_build() {
    local best='' t0 t1 s
    for ((r = 0; r < reps; r++)); do
        touch "$dir/src/lib.rs"
        t0=$(date +%s.%N)
        cargo build --quiet --manifest-path "$dir/Cargo.toml" "$@"
        t1=$(date +%s.%N)
        s=$(echo "$t1 - $t0" | bc)
        if [[ -z $best ]] || (($(echo "$s < $best" | bc))); then best=$s; fi
    done
    echo "$best"
}

echo "probe: $n functions in $dir (autograd from $repo), fastest of $reps builds"
for profile in release debug; do
    flags=()
    [[ $profile == release ]] && flags=(--release)
    declare -A secs
    for variant in without with; do
        write_lib "$variant"
        # Dependencies, and the probe once.
        cargo build --quiet --manifest-path "$dir/Cargo.toml" "${flags[@]}"
        secs[$variant]=$(time_build "${flags[@]}")
    done
    added=$(echo "${secs[with]} - ${secs[without]}" | bc)
    printf '%-7s without %6.2f s   with #[differentiable] %6.2f s   added %6.2f s (%.0f ms a function)\n' \
        "$profile" "${secs[without]}" "${secs[with]}" "$added" "$(echo "$added * 1000 / $n" | bc -l)"
done
