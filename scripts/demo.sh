#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then perplexity and a greedy sample of stories260K-hf.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/SliceGpt.Cli -c Release --nologo -v q
cli=(dotnet src/SliceGpt.Cli/bin/Release/net10.0/slicegpt.dll)
model=../shared/models/stories260K-hf
data=../shared/data/tinystories-valid-sample/tinystories_val.txt
"${cli[@]}" info --model "$model"
"${cli[@]}" ppl --model "$model" --data "$data" --seqlen 256 --max-rows 32
"${cli[@]}" generate --model "$model" --steps 200
