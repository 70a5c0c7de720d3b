#!/usr/bin/env bash
# Builds the solution and runs every test. Tests marked [Category("Gpu")] report as skipped without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build SliceGpt.sln -c Release --nologo -v q
dotnet test SliceGpt.sln -c Release --no-build --nologo -v q
