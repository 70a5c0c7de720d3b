#!/usr/bin/env bash
# Offline check of the CUDA kernels: compiles every src/SliceGpt.Kernels/cuda/*.cu to PTX (nvcc when a CUDA
# toolkit is present, else clang-16's device-only CUDA mode) into build/kernels. Non-zero exit on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/kernels -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/kernels --parallel "$(nproc)"
