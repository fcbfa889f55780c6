#!/usr/bin/env bash
# Training speed: seek against the PyTorch CPU peer (tools/reference/train_peer.py: the same model, the same loss
# (main + MTP + balance), AdamW, same threads), run one after the other on this machine, plus seek's utilization
# against the machine's measured matmul peak. Run from the repository root after the build.
#
#   bash bench/train_vs_pytorch.sh [preset=tiny] [seq_len=128] [batch=16] [steps=12] [threads=all] [precision=f32|bf16]
set -euo pipefail
preset=${1:-tiny}; seq=${2:-128}; batch=${3:-16}; steps=${4:-12}; threads=${5:-$(nproc)}; prec=${6:-bf16}
seek="${SEEK:-./build/seek}"
work="${SEEK_BENCH_DIR:-/tmp/seek-bench-train}"
shared="${SEEK_SHARED:-../shared}"
mkdir -p "$work"
if [[ ! -f "$work/data/index.json" ]]; then
  "$seek" tokenizer-train --input "$shared/data/tinyshakespeare/input.txt" --vocab-size 2048 --out "$work/tok"
  "$seek" data --tokenizer "$work/tok" --input "$shared/data/tinyshakespeare/input.txt" --out "$work/data"
fi
rm -rf "$work/run"
"$seek" train --preset "$preset" --data "$work/data" --out "$work/run" --max-steps "$steps" --seq-len "$seq" \
  --batch "$batch" --threads "$threads" --precision "$prec" > "$work/summary.json" 2> "$work/train.err"
# seek: steady-state steps only (skip the first two and the steps that also evaluated or sampled)
seek_tps=$(python3 - "$work/run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows[2:] if "val_loss" not in r and "sample" not in r]
print(sum(r["tokens_per_s"] for r in rows) / len(rows))
PY
)
mfu=$(python3 -c "import json; s=json.load(open('$work/summary.json')); print(s['utilization'], s['peak_flops_per_s'], s['flops_per_token'])")
peer_dtype=$prec
peer=$(/usr/bin/python3 tools/reference/train_peer.py "$work/run/latest/config.json" --seq-len $((seq + 1)) \
  --batch "$batch" --steps 4 --warmup 1 --threads "$threads" --dtype "$peer_dtype" | tail -1)
peer_tps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['tokens_per_s'])" "$peer")
read -r util peak fpt <<<"$mfu"
python3 - "$seek_tps" "$peer_tps" "$util" "$peak" "$fpt" "$preset" "$seq" "$batch" "$threads" "$prec" <<'PY'
import sys
seek, peer, util, peak, fpt = map(float, sys.argv[1:6])
preset, seq, batch, threads, prec = sys.argv[6:]
achieved = seek * fpt
print(f"preset {preset}, seq {seq}, batch {batch}, {threads} threads, {prec}")
print(f"seek     {seek:9.1f} tokens/s   {achieved/1e9:6.1f} GFLOP/s = {achieved/peak:5.1%} of the measured matmul peak ({peak/1e9:.0f} GFLOP/s)")
print(f"PyTorch  {peer:9.1f} tokens/s")
print(f"ratio    {seek/peer:9.2f}x")
PY
