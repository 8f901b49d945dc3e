#!/usr/bin/env bash
# Executes every notebook in notebooks/ against small fresh runs; fails if any cell fails.
#   scripts/notebooks.sh
# Set-up, idempotent: a virtual environment with notebooks/requirements.txt in
# $VTRIAL_CACHE/venv-notebooks, made again only when requirements.txt or the Python changes.
# The runs and the executed notebooks go to a temporary folder, removed afterwards unless
# NOTEBOOKS_KEEP=1 or a notebook failed. The committed notebooks are not modified.
# Environment (all optional):
#   VTRIAL_BIN            the vtrial binary (default $CARGO_TARGET_DIR/release/vtrial, which
#                         scripts/test.sh builds)
#   PYTHON                Python >= 3.11 to make the environment with (default python3.11, else python3)
#   NOTEBOOKS_REPLICATES  trials per point of the phase 2 run (default 40)
#   VTRIAL_SAVE_FIGURES   folder to save the README figure into; the committed docs/img/power.png is
#                         NOTEBOOKS_REPLICATES=200 VTRIAL_SAVE_FIGURES=docs/img scripts/notebooks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
die() { echo "notebooks.sh: $*" >&2; exit 1; }

export VTRIAL_CACHE="${VTRIAL_CACHE:-$HOME/.cache/vtrial}"
bin="${VTRIAL_BIN:-${CARGO_TARGET_DIR:-$VTRIAL_CACHE/target}/release/vtrial}"
[ -x "$bin" ] || die "no vtrial binary at $bin: build it first (. scripts/env.sh && cargo build --release --workspace --all-targets) or set VTRIAL_BIN"

# --- Python environment ---------------------------------------------------------------------
python="${PYTHON:-}"
if [ -z "$python" ]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null; then python=$candidate; break; fi
    done
fi
[ -n "$python" ] || die "no python3 on PATH (the notebooks need Python >= 3.11; set PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$python is $("$python" --version 2>&1); the notebooks need Python >= 3.11 (set PYTHON)"

venv="$VTRIAL_CACHE/venv-notebooks"
want=$({ cat notebooks/requirements.txt; "$python" -c 'import sys; print(sys.executable, sys.version)'; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ] \
    || ! "$venv/bin/python" -c 'import duckdb, pandas, matplotlib, nbclient, ipykernel' 2>/dev/null; then
    echo "notebooks.sh: installing notebooks/requirements.txt into $venv"
    rm -rf "$venv"
    mkdir -p "$VTRIAL_CACHE"
    "$python" -m venv "$venv" \
        || die "could not create a virtual environment with $python (on Debian/Ubuntu: apt-get install python3-venv)"
    log="$VTRIAL_CACHE/venv-notebooks.pip.log"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -r notebooks/requirements.txt >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -rf "$venv"
        die "pip could not install notebooks/requirements.txt (full log: $log). Is PyPI reachable (https://pypi.org, or the index pip is configured with)?"
    fi
    # A kernel of this environment's own, so that the notebooks never run in another Python.
    "$venv/bin/python" -m ipykernel install --sys-prefix --name vtrial-notebooks --display-name "vtrial notebooks" >/dev/null
    echo "$want" >"$venv/.requirements.sha256"
fi

# --- Small runs -------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vtrial-notebooks.XXXXXX")
cleanup() {
    local status=$?
    if [ "$status" -eq 0 ] && [ "${NOTEBOOKS_KEEP:-0}" != 1 ]; then rm -rf "$tmp"; else echo "notebooks.sh: runs and executed notebooks kept in $tmp" >&2; fi
}
trap cleanup EXIT

replicates="${NOTEBOOKS_REPLICATES:-40}"
run() { # name, scenario, vtrial run arguments...
    local name=$1 scenario=$2
    shift 2
    "$bin" run "$scenario" --db "$tmp/$name.duckdb" "$@" >"$tmp/$name.log" 2>&1 \
        || { cat "$tmp/$name.log" >&2; die "vtrial run $scenario failed"; }
    tail -n 1 "$tmp/$name.log"
}
run phase2 scenarios/phase2-dose-ranging.toml --replicates "$replicates"
run phase3 scenarios/phase3-time-to-event.toml --replicates 10 --detail patient

# --- Notebooks ------------------------------------------------------------------------------
# Which run each notebook reads (VTRIAL_DB); the Kaplan–Meier one needs patient detail, the
# interim one a scenario with [design.interim] (phase 3 has one).
db_for() {
    case "$(basename "$1")" in
        kaplan_meier.ipynb | interim.ipynb) echo "$tmp/phase3.duckdb" ;;
        *) echo "$tmp/phase2.duckdb" ;;
    esac
}
unset VTRIAL_RUN_ID VTRIAL_POINT VTRIAL_REPLICATE
if [ -n "${VTRIAL_SAVE_FIGURES:-}" ]; then
    case "$VTRIAL_SAVE_FIGURES" in /*) ;; *) VTRIAL_SAVE_FIGURES="$root/$VTRIAL_SAVE_FIGURES" ;; esac
    export VTRIAL_SAVE_FIGURES
fi
export IPYTHONDIR="$tmp/ipython" # no user profile or start-up files in the kernel
mkdir -p "$tmp/executed"

failed=0
for notebook in notebooks/*.ipynb; do
    VTRIAL_DB=$(db_for "$notebook") "$venv/bin/python" - "$notebook" "$tmp/executed/$(basename "$notebook")" <<'EOF' || failed=$((failed + 1))
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, executed = sys.argv[1:3]
nb = nbformat.read(source, as_version=4)
client = NotebookClient(
    nb,
    kernel_name="vtrial-notebooks",
    timeout=600,  # per cell
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},  # cwd: notebooks/
    extra_arguments=["--IPKernelApp.log_level=ERROR"],
)
start = time.monotonic()
try:
    client.execute()
except CellExecutionError as error:
    nbformat.write(nb, executed)
    print(re.sub(r"\x1b\[[0-9;]*m", "", str(error)), file=sys.stderr)
    print(f"notebooks.sh: {source} FAILED (executed copy: {executed})", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, executed)
print(f"{source}: {len(nb.cells)} cells ran in {time.monotonic() - start:.1f} s")
EOF
done
[ "$failed" -eq 0 ] || die "$failed notebook(s) failed"
echo "notebooks.sh: all notebooks ran"
