#!/usr/bin/env bash
# Runs SliceGpt's GPU test suites, the GPU benchmarks and PyTorch's anchors on the same GPU from an unpacked GPU bundle
# (scripts/bundle.sh), and writes everything to one folder:
#   OUT/summary.txt, OUT/machine.txt, OUT/kernels.trx, OUT/runtime-gpu.trx, OUT/logs.tar.gz, OUT/bench.tar.gz, and
#   OUT/<YYYY-MM-DD>-<device>/<suite>/: every exported CSV and table of the run (SliceGpt.Bench's *-layer-totals.*,
#   *-layer-products.csv, *-sparse-setups.csv, *-end-to-end.*, *-slicing-time.*, BenchmarkDotNet's reports; PyTorch's
#   pytorch-products.csv, pytorch-prefill.csv, pytorch-decode.csv; the shape list; machine.txt, summary.txt), laid out to
#   be committed as is: cp -r OUT/<YYYY-MM-DD>-<device> docs/gpu-runs/  (<suite>: smoke, or the --bench-filter's name).
#
#   usage: gpu-run.sh OUT [--bench-only] [--no-bench] [--bench-filter GLOB] [--bench-job JOB] [--no-pytorch]
#                         [--pytorch-only] [--compile-budget-s S] [--full-pytorch] [--bench-cap-s S]
#
# Default (smoke): the test suites, then PyTorch on the smoke suite's shapes (bench/pytorch/products.py on the shape list
# `SliceGpt.Bench --list-shapes smoke` writes; prefill.py at batches 1, 16, 128 and sequence 2048; decode.py eager and,
# within --compile-budget-s (default 120), torch.compile), then `SliceGpt.Bench --smoke --pytorch OUT/...` so that the
# suites' tables carry the vs PyTorch columns. Estimated 7 minutes on an H200 (tests 0.5, PyTorch products 1.5,
# prefill 1, decode up to 2.5, SliceGpt smoke suites 2); estimates until a run has timed them.
# --bench-filter GLOB runs the suites a BenchmarkDotNet glob selects instead of --smoke (e.g. '*GpuGemmBenchmarks*':
# the full per-matmul suite, about 780 cases, an estimated 5 minutes; PyTorch then times the full suite's shapes and
# prefill sweeps batches 1 to 1024 when --full-pytorch is given). --bench-only skips the test suites; --no-bench the
# benchmarks; --no-pytorch the PyTorch scripts; --pytorch-only runs only them. The GPU suites ignore --bench-job (they
# keep their own fixed schedules); it still applies to CPU suites a filter selects. Every step has a time cap (the
# summary shows it); the benchmarks' is --bench-cap-s (420 s): a device session's command may run 10 minutes at most.
# Runs on the GPU machine: no .NET SDK is needed (the bundle carries the runtime, OpenBLAS and the fixtures); PyTorch
# comes from the machine's Python: $VIRTUAL_ENV/bin/python when set, else python3.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: gpu-run.sh OUT [--bench-only] [--no-bench] [--bench-filter GLOB] [--bench-job JOB] [--no-pytorch] [--pytorch-only] [--compile-budget-s S] [--full-pytorch] [--bench-cap-s S]"
out=${1:?$usage}
shift
filter=''
job=short
tests=1
bench=1
pytorch=1
budget=120
full_pytorch=0
bench_cap=420
while [ $# -gt 0 ]; do
    case "$1" in
        --bench-filter) filter=${2:?$usage}; shift 2 ;;
        --bench-job) job=${2:?$usage}; shift 2 ;;
        --bench-only) tests=0; shift ;;
        --no-bench) bench=0; shift ;;
        --no-pytorch) pytorch=0; shift ;;
        --pytorch-only) tests=0; bench=0; pytorch=1; shift ;;
        --compile-budget-s) budget=${2:?$usage}; shift 2 ;;
        --full-pytorch) full_pytorch=1; shift ;;
        --bench-cap-s) bench_cap=${2:?$usage}; shift 2 ;;
        *) echo "unknown option $1" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
logs=$(mktemp -d)
export SLICEGPT_SHARED="$here/shared" SLICEGPT_KERNEL_CACHE="$logs/kernel-cache" DOTNET_NOLOGO=1 PYTHONDONTWRITEBYTECODE=1

