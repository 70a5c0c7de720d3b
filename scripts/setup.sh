#!/usr/bin/env bash
# Installs what SliceGpt needs on a fresh Debian 12 machine with the .NET 10 SDK:
# OpenBLAS (pthread build) and LAPACKE for the CPU math, clang-16 and cmake for the offline CUDA kernel check.
set -euo pipefail
need=()
for pkg in libopenblas0-pthread liblapacke clang-16 llvm-16 cmake; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet --version >/dev/null
