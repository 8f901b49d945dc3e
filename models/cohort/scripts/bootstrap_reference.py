"""Two reference points for a fresh split's holdout detection (models/cohort/README.md §4,
"In-sample detection, and a memorising reference").

For each split directory written by fresh_splits.sh (fit.csv, holdout.csv, neural.csv,
copula.csv) this script
  1. writes boot.csv: 20,000 rows drawn with replacement from fit.csv (the training part's
     exact empirical distribution), to be evaluated like a generator:
         vtrial cohort evaluate --real D/holdout.csv --synthetic D/boot.csv --train D/fit.csv
  2. prints, for the holdout, the training rows, both generators and the bootstrap, the median
     distance from each of 342 rows to its nearest neighbour among the same 342 (mean over
     five subsamples): continuous columns (numeric with more than 12 distinct values in
     fit.csv) scaled by the training SD, 0/1 mismatch for categories and for missingness.

Usage (numpy and pandas: the notebooks' virtual environment has them):
    ~/.cache/vtrial/venv-notebooks/bin/python models/cohort/scripts/bootstrap_reference.py OUT_DIR/split-41 ...
"""
import sys
import zlib

import numpy as np
import pandas as pd

SUBSAMPLE = 342
REPEATS = 5
# Generated cohorts name the record's columns; the training file may use its own names for
# them (NHEFS: ht, wt71). The same mapping as `vtrial cohort evaluate`'s.
RECORD_NAMES = {"ht": "height", "wt71": "weight"}


def features(frame, fit):
    """Column-wise features over fit.csv's columns (identifier `seqn` left out)."""
    parts = []
    for c in (c for c in fit.columns if c != "seqn"):
        name = c if c in frame.columns else RECORD_NAMES.get(c)
        if name not in frame.columns:
            sys.exit(f"column {c} of fit.csv is missing from a compared file (its columns: {', '.join(frame.columns)})")
        if pd.api.types.is_numeric_dtype(fit[c]) and fit[c].nunique() > 12:
            parts.append(("num", pd.to_numeric(frame[name], errors="coerce").to_numpy() / fit[c].std()))
        else:
            parts.append(("cat", frame[name].astype(str).to_numpy()))
    return parts


def nearest_neighbour(parts, n):
    """Distance from each row to its nearest other row."""
    d2 = np.zeros((n, n))
    for kind, v in parts:
        a, b = v[:, None], v[None, :]
        if kind == "num":
            missing_a, missing_b = np.isnan(a), np.isnan(b)
            d2 += np.where(missing_a | missing_b, (missing_a != missing_b).astype(float), (a - b) ** 2)
        else:
            d2 += (a != b).astype(float)
    d = np.sqrt(d2)
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1)


def main(dirs):
    for d in dirs:
        rng = np.random.default_rng(zlib.crc32(d.rstrip("/").split("/")[-1].encode()))
        fit = pd.read_csv(f"{d}/fit.csv")
        boot = fit.iloc[np.random.default_rng(1).integers(0, len(fit), 20_000)]
        boot.to_csv(f"{d}/boot.csv", index=False)
        files = {"holdout": f"{d}/holdout.csv", "training rows": f"{d}/fit.csv", "neural": f"{d}/neural.csv",
                 "copula": f"{d}/copula.csv", "bootstrap": f"{d}/boot.csv"}
        out = []
        for name, path in files.items():
            frame = pd.read_csv(path)
            medians = []
            for _ in range(REPEATS):
                sub = frame.iloc[rng.choice(len(frame), SUBSAMPLE, replace=False)].reset_index(drop=True)
                medians.append(np.median(nearest_neighbour(features(sub, fit), SUBSAMPLE)))
            out.append(f"{name} {np.mean(medians):.3f}")
        print(f"{d}: median nearest-neighbour distance within {SUBSAMPLE} rows: " + ", ".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
