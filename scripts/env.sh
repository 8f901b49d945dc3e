# Source this file (`. scripts/env.sh`) to get the environment every vtrial build uses:
#   VTRIAL_CACHE      where set-up keeps downloads, libtorch and the build (default ~/.cache/vtrial)
#   CARGO_TARGET_DIR  one persistent target directory outside the work tree, so DuckDB's C++
#                     (~30 min cold) is built once per machine, not once per checkout
#   LIBTORCH          the CPU libtorch assembled by scripts/setup-libtorch.sh; the binaries
#                     carry an rpath to it, so running them needs nothing set
# It also assembles libtorch if it is missing (idempotent, cached).
export VTRIAL_CACHE="${VTRIAL_CACHE:-$HOME/.cache/vtrial}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$VTRIAL_CACHE/target}"
export LIBTORCH="$VTRIAL_CACHE/libtorch-2.13.0"
# Test and benchmark binaries of crates that link libtorch find it here (the `vtrial` binary
# and vtrial-cohort's tests carry an rpath and need nothing).
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# torch-sys must not look for a Python torch: it uses $LIBTORCH.
unset LIBTORCH_USE_PYTORCH
"$(dirname "${BASH_SOURCE[0]}")/setup-libtorch.sh" "$LIBTORCH"
