#!/usr/bin/env bash
# Runs SliceGpt's GPU test suites and the GPU benchmarks from an unpacked GPU bundle (scripts/bundle.sh) and writes
# the results to one folder, at most 8 files: machine.txt, kernels.trx, runtime-gpu.trx, summary.txt, logs.tar.gz,
# bench.tar.gz (BenchmarkDotNet's results folder: reports, *-layer-totals.*, *-end-to-end.*, *-slicing-time.*).
#   usage: gpu-run.sh RESULTS_FOLDER [--bench-only] [--bench-filter GLOB] [--no-bench] [--bench-job JOB]
# Benchmarks: by default the smoke suites (`SliceGpt.Bench --smoke`: per-matmul, end-to-end and slicing-time smoke
# checks, expected about 3 minutes on an H200); --bench-filter runs the suites a BenchmarkDotNet glob selects instead, e.g.
# '*GpuGemmBenchmarks*' (full per-matmul, a few minutes), '*GpuEndToEndBenchmarks*' (full prefill/decode, expected
# about 2 minutes), '*GpuSlicingTimeBenchmarks*' (slicing time with 128 and 1024 samples, up to 9 minutes by its budgets).
# --bench-only skips the test suites; --no-bench skips the benchmarks. The GPU suites ignore --bench-job (they keep
# their own fixed schedules); it still applies to CPU suites a filter selects.
# Runs on the GPU machine: no .NET SDK is needed, the bundle carries the runtime, OpenBLAS and the fixtures.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: gpu-run.sh RESULTS_FOLDER [--bench-only] [--bench-filter GLOB] [--no-bench] [--bench-job JOB]}
shift
filter=''
job=short
tests=1
bench=1
while [ $# -gt 0 ]; do
    case "$1" in
        --bench-filter) filter=$2; shift 2 ;;
        --bench-job) job=$2; shift 2 ;;
        --bench-only) tests=0; shift ;;
        --no-bench) bench=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
logs=$(mktemp -d)
export SLICEGPT_SHARED="$here/shared" SLICEGPT_KERNEL_CACHE="$logs/kernel-cache" DOTNET_NOLOGO=1

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(tr '\n' ' ' < "$here/COMMIT")"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
    nvidia-smi 2>&1 | sed -n 1,4p
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
} > "$out/machine.txt"

run() { # name, then the command
    local name=$1
    shift
    local start=$SECONDS
    "$@" > "$logs/$name.log" 2>&1
    local code=$?
    echo "$name: exit $code in $((SECONDS - start)) s; $(grep -E 'total:|failed:|succeeded:|skipped:' "$logs/$name.log" | tr -s ' \n' ' ')" >> "$out/summary.txt"
    return $code
}

status=0
if [ "$tests" -eq 1 ]; then
    run kernels "$here/SliceGpt.Kernels.Tests" --report-trx --report-trx-filename kernels.trx --results-directory "$out" || status=1
    run runtime-gpu "$here/SliceGpt.Runtime.Tests" --filter "TestCategory=Gpu" --report-trx --report-trx-filename runtime-gpu.trx \
        --results-directory "$out" || status=1
fi
if [ "$bench" -eq 1 ]; then
    if [ -n "$filter" ]; then
        selection=(--filter "$filter" --job "$job")
        what="$filter, $job"
    else
        selection=(--smoke)
        what="smoke"
    fi
    start=$SECONDS
    (cd "$logs" && "$here/SliceGpt.Bench" --inProcess "${selection[@]}" --artifacts "$logs/bench" > "$logs/bench.log" 2>&1)
    code=$?
    echo "bench ($what): exit $code in $((SECONDS - start)) s" >> "$out/summary.txt"
    # Exit 2: no usable GPU (the log's first line says why); 1: a case failed.
    [ "$code" -ne 0 ] && status=1
    tar -C "$logs" -czf "$out/bench.tar.gz" bench 2>/dev/null || true
fi

tar -C "$logs" -czf "$out/logs.tar.gz" --exclude=bench --exclude=kernel-cache . 2>/dev/null || true
cat "$out/summary.txt"
exit $status
