#!/usr/bin/env bash
# GRPO step time: seek (build/bench/bench_grpo_step) against the PyTorch CPU peer (tools/reference/grpo_peer.py):
# the same model config, the same batch values, the same objective (reference forward, policy forward + token-level
# GRPO loss with clip-higher and k3 KL, backward, clip_grad_norm 1.0, AdamW), the same thread count. The two run
# interleaved, ROUNDS rounds (the order alternates from round to round so a change in the machine's load hits both),
# each run STEPS timed steps after WARMUP. Prints min / median / max over the rounds of each run's mean step time,
# the best single step, the ratio, the per-phase split, and what fraction of the machine's matmul peak (seek's own
# GEMM on 512x2048x2048, measured in the seek process) each reaches in model FLOPs. Run from the repository root
# after the build.
#
#   bash bench/grpo_vs_pytorch.sh [ROUNDS=3] [PRESET=tiny]
#   environment: VOCAB=2048 SEQ=128 PROMPTS=2 GROUP_SIZE=4 COMPLETION=96 STEPS=3 WARMUP=1 THREADS=2 BETA=0.04
#                DTYPES="f32 bf16"
set -euo pipefail
rounds=${1:-3}; preset=${2:-tiny}
vocab=${VOCAB:-2048}; seq=${SEQ:-128}; groups=${PROMPTS:-2}; gsize=${GROUP_SIZE:-4}; comp=${COMPLETION:-96}
steps=${STEPS:-3}; warmup=${WARMUP:-1}; threads=${THREADS:-2}; beta=${BETA:-0.04}; dtypes=${DTYPES:-"f32 bf16"}
bench="${SEEK_BENCH_GRPO:-./build/bench/bench_grpo_step}"
py=/usr/bin/python3
work="${SEEK_BENCH_DIR:-/tmp/seek-bench-grpo}"
mkdir -p "$work"
config="$work/config-$preset-$vocab.json"
"$bench" --preset "$preset" --vocab "$vocab" --write-config "$config"
shape=(--seq-len "$seq" --groups "$groups" --group-size "$gsize" --completion "$comp" --steps "$steps"
       --warmup "$warmup" --threads "$threads" --beta "$beta")
results="$work/results.jsonl"
: > "$results"
run_one() {  # engine dtype round
  local line
  if [[ $1 == seek ]]; then
    line=$("$bench" "$config" "${shape[@]}" --dtype "$2" | tail -1)
  else
    line=$("$py" tools/reference/grpo_peer.py "$config" "${shape[@]}" --dtype "$2" | tail -1)
  fi
  "$py" -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(engine=sys.argv[2], round=int(sys.argv[3])); print(json.dumps(r))' \
    "$line" "$1" "$3" >> "$results"
  echo "round $3 $2 $1: $("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["step_ms"])' "$line") ms/step" >&2
}
for ((r = 1; r <= rounds; r++)); do
  for d in $dtypes; do
    if ((r % 2)); then run_one seek "$d" "$r"; run_one pytorch "$d" "$r"
    else run_one pytorch "$d" "$r"; run_one seek "$d" "$r"; fi
  done
done
"$py" - "$results" "$preset" "$vocab" "$(uptime)" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
preset, vocab, load = sys.argv[2], sys.argv[3], sys.argv[4]
r0 = rows[0]
print(f"preset {preset} (vocab {vocab}, {r0['params'] / 1e6:.2f}M params), S = {r0['S']} ({r0['S'] // r0['G']} prompts x "
      f"G {r0['G']}) x T {r0['T']}, completion {r0['completion']}, beta {r0['beta']}, {r0['threads']} threads, "
      f"{len(rows) // 2} runs of {r0['steps']} timed steps; load at the end: {load.split('load average:')[-1].strip()}")
print("| dtype | engine | step ms min / median / max (per-run means) | best step ms | tokens/s (median) | "
      "of matmul peak | ref fwd / fwd+loss / bwd / clip / adamw ms (median) |")
print("|---|---|---|---|---|---|---|")
for d in dict.fromkeys(r["dtype"] for r in rows):
    seek = [r for r in rows if r["dtype"] == d and r["engine"] == "seek"]
    peak = statistics.median(r["peak_flops_per_s"] for r in seek)
    flops = seek[0]["flops_per_step"]
    med = {}
    for eng in ("seek", "pytorch"):
        rs = [r for r in rows if r["dtype"] == d and r["engine"] == eng]
        ms = sorted(r["step_ms"] for r in rs)
        m = statistics.median(ms)
        med[eng] = (m, min(r["step_ms_min"] for r in rs))
        ph = " / ".join(f"{statistics.median(r['phases_ms'][k] for r in rs):.0f}"
                        for k in ("ref_forward", "forward_loss", "backward", "clip", "adamw"))
        util = flops / (m / 1e3) / peak
        print(f"| {d} | {eng} | {ms[0]:.0f} / {m:.0f} / {ms[-1]:.0f} | {med[eng][1]:.0f} | "
              f"{r0['S'] * r0['T'] / (m / 1e3):.0f} | {util:.1%} of {peak / 1e9:.0f} GFLOP/s | {ph} |")
    print(f"| {d} | **ratio** | **{med['pytorch'][0] / med['seek'][0]:.2f}x** (medians) | "
          f"{med['pytorch'][1] / med['seek'][1]:.2f}x (best steps) | | | |")
PY
