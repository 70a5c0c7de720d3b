#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then the SliceGPT demo on the real stories260K checkpoint:
# calibrate on the first quarter of tinystories_val.txt, slice 25% of the residual width, evaluate dense and sliced
# perplexity on the rest, and generate from the sliced model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/SliceGpt.Cli -c Release --nologo -v q
cli=(dotnet src/SliceGpt.Cli/bin/Release/net10.0/slicegpt.dll)
model=../shared/models/stories260K-hf
data=../shared/data/tinystories-valid-sample/tinystories_val.txt
out=${SLICEGPT_DEMO_OUT:-out/stories260K-sliced25}
"${cli[@]}" info --model "$model"
"${cli[@]}" plan --model "$model" --sparsity 0.25
"${cli[@]}" slice --model "$model" --calib "$data" --holdout-split 0.25 --calib-mode first --nsamples 128 \
    --calib-seqlen 256 --eval-seqlen 256 --sparsity 0.25 --out "$out" --force
"${cli[@]}" generate --model "$out" --steps 120
echo "report: $out/slicing-report.html"