# The records folder: <date>-<device>/<suite>, e.g. 2026-12-04-h200/smoke, named as docs/gpu-runs/ expects.
device=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
slug=$(printf '%s' "${device:-unknown-gpu}" | tr '[:upper:]' '[:lower:]' | sed -e 's/^nvidia //' -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')
suite=smoke
if [ -n "$filter" ]; then
    suite=$(printf '%s' "$filter" | tr -d '*' | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')
fi
records="$out/$(date -u +%Y-%m-%d)-${slug:-unknown-gpu}/${suite:-bench}"
mkdir -p "$records"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(tr '\n' ' ' < "$here/COMMIT")"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
    nvidia-smi 2>&1 | sed -n 1,4p
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
} > "$out/machine.txt"
cp "$out/machine.txt" "$records/machine.txt"

summary() { echo "$1" >> "$out/summary.txt"; }

run() { # name, cap in seconds, then the command
    local name=$1 cap=$2
    shift 2
    local start=$SECONDS
    timeout --kill-after=10 "$cap" "$@" > "$logs/$name.log" 2>&1
    local code=$?
    summary "$name: exit $code in $((SECONDS - start)) s (cap $cap); $(grep -E 'total:|failed:|succeeded:|skipped:' "$logs/$name.log" | tr -s ' \n' ' ')"
    return $code
}

status=0
if [ "$tests" -eq 1 ]; then
    run kernels 150 "$here/SliceGpt.Kernels.Tests" --report-trx --report-trx-filename kernels.trx --results-directory "$out" || status=1
    run runtime-gpu 240 "$here/SliceGpt.Runtime.Tests" --filter "TestCategory=Gpu" --report-trx --report-trx-filename runtime-gpu.trx \
        --results-directory "$out" || status=1
fi

# PyTorch first, so that SliceGpt.Bench's tables can merge its numbers (--pytorch). The shapes come from SliceGpt.Bench.
if [ "$pytorch" -eq 1 ]; then
    python=${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}
    python=${python:-python3}
    shapes=smoke
    case "$filter" in *GpuGemmBenchmarks*|*GemmBenchmarks*) shapes=full ;; esac
    if ! "$python" -c 'import torch, transformers' > "$logs/pytorch-import.log" 2>&1; then
        summary "pytorch: not run: $python cannot import torch and transformers ($(tail -n 1 "$logs/pytorch-import.log"))"
    elif ! run shapes 60 "$here/SliceGpt.Bench" --list-shapes "$shapes" --out "$records/shapes.csv"; then
        status=1
    else
        samples=50
        batches=1,16,128
        calls=2
        if [ "$shapes" = full ]; then samples=200; fi
        if [ "$full_pytorch" -eq 1 ]; then batches=1,2,4,8,16,32,64,128,256,512,1024; calls=3; fi
        run pytorch-products 240 "$python" "$here/pytorch/products.py" --shapes "$records/shapes.csv" \
            --out "$records/pytorch-products.csv" --samples "$samples" || status=1
        run pytorch-prefill 240 "$python" "$here/pytorch/prefill.py" --out "$records/pytorch-prefill.csv" \
            --batches "$batches" --calls "$calls" || status=1
        run pytorch-decode $((${budget%.*} + 150)) "$python" "$here/pytorch/decode.py" --out "$records/pytorch-decode.csv" \
            --compile-budget-s "$budget" || status=1
    fi
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
    (cd "$logs" && timeout --kill-after=10 "$bench_cap" "$here/SliceGpt.Bench" --inProcess "${selection[@]}" --pytorch "$records" \
        --artifacts "$logs/bench" > "$logs/bench.log" 2>&1)
    code=$?
    summary "bench ($what): exit $code in $((SECONDS - start)) s (cap $bench_cap)"
    # Exit 2: no usable GPU (the log's first line says why); 1: a case failed.
    [ "$code" -ne 0 ] && status=1
    tar -C "$logs" -czf "$out/bench.tar.gz" bench 2>/dev/null || true
    # The records: every export of the suites and BenchmarkDotNet's own reports, flat, as docs/gpu-runs/ keeps them.
    find "$logs/bench" -type f \( -name '*-layer-totals.*' -o -name '*-layer-products.csv' -o -name '*-sparse-setups.csv' \
        -o -name '*-end-to-end.*' -o -name '*-slicing-time.*' -o -name '*-report.csv' -o -name '*-report-github.md' \) \
        -exec cp {} "$records/" \; 2>/dev/null
fi

tar -C "$logs" -czf "$out/logs.tar.gz" --exclude=bench --exclude=kernel-cache . 2>/dev/null || true
cp "$out/summary.txt" "$records/summary.txt" 2>/dev/null
cat "$out/summary.txt"
echo "records: $records (commit with: cp -r $(dirname "$records") docs/gpu-runs/)"
exit $status
