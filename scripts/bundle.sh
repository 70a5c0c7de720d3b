#!/usr/bin/env bash
# Publishes the self-contained linux-x64 GPU bundle, for a machine with an NVIDIA driver but no .NET:
#   - the test runners (SliceGpt.Kernels.Tests, SliceGpt.Runtime.Tests as NUnit executables with TRX reports),
#     the CLI (slicegpt) and the benchmarks (SliceGpt.Bench), sharing one .NET runtime in one folder;
#   - native/: OpenBLAS, LAPACKE and their Fortran runtime from this machine (the CPU reference backend);
#   - shared/: the fixtures the GPU tests read (a copy of part of ../shared), and gpu-run.sh;
#   - pytorch/: PyTorch's anchors (bench/pytorch without its tests) and LLAMA-2 7B's config.json, which the GPU
#     machine's own Python (PyTorch, transformers) runs.
# Output: dist/slicegpt-gpu-bundle.tar.xz (must stay under 48 MiB: with the repository's ~2 MiB it travels to the GPU
# machine within the device tool's 64 MiB; the ASP.NET Core runtime of `slicegpt serve` takes about 8 MiB of it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
limit=$((48 * 1024 * 1024))
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
# Files the published apps list but never load here, removed to keep the bundle under its limit: the debugger bridge and
# crash dumper, the optional GC builds and LTTng tracing, BenchmarkDotNet's disassembler and ETW tracing (diagnosers we do
# not use), VSTest's out-of-process host (the NUnit runner runs in process), and framework assemblies nothing here
# references. The self-check below runs every executable after the removal.
for unused in libmscordaccore.so libmscordbi.so createdump libclrgc.so libclrgcexp.so libcoreclrtraceptprovider.so \
    libcapstone.so Iced.dll Microsoft.Diagnostics.Runtime.dll Microsoft.Diagnostics.Tracing.TraceEvent.dll \
    testhost.dll Microsoft.TestPlatform.CrossPlatEngine.dll Microsoft.TestPlatform.CommunicationUtilities.dll \
    Microsoft.TestPlatform.Utilities.dll Microsoft.VisualBasic.Core.dll Microsoft.VisualBasic.dll System.Data.Common.dll \
    System.Data.dll System.Linq.AsyncEnumerable.dll System.Net.Mail.dll System.Net.Security.dll \
    System.Private.DataContractSerialization.dll System.Text.Encoding.CodePages.dll; do
    rm -f "$bundle/$unused"
done

mkdir -p "$bundle/native"
for lib in /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/liblapacke.so.3 \
    /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 \
    /usr/lib/x86_64-linux-gnu/libtmglib.so.3 /usr/lib/x86_64-linux-gnu/libgfortran.so.5 /usr/lib/x86_64-linux-gnu/libquadmath.so.0; do
    cp -L "$lib" "$bundle/native/"
done

shared=../shared
mkdir -p "$bundle/shared/models" "$bundle/shared/data"
for model in stories260K stories260K-hf; do
    cp -r "$shared/models/$model" "$bundle/shared/models/"
done
cp -r "$shared/data/tinystories-valid-sample" "$bundle/shared/data/"
cp scripts/gpu-run.sh "$bundle/"
mkdir -p "$bundle/pytorch/configs"
cp bench/pytorch/*.py bench/pytorch/README.md "$bundle/pytorch/"
cp bench/SliceGpt.Bench/Gpu/Configs/llama-2-7b.json "$bundle/pytorch/configs/"
{ git rev-parse HEAD; git status --porcelain | grep -q . && echo "(with uncommitted changes)" || true; } > "$bundle/COMMIT"

# Self-check on this (GPU-less) machine: every executable starts and its GPU-free paths work after the removals. Each
# step exits the subshell on failure itself: errexit does not apply inside a subshell whose status `||` tests.
(
    cd "$bundle" || exit 1
    export SLICEGPT_SHARED="$bundle/shared" PYTHONDONTWRITEBYTECODE=1
    ./SliceGpt.Kernels.Tests --results-directory "$work/check" > "$work/check-kernels.log" 2>&1 || exit 1
    ./SliceGpt.Runtime.Tests --filter "FullyQualifiedName~Stories260K" --results-directory "$work/check" > "$work/check-runtime.log" 2>&1 || exit 1
    ./slicegpt generate --model shared/models/stories260K/stories260K.bin --steps 8 --device cpu > "$work/check-cli.log" 2>&1 || exit 1
    ./SliceGpt.Bench --inProcess --filter '*OpenBlasGemm*' --job dry --artifacts "$work/check-bench" > "$work/check-bench.log" 2>&1 || exit 1
    # The PyTorch anchors read the suite's shape list and the bundled config; --dry-run needs no torch.
    ./SliceGpt.Bench --list-shapes smoke --out "$work/shapes.csv" > "$work/check-pytorch.log" 2>&1 || exit 1
    if command -v python3 > /dev/null; then
        python3 pytorch/products.py --shapes "$work/shapes.csv" --out "$work/p.csv" --dry-run >> "$work/check-pytorch.log" 2>&1 || exit 1
        python3 pytorch/prefill.py --out "$work/pf.csv" --dry-run >> "$work/check-pytorch.log" 2>&1 || exit 1
        python3 pytorch/decode.py --out "$work/d.csv" --dry-run >> "$work/check-pytorch.log" 2>&1 || exit 1
    fi
) || { echo "bundle self-check failed; logs:" >&2; tail -n 20 "$work"/check-*.log >&2; exit 1; }
rm -rf "$bundle/TestResults"

mkdir -p dist
tar -C "$work" -cf - slicegpt-gpu-bundle | xz -9 -T0 > dist/slicegpt-gpu-bundle.tar.xz
size=$(stat -c %s dist/slicegpt-gpu-bundle.tar.xz)
echo "dist/slicegpt-gpu-bundle.tar.xz: $((size / 1024 / 1024)) MiB ($size bytes)"
if [ "$size" -gt "$limit" ]; then
    echo "the bundle is larger than 48 MiB" >&2
    exit 1
fi
