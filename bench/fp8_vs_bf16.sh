#!/usr/bin/env bash
# FP8 training against bf16: the same pretraining run (model, data, seed, steps) with precision bf16 and fp8, and
# the relative gap of their final validation losses (DeepSeek-V3 reports below 0.25% for its FP8 framework), with
# both validation curves as a table. The two runs go side by side, THREADS/2 threads each (the comparison is of
# losses, not speed). Run from the repository root after the build.
#
#   bash bench/fp8_vs_bf16.sh [preset=small] [steps=2000] [threads=all] [seq_len=128] [batch=8]
set -euo pipefail
preset=${1:-small}; steps=${2:-2000}; threads=${3:-$(nproc)}; seq=${4:-128}; batch=${5:-8}
seek="${SEEK:-./build/seek}"
work="${SEEK_BENCH_DIR:-/tmp/seek-bench-fp8}"
shared="${SEEK_SHARED:-../shared}"
each=$(( threads / 2 > 0 ? threads / 2 : 1 ))
mkdir -p "$work"
if [[ ! -f "$work/data/index.json" ]]; then
  "$seek" tokenizer-train --input "$shared/data/tinyshakespeare/input.txt" --vocab-size 2048 --out "$work/tok"
  "$seek" data --tokenizer "$work/tok" --input "$shared/data/tinyshakespeare/input.txt" --out "$work/data"
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in bf16 fp8; do
  rm -rf "$work/$p"
  cat > "$work/$p.config.json" <<JSON
{"preset": "$preset", "data": "$work/data", "max_steps": $steps, "seq_len": $seq, "batch_size": $batch,
 "threads": $each, "precision": "$p", "eval_every": 100, "sample_every": $steps, "checkpoint_every": $steps}
JSON
  "$seek" train --config "$work/$p.config.json" --out "$work/$p" > "$work/$p.json" 2> "$work/$p.err" &
done
wait
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work" "$preset" "$steps" <<'PY'
import json, sys
work, preset, steps = sys.argv[1:]
def curve(p):
    return {r["step"]: r["val_loss"] for r in map(json.loads, open(f"{work}/{p}/metrics.jsonl")) if "val_loss" in r}
b, f = curve("bf16"), curve("fp8")
sb, sf = (json.load(open(f"{work}/{p}.json")) for p in ("bf16", "fp8"))
print(f"preset {preset}, {steps} steps: validation loss (next token) every 100 steps")
print("| step | bf16 | fp8 | gap |")
print("|---|---|---|---|")
for s in sorted(set(b) & set(f)):
    print(f"| {s} | {b[s]:.4f} | {f[s]:.4f} | {100 * (f[s] - b[s]) / b[s]:+.2f}% |")
gap = (sf["final_val_loss"] - sb["final_val_loss"]) / sb["final_val_loss"]
print(f"final: bf16 {sb['final_val_loss']:.4f}, fp8 {sf['final_val_loss']:.4f}, relative gap {100 * gap:+.3f}% "
      f"(goal |gap| < 0.25%); train time bf16 {sb.get('train_seconds', 0):.0f} s, fp8 {sf.get('train_seconds', 0):.0f} s")
PY
