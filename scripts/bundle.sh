#!/usr/bin/env bash
# Publishes the self-contained linux-x64 GPU bundle, for a machine with an NVIDIA driver but no .NET:
#   - the test runners (SliceGpt.Kernels.Tests, SliceGpt.Runtime.Tests as NUnit executables with TRX reports),
#     the CLI (slicegpt) and the benchmarks (SliceGpt.Bench), sharing one .NET runtime in one folder;
#   - native/: OpenBLAS, LAPACKE and their Fortran runtime from this machine (the CPU reference backend);
#   - shared/: the fixtures the GPU tests read (a copy of part of ../shared), and gpu-run.sh.
# Output: dist/slicegpt-gpu-bundle.tar.xz (must stay under 40 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
limit=$((40 * 1024 * 1024))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Publish from a clean copy so the runner-specific restore never touches this tree's obj/ folders.
mkdir -p "$work/src"
tar --exclude=./.git --exclude='*/bin' --exclude='*/obj' --exclude=./dist --exclude=./out --exclude=./build -cf - . | tar -xf - -C "$work/src"
bundle="$work/slicegpt-gpu-bundle"
for project in tests/SliceGpt.Kernels.Tests tests/SliceGpt.Runtime.Tests src/SliceGpt.Cli bench/SliceGpt.Bench; do
    dotnet publish "$work/src/$project" -c Release -r linux-x64 --self-contained -p:SliceGptTestRunner=true \
        -p:SatelliteResourceLanguages=en -p:DebugType=none -o "$bundle" --nologo -v q
done
# Not needed to run: the debugger bridge, and BenchmarkDotNet's disassembler and Windows ETW tracing.
rm -f "$bundle"/libmscordaccore.so "$bundle"/libmscordbi.so "$bundle"/createdump "$bundle"/libcapstone.so \
    "$bundle"/Microsoft.Diagnostics.Tracing.TraceEvent.dll

mkdir -p "$bundle/native"
for lib in /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/liblapacke.so.3 \
    /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 \
    /usr/lib/x86_64-linux-gnu/libtmglib.so.3 /usr/lib/x86_64-linux-gnu/libgfortran.so.5 /usr/lib/x86_64-linux-gnu/libquadmath.so.0; do
    cp -L "$lib" "$bundle/native/"
done

shared=../shared
mkdir -p "$bundle/shared/models" "$bundle/shared/data"
for model in stories260K stories260K-hf opt-tiny-ts phi-tiny-ts; do
    cp -r "$shared/models/$model" "$bundle/shared/models/"
done
cp -r "$shared/data/tinystories-valid-sample" "$bundle/shared/data/"
cp scripts/gpu-run.sh "$bundle/"
{ git rev-parse HEAD; git status --porcelain | grep -q . && echo "(with uncommitted changes)" || true; } > "$bundle/COMMIT"

mkdir -p dist
tar -C "$work" -cf - slicegpt-gpu-bundle | xz -9 -T0 > dist/slicegpt-gpu-bundle.tar.xz
size=$(stat -c %s dist/slicegpt-gpu-bundle.tar.xz)
echo "dist/slicegpt-gpu-bundle.tar.xz: $((size / 1024 / 1024)) MiB ($size bytes)"
if [ "$size" -gt "$limit" ]; then
    echo "the bundle is larger than 40 MiB" >&2
    exit 1
fi
