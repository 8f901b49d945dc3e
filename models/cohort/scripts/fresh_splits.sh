#!/usr/bin/env bash
# The cohort evaluation on fresh random 70/30 splits of nhefs-train.csv (README, "twenty fresh
# random splits"): for each split seed, train on the fit part with the shipped settings,
# sample 20,000 patients (sampling seed 1) from the NADE and from the copula, and evaluate
# both, and the training rows themselves, against the split's holdout.
# Also evaluates each generator against its own training rows (in-sample detection: does the
# classifier tell the generated patients from the rows the model was fitted to?).
#
# Usage: models/cohort/scripts/fresh_splits.sh [OUT_DIR] [SPLIT_SEED ...]   (default: 1 2 3 4 5)
# About 20 s per split on the idle 2-core machine. Needs the release build (scripts/env.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
. "$root/scripts/env.sh" > /dev/null
vtrial="$CARGO_TARGET_DIR/release/vtrial"
data="$root/../shared/reference-data"
out="${1:-fresh-splits}"
shift || true
seeds=("${@:-1 2 3 4 5}")
for s in ${seeds[*]}; do
  d="$out/split-$s"
  mkdir -p "$d"
  "$vtrial" cohort split --data "$data/nhefs-train.csv" --fraction 0.3 --seed "$s" --train-out "$d/fit.csv" --holdout-out "$d/holdout.csv"
  "$vtrial" cohort train --data "$d/fit.csv" --creatinine-data "$data/flchain-train.csv" --out "$d/model.safetensors"
  for g in neural copula; do
    "$vtrial" cohort sample --model "$d/model.safetensors" --n 20000 --seed 1 --generator "$g" --out "$d/$g.csv"
    "$vtrial" cohort evaluate --real "$d/holdout.csv" --synthetic "$d/$g.csv" --train "$d/fit.csv" > "$d/$g.txt"
    "$vtrial" cohort evaluate --real "$d/fit.csv" --synthetic "$d/$g.csv" > "$d/$g-in-sample.txt"
  done
  "$vtrial" cohort evaluate --real "$d/holdout.csv" --synthetic "$d/fit.csv" --train "$d/fit.csv" > "$d/ceiling.txt"
  echo "split $s:"
  for g in neural copula ceiling neural-in-sample copula-in-sample; do
    printf '  %-16s %s\n' "$g" "$(grep -E 'detection AUC|DCR share|KS \(continuous\)' "$d/$g.txt" | tr '\n' ' ')"
  done
done
