#!/usr/bin/env bash
# Two builds of seek side by side, interleaved (A B A B ...), on the same weights and data: decode and prefill
# tokens/s of a synthetic DeepSeek-V3-shaped checkpoint (`seek bench`), and training tokens/s (`seek train`, steady
# steps). Prints min / median / max per build and the median of the per-round ratios B/A. For "did this change
# make seek faster": A is the build before it, B the build after.
#
#   bash bench/before_after.sh OLD_SEEK NEW_SEEK [rounds=5] [params=300M] [prompt=512]
set -euo pipefail
A=${1:?old seek binary}; B=${2:?new seek binary}; rounds=${3:-5}; params=${4:-300M}; prompt=${5:-512}
work="${SEEK_BENCH_DIR:-/tmp/seek-bench-ab}"
shared="${SEEK_SHARED:-../shared}"
mkdir -p "$work"
model="$work/synth-$params"
[[ -f "$model/config.json" ]] || "$B" synth --out "$model" --params "$params" --dtype bf16 >/dev/null
if [[ ! -f "$work/data/index.json" ]]; then
  "$B" tokenizer-train --input "$shared/data/tinyshakespeare/input.txt" --vocab-size 2048 --out "$work/tok" >/dev/null
  "$B" data --tokenizer "$work/tok" --input "$shared/data/tinyshakespeare/input.txt" --out "$work/data" >/dev/null
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

train_tps() {  # mean tokens/s of the steady steps (not the first two, not those that evaluated or sampled)
  rm -rf "$work/run"
  "$1" train --preset tiny --data "$work/data" --out "$work/run" --max-steps 12 --seq-len 128 --batch 16 \
    --precision bf16 >/dev/null 2>&1
  python3 - "$work/run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][2:]
rows = [r for r in rows if "val_loss" not in r and "sample" not in r]
print(sum(r["tokens_per_s"] for r in rows) / len(rows))
PY
}

out="$work/rounds.txt"
: >"$out"
for r in $(seq 1 "$rounds"); do
  for side in A B; do
    bin=${!side}
    j=$("$bin" bench --model "$model" --prompt "$prompt" --gen 32 --reps 1 --attn absorb --dtype bf16 2>/dev/null)
    d=$(python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(j['decode_tok_s'], j['prefill_tok_s'], j['decode_fraction_of_roofline'])" "$j")
    echo "$r $side $d $(train_tps "$bin")" >>"$out"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (a run on a loaded machine does not count)"
python3 - "$out" "$params" "$prompt" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
names = ["decode tok/s", f"prefill tok/s ({sys.argv[3]})", "decode % roofline", "train tok/s (tiny, bf16)"]
for k, name in enumerate(names):
    a = [float(r[2 + k]) for r in rows if r[1] == "A"]
    b = [float(r[2 + k]) for r in rows if r[1] == "B"]
    ratio = [y / x for x, y in zip(a, b)]
    fmt = lambda v: f"{min(v):9.3g} {st.median(v):9.3g} {max(v):9.3g}"
    print(f"{name:28s} A {fmt(a)} | B {fmt(b)} | B/A median {st.median(ratio):.2f} (min {min(ratio):.2f}, max {max(ratio):.2f})")
print(f"model: synthetic {sys.argv[2]} bf16 checkpoint; {len(rows)//2} rounds")
PY
