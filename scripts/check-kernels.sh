#!/usr/bin/env bash
# Offline check of the CUDA kernels: compiles every src/SliceGpt.Kernels/cuda/*.cu to PTX (nvcc when a CUDA
# toolkit is present, else clang-16's device-only CUDA mode) into build/kernels via CMakeLists.txt.
# Non-zero exit on any error. Without cmake, runs the same clang command directly (keep the flags in sync).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v cmake >/dev/null 2>&1; then
    cmake -S . -B build/kernels -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build/kernels --parallel "$(nproc)"
    exit 0
fi
clang=$(command -v clang++-16 || command -v clang++ || true)
if [ -z "$clang" ]; then
    echo "check-kernels: needs cmake with nvcc or clang, or clang++-16 alone (scripts/setup.sh installs clang-16)" >&2
    exit 1
fi
echo "check-kernels: no cmake; clang device-only syntax/type check with $clang, sm_90"
mkdir -p build/kernels
status=0
for source in src/SliceGpt.Kernels/cuda/*.cu; do
    name=$(basename "$source" .cu)
    flags=(-x cuda --cuda-device-only --cuda-gpu-arch=sm_90 -nocudainc -nocudalib
        -Xclang -target-feature -Xclang +ptx78 -std=c++17 -O3 -Wall -Wextra -Werror -I src/SliceGpt.Kernels/cuda)
    "$clang" "${flags[@]}" -S -o "build/kernels/$name.sm_90.ptx" "$source" || status=1
    "$clang" "${flags[@]}" -D__CUDACC_RTC__ -include src/SliceGpt.Kernels/cuda/clang_offline.cuh \
        -S -o "build/kernels/$name.nvrtc-path.sm_90.ptx" "$source" || status=1
done
exit "$status"
