#!/usr/bin/env bash
# The whole test suite, including set-up on a fresh machine. CI runs exactly this.
#   scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo test --release --workspace --all-targets "$@"
scripts/notebooks.sh
