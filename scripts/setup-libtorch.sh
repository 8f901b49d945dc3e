#!/usr/bin/env bash
# Assemble a CPU-only libtorch for tch from PyPI wheels (no other download host is needed).
#
#   scripts/setup-libtorch.sh [DEST]      default DEST: $VTRIAL_CACHE/libtorch-2.13.0
#
# tch 0.26 expects PyTorch 2.13.0. The PyPI torch wheel for Linux x86-64 is a CUDA build whose
# CPU library works without a GPU once its two small CUDA runtime libraries are present, so we
# take the headers, libtorch_cpu, libc10 and libgomp from it and the CUDA runtime and CUPTI
# libraries from NVIDIA's wheels. libtorch.so in the wheel only forwards to libtorch_cuda.so
# (cuDNN, cuBLAS...), so an empty libtorch.so satisfies torch-sys's `-ltorch`.
#
# Idempotent: a finished DEST (marked by DEST/.complete) is left alone; the wheels are kept in
# $VTRIAL_CACHE/wheels so a rebuild of DEST needs no network.
set -euo pipefail

TORCH_VERSION=2.13.0
CUDART_VERSION=13.0.96
CUPTI_VERSION=13.0.85

cache="${VTRIAL_CACHE:-$HOME/.cache/vtrial}"
dest="${1:-$cache/libtorch-$TORCH_VERSION}"
wheels="$cache/wheels"

if [[ -f "$dest/.complete" ]]; then
    exit 0
fi

die() { echo "setup-libtorch: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 is needed to download the torch wheel from PyPI (apt-get install python3 python3-pip)"
python3 -m pip --version >/dev/null 2>&1 || die "pip is needed to download the torch wheel from PyPI (apt-get install python3-pip)"
command -v unzip >/dev/null || command -v python3 >/dev/null || die "unzip or python3 is needed"
command -v cc >/dev/null || die "a C compiler (cc) is needed to build the stub libtorch.so (apt-get install gcc)"

mkdir -p "$wheels"
have_wheel() { compgen -G "$wheels/$1" >/dev/null; }
if ! have_wheel "torch-$TORCH_VERSION-*.whl" || ! have_wheel "nvidia_cuda_runtime-$CUDART_VERSION-*.whl" \
    || ! have_wheel "nvidia_cuda_cupti-$CUPTI_VERSION-*.whl"; then
    echo "setup-libtorch: downloading torch==$TORCH_VERSION and the CUDA runtime wheels from PyPI (~540 MB, once)" >&2
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" \
        "torch==$TORCH_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION" "nvidia-cuda-cupti==$CUPTI_VERSION"; then
        die "could not download torch==$TORCH_VERSION from the Python package registry (PyPI).
Check that PyPI is reachable (pip config, proxy), or put the wheels by hand into $wheels."
    fi
fi

# Extract members of a wheel (a zip file) whose names match a glob, flattening or keeping paths.
extract() { # wheel, glob, output dir, keep-prefix-to-strip ("" = flatten)
    python3 - "$@" <<'PY'
import fnmatch, os, shutil, sys, zipfile
wheel, pattern, out, strip = sys.argv[1:5]
with zipfile.ZipFile(wheel) as z:
    n = 0
    for info in z.infolist():
        if info.is_dir() or not fnmatch.fnmatch(info.filename, pattern):
            continue
        rel = info.filename[len(strip):] if strip else os.path.basename(info.filename)
        target = os.path.join(out, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        n += 1
    if n == 0:
        sys.exit(f"setup-libtorch: nothing in {wheel} matches {pattern}")
PY
}

tmp="$dest.partial"
rm -rf "$tmp"
mkdir -p "$tmp/lib" "$tmp/include"
torch_whl=$(compgen -G "$wheels/torch-$TORCH_VERSION-*.whl" | head -n1)
extract "$torch_whl" 'torch/include/*' "$tmp/include" 'torch/include/'
for lib in libtorch_cpu.so libc10.so libgomp.so.1 libshm.so; do
    extract "$torch_whl" "torch/lib/$lib" "$tmp/lib" ""
done
extract "$(compgen -G "$wheels/nvidia_cuda_runtime-$CUDART_VERSION-*.whl" | head -n1)" '*/lib/libcudart.so.13' "$tmp/lib" ""
extract "$(compgen -G "$wheels/nvidia_cuda_cupti-$CUPTI_VERSION-*.whl" | head -n1)" '*/lib/libcupti.so.13' "$tmp/lib" ""
ln -sf libgomp.so.1 "$tmp/lib/libgomp.so"
echo | cc -shared -x c - -o "$tmp/lib/libtorch.so"
echo "$TORCH_VERSION" > "$tmp/build-version"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
echo "setup-libtorch: libtorch $TORCH_VERSION (CPU) ready in $dest" >&2
