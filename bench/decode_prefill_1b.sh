#!/usr/bin/env bash
# Decode and prefill tokens/s of a ~1B-parameter DeepSeek-V3-shaped checkpoint (random weights), beside the roofline
# (active weight bytes per token / memory bandwidth measured in the same run). Run from the repository root after the
# build; the checkpoint is written once to $SEEK_BENCH_DIR (default /tmp/seek-bench-1b) and reused.
#
#   bash bench/decode_prefill_1b.sh [bf16|fp8]
set -euo pipefail
dtype="${1:-bf16}"
seek="${SEEK:-./build/seek}"
dir="${SEEK_BENCH_DIR:-/tmp/seek-bench-1b}-$dtype"
if [[ ! -f "$dir/config.json" ]]; then
  "$seek" synth --out "$dir" --params 1B --dtype "$dtype"
fi
"$seek" info --model "$dir"
"$seek" bench --model "$dir" --prompt 128 --gen 32 --reps 3 --attn absorb --dtype bf16
