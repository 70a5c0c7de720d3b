#!/usr/bin/env bash
# Checks the CUDA kernels offline, builds the solution and runs every test. Tests marked [Category("Gpu")] report as skipped without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-kernels.sh
dotnet build SliceGpt.sln -c Release --nologo -v q
dotnet test SliceGpt.sln -c Release --no-build --nologo -v q
