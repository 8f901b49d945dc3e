#!/usr/bin/env bash
# The main job, including set-up on a fresh machine: builds vtrial (release) and simulates
# the shipped theophylline example with its published population model.
#   scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# The same package selection as the test command, so that both share one set of artifacts
# (a narrower `-p vtrial-cli` can resolve build-script features differently and compile
# DuckDB's C++ a second time).
cargo build --release --workspace --all-targets
mkdir -p out
"$CARGO_TARGET_DIR/release/vtrial" pk \
    --data scenarios/examples/theoph/theoph.csv \
    --model scenarios/validation/theoph-pinheiro-bates.toml \
    --out out/theoph-sim.csv --seed 1
head -n 5 out/theoph-sim.csv
