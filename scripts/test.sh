#!/usr/bin/env bash
# Checks the CUDA kernels offline, builds the solution and runs every test. Tests marked [Category("Gpu")] report as skipped without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-kernels.sh
dotnet build SliceGpt.sln -c Release --nologo -v q
dotnet test SliceGpt.sln -c Release --no-build --nologo -v q
# A short CPU benchmark job (one invocation per shape): checks the benchmark suite runs; it measures nothing.
dotnet bench/SliceGpt.Bench/bin/Release/net10.0/SliceGpt.Bench.dll --inProcess --filter '*OpenBlasGemm*' --job dry \
    --artifacts "${TMPDIR:-/tmp}/slicegpt-bench-smoke" > "${TMPDIR:-/tmp}/slicegpt-bench-smoke.log" 2>&1 \
    || { echo "the CPU benchmark job failed:"; tail -n 30 "${TMPDIR:-/tmp}/slicegpt-bench-smoke.log"; exit 1; }
echo "CPU benchmark job: OpenBlasGemmBenchmarks ran (dry)"
# The PyTorch anchors' host side (no torch needed), and their dry runs on the shape list the C# suite writes: the two
# sides of the per-matmul comparison read each other's files.
if command -v python3 > /dev/null; then
    export PYTHONDONTWRITEBYTECODE=1
    python3 -m unittest discover -s bench/pytorch/tests 2>&1 | tail -n 3
    check="${TMPDIR:-/tmp}/slicegpt-pytorch-check"
    mkdir -p "$check"
    dotnet bench/SliceGpt.Bench/bin/Release/net10.0/SliceGpt.Bench.dll --list-shapes smoke --out "$check/shapes.csv"
    python3 bench/pytorch/products.py --shapes "$check/shapes.csv" --out "$check/pytorch-products.csv" --dry-run > /dev/null
    python3 bench/pytorch/prefill.py --out "$check/pytorch-prefill.csv" --dry-run > /dev/null
    python3 bench/pytorch/decode.py --out "$check/pytorch-decode.csv" --dry-run > /dev/null
    echo "PyTorch scripts: unit tests and dry runs on the smoke suite's shapes passed"
else
    echo "PyTorch scripts: not checked (no python3)"
fi
