#!/usr/bin/env bash
# Runs SliceGpt's GPU test suites and a short benchmark from an unpacked GPU bundle (scripts/bundle.sh) and writes
# the results to one folder, at most 8 files: machine.txt, kernels.trx, runtime-gpu.trx, summary.txt, logs.tar.gz,
# bench.tar.gz.
#   usage: gpu-run.sh RESULTS_FOLDER [--bench-filter GLOB] [--bench-job short|dry|medium]
# Runs on the GPU machine: no .NET SDK is needed, the bundle carries the runtime, OpenBLAS and the fixtures.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: gpu-run.sh RESULTS_FOLDER [--bench-filter GLOB] [--bench-job JOB]}
shift
filter='*Gpu*'
job=short
while [ $# -gt 0 ]; do
    case "$1" in
        --bench-filter) filter=$2; shift 2 ;;
        --bench-job) job=$2; shift 2 ;;
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
run kernels "$here/SliceGpt.Kernels.Tests" --report-trx --report-trx-filename kernels.trx --results-directory "$out" || status=1
run runtime-gpu "$here/SliceGpt.Runtime.Tests" --filter "TestCategory=Gpu" --report-trx --report-trx-filename runtime-gpu.trx \
    --results-directory "$out" || status=1
(cd "$logs" && "$here/SliceGpt.Bench" --inProcess --filter "$filter" --job "$job" --artifacts "$logs/bench" > "$logs/bench.log" 2>&1)
echo "bench ($filter, $job): exit $?" >> "$out/summary.txt"

tar -C "$logs" -czf "$out/bench.tar.gz" bench 2>/dev/null || true
tar -C "$logs" -czf "$out/logs.tar.gz" --exclude=bench --exclude=kernel-cache . 2>/dev/null || true
cat "$out/summary.txt"
exit $status
