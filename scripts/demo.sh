#!/usr/bin/env bash
# The main job, including set-up on a fresh machine: builds vtrial (release), runs the
# phase 2 dose-ranging scenario (4 sweep points x 1,000 trials) into an embedded DuckDB file
# and prints its summary, then simulates the shipped theophylline study with `vtrial pk`.
#   scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# The same package selection as the test command, so that both share one set of artifacts
# (a narrower `-p vtrial-cli` can resolve build-script features differently and compile
# DuckDB's C++ a second time).
cargo build --release --workspace --all-targets
mkdir -p out
rm -f out/run.duckdb out/run.duckdb.wal
"$CARGO_TARGET_DIR/release/vtrial" run scenarios/phase2-dose-ranging.toml --db out/run.duckdb
"$CARGO_TARGET_DIR/release/vtrial" pk \
    --data scenarios/examples/theoph/theoph.csv \
    --model scenarios/validation/theoph-pinheiro-bates.toml \
    --out out/theoph-sim.csv --seed 1
head -n 5 out/theoph-sim.csv
