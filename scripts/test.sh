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
