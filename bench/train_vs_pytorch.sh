#!/usr/bin/env bash
# Training speed: seek against the PyTorch CPU peer (tools/reference/train_peer.py: the same model, the same loss
# (main + MTP + balance), AdamW, same threads), run one after the other on this machine, plus seek's utilization
# against the machine's measured matmul peak. Run from the repository root after the build.
#
#   bash bench/train_vs_pytorch.sh [preset=tiny|FILE.json] [seq_len=128] [batch=16] [steps=12] [threads=all]
#                                  [precision=bf16|f32|fp8]
#
# A model given as FILE.json is a config.json (e.g. bench/configs/base-130m.json). The PyTorch peer runs with
# OpenMP's idle threads sleeping (OMP_WAIT_POLICY=PASSIVE, tools/reference/peer_env.py): with the default
# spin-waiting it collapses whenever anything else uses a core. The load average is printed before and after: a
# run on a busy machine (load above the thread count) does not count. Peak memory (max RSS) of both is printed.
# The fp8 precision has no PyTorch peer (its CPU build has no FP8 GEMM): it is compared with the peer in bf16.
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
load_before=$(cut -d' ' -f1 /proc/loadavg)
model=(--preset "$preset")
if [[ "$preset" == *.json ]]; then  # a config.json: the training config's "model", vocabulary set to the data's
  python3 - "$preset" "$work/data/index.json" > "$work/model_train_config.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
idx = json.load(open(sys.argv[2]))
m["vocab_size"], m["bos_token_id"], m["eos_token_id"] = idx["vocab_size"], idx["bos_id"], idx["eos_id"]
print(json.dumps({"model": m}))
PY
  model=(--config "$work/model_train_config.json")
fi
/usr/bin/time -f "%M" -o "$work/seek.rss" "$seek" train "${model[@]}" --data "$work/data" --out "$work/run" \
  --max-steps "$steps" --seq-len "$seq" --batch "$batch" --threads "$threads" --precision "$prec" \
  > "$work/summary.json" 2> "$work/train.err"
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
[[ "$prec" == fp8 ]] && peer_dtype=bf16
peer=$(/usr/bin/time -f "%M" -o "$work/peer.rss" /usr/bin/python3 tools/reference/train_peer.py \
  "$work/run/latest/config.json" --seq-len $((seq + 1)) --batch "$batch" --steps 4 --warmup 1 --threads "$threads" \
  --dtype "$peer_dtype" | tail -1)
load_after=$(cut -d' ' -f1 /proc/loadavg)
peer_tps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['tokens_per_s'])" "$peer")
read -r util peak fpt <<<"$mfu"
python3 - "$seek_tps" "$peer_tps" "$util" "$peak" "$fpt" "$preset" "$seq" "$batch" "$threads" "$prec" \
  "$load_before" "$load_after" "$(cat "$work/seek.rss")" "$(cat "$work/peer.rss")" <<'PY'
import sys
seek, peer, util, peak, fpt = map(float, sys.argv[1:6])
preset, seq, batch, threads, prec = sys.argv[6:11]
load0, load1, rss_seek, rss_peer = map(float, sys.argv[11:15])
achieved = seek * fpt
print(f"preset {preset}, seq {seq}, batch {batch}, {threads} threads, {prec}")
print(f"seek     {seek:9.1f} tokens/s   {achieved/1e9:6.1f} GFLOP/s = {achieved/peak:5.1%} of the measured matmul peak ({peak/1e9:.0f} GFLOP/s)")
print(f"PyTorch  {peer:9.1f} tokens/s")
print(f"ratio    {seek/peer:9.2f}x")
print(f"peak memory (max RSS): seek {rss_seek / 1024:.0f} MiB, PyTorch {rss_peer / 1024:.0f} MiB")
print(f"load average before {load0:.2f}, after {load1:.2f}")
if max(load0, load1) > float(threads) + 0.5:
    print(f"WARNING: the machine was busy (load above {threads} threads): this run does not count")
PY
