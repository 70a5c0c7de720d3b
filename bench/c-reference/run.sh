#!/usr/bin/env bash
# The plain C baseline of docs/benchmarks.md: prefill tokens/s of llama2.c-format checkpoints, token by token with a
# KV cache and logits for every position (the work SliceGpt's CpuPrefillBenchmarks does as one batched prefill).
#   usage: bench/c-reference/run.sh [TOKENS]   (default 256; prints one JSON line per model)
set -euo pipefail
cd "$(dirname "$0")"
tokens=${1:-256}
out=${TMPDIR:-/tmp}/slicegpt-c-reference
mkdir -p "$out"
cc -O2 -march=native -o "$out/prefill" prefill.c -lm
cc -O2 -o "$out/random_llama2c" random_llama2c.c
# Same compute as OPT-125M: D 768, 12 layers, a SwiGLU MLP of 2048 (3 × 768 × 2048 = OPT's 2 × 768 × 3072), vocab 50272.
[ -f "$out/llama-125m-shapes.bin" ] || "$out/random_llama2c" "$out/llama-125m-shapes.bin" 768 2048 12 12 12 50272 2048
echo "stories260K: $("$out/prefill" ../../../shared/models/stories260K/stories260K.bin "$tokens" 5)"
echo "llama-125m-shapes: $("$out/prefill" "$out/llama-125m-shapes.bin" "$tokens" 3)"
echo "model file for SliceGpt's benchmark: SLICEGPT_BENCH_LLAMA125M=$out/llama-125m-shapes.bin"
