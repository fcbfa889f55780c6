#!/usr/bin/env bash
# The R1 recipe end to end on a laptop CPU, every stage a seek command a user can run alone, every model evaluated on
# the same held-out problems (pass@1 over k samples, ± its standard error over problems):
#   1. pretrain a tiny DeepSeek-V3 on worked problems, half of them with a slip (seek demo's corpus and model), and
#      R1-Zero: GRPO straight on it (seek demo does both);
#   2. cold start: SFT of the pretrained model on a few hundred readable, correct chain-of-thought samples in chat
#      form (seek task-corpus --chat: <think> steps </think>, then the boxed answer);
#   3. reasoning RL: GRPO on the cold-started model (chat prompts, accuracy + format rewards);
#   4. rejection sampling: k samples per training problem from the RL model, kept when correct, well formed, not
#      runaway and not mixed-language (seek sample);
#   5. SFT of the pretrained model on those samples plus the cold-start set (R1's second fine-tune starts from the
#      base model again);
#   6. distillation into a small dense student of another architecture and tokenizer: a Qwen2-shaped model with its
#      own BPE vocabulary, first pretrained on half the teacher's corpus (plain text lines), then
#      fine-tuned on the teacher's rejection-sampled traces (through text: the tokenizers differ). The student is
#      evaluated before and after; "before" is the better of its two prompt forms (R1-Zero's plain prompt, which its
#      pretraining text used, and the chat template).
# Prints the table (also DIR/recipe.md and DIR/recipe.json): each stage's pass@1 ± stderr, the paired gain over the
# stage it starts from (± paired stderr, in standard errors), and the wall time of the stage's command (the first
# row's is seek demo's: pretraining, its evaluations and R1-Zero). A second run in the same DIR keeps finished stages.
#
#   bash bench/r1_recipe.sh [DIR=.cache/recipe]          (run from the repository root after the build)
#   environment: SEEK=build/seek THREADS (default: all cores) PROBLEMS=90 SAMPLES=8 (the evaluation), and the sizes
#   CORPUS=20000 PRETRAIN_STEPS=1000 R1ZERO_STEPS=90 COLD=200 COLD_EPOCHS=10 RL_STEPS=60 RS_PROBLEMS=800
#   STUDENT_DOCS=10000 EPOCHS=2
#   (tests/cli/recipe.sh runs it tiny to check the chain; the defaults are what bench/RESULTS.md reports)
set -euo pipefail
seek=${SEEK:-build/seek}
dir=${1:-.cache/recipe}
thr=(); [ -n "${THREADS:-}" ] && thr=(--threads "$THREADS")
rl_steps=${RL_STEPS:-60}
epochs=${EPOCHS:-2}
task="arithmetic:digits=1,terms=3,ops=+"  # seek demo's task
mkdir -p "$dir"
t_all=$(date +%s)
mkdir -p "$dir/seconds"
stage() {  # name output command...: runs it and records its wall time; a stage whose output and time are there from
           # an earlier run of the same DIR is kept (remove DIR, or the output, to redo it)
  local name=$1 out=$2; shift 2
  if [ -e "$out" ] && [ -f "$dir/seconds/$name" ]; then echo "recipe: $name (kept from an earlier run)" >&2; return; fi
  rm -rf "$out"
  local t0; t0=$(date +%s)
  echo "recipe: $name" >&2
  "$@"
  echo $(( $(date +%s) - t0 )) > "$dir/seconds/$name"
}
# The demo's held-out evaluation: the same problems (seed 1001, test split) and settings for every model.
evaluate() {  # model out.jsonl [prompt style]
  "$seek" eval --model "$1" --task "$task" --problems "${PROBLEMS:-90}" --samples "${SAMPLES:-8}" --seed 1001 \
    --temperature 0.6 --max-tokens 64 --prompt-style "${3:-auto}" "${thr[@]}" --quiet --out "$2" \
    > "${2%.jsonl}.summary.json"
}

# 1. pretraining and R1-Zero
stage pretrain_and_r1zero "$dir/demo/summary.json" "$seek" demo --out "$dir/demo" "${thr[@]}" --corpus "${CORPUS:-20000}" \
  --pretrain-steps "${PRETRAIN_STEPS:-1000}" --rl-steps "${R1ZERO_STEPS:-90}" --problems "${PROBLEMS:-90}" \
  --samples "${SAMPLES:-8}" > "$dir/demo.txt"
cp "$dir/demo/eval_base.jsonl" "$dir/eval_base.jsonl"
cp "$dir/demo/eval_rl.jsonl" "$dir/eval_r1zero.jsonl"

# 2. cold start
"$seek" task-corpus --task "$task" --n "${COLD:-200}" --chat --seed 7 --out "$dir/cold.jsonl" 2>/dev/null
stage cold_start "$dir/cold" "$seek" sft --model "$dir/demo/base" --data "$dir/cold.jsonl" --out "$dir/cold" \
  --epochs "${COLD_EPOCHS:-10}" --batch 4 --seq-len 512 --lr 2e-3 --keep-checkpoints 1 "${thr[@]}" > /dev/null
evaluate "$dir/cold" "$dir/eval_cold.jsonl"

# 3. reasoning RL on the cold-started model
stage grpo "$dir/rl" "$seek" rl --preset arithmetic --model "$dir/cold" --task "$task" --steps "$rl_steps" --out "$dir/rl" \
  "${thr[@]}" --quiet > /dev/null
evaluate "$dir/rl" "$dir/eval_rl.jsonl"

# 4. rejection sampling from the RL model (training problems only)
stage rejection_sampling "$dir/rs.jsonl" "$seek" sample --model "$dir/rl" --task "$task" --samples 4 --problems "${RS_PROBLEMS:-800}" --seed 11 \
  --max-tokens 64 "${thr[@]}" --quiet --out "$dir/rs.jsonl" > "$dir/rs.summary.json"

# 5. SFT of the base on the rejection samples and the cold-start set
cat "$dir/rs.jsonl" "$dir/cold.jsonl" > "$dir/sft2.jsonl"
stage sft "$dir/sft2" "$seek" sft --model "$dir/demo/base" --data "$dir/sft2.jsonl" --out "$dir/sft2" --epochs "$epochs" --batch 16 \
  --seq-len 512 --lr 2e-3 --keep-checkpoints 1 "${thr[@]}" > /dev/null
evaluate "$dir/sft2" "$dir/eval_sft2.jsonl"

# 6. distillation into a dense Qwen2-shaped student with a tokenizer of its own
# (fewer merges than the teacher's: another vocabulary; on this corpus the teacher's stops at ~430 tokens)
"$seek" tokenizer-train --input "$dir/demo/corpus.jsonl" --vocab-size 384 --out "$dir/student_tokenizer" 2>/dev/null
vocab=$(node -e "const t=JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
  console.log(1 + Math.max(...Object.values(t.model.vocab), ...t.added_tokens.map((a) => a.id)))" \
  "$dir/student_tokenizer/tokenizer.json")
cat > "$dir/student_config.json" <<JSON
{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": $vocab, "hidden_size": 128,
 "intermediate_size": 384, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
 "max_position_embeddings": 512, "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
 "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "float32"}
JSON
rm -rf "$dir/student0"
"$seek" synth --config "$dir/student_config.json" --dtype f32 --seed 5 --out "$dir/student0" > /dev/null 2>&1
cp "$dir/student_tokenizer/tokenizer.json" "$dir/student_tokenizer/tokenizer_config.json" "$dir/student0/"
head -n "${STUDENT_DOCS:-10000}" "$dir/demo/corpus.jsonl" > "$dir/student_corpus.jsonl"
stage student_pretrain "$dir/student" "$seek" sft --model "$dir/student0" --data "$dir/student_corpus.jsonl" --out "$dir/student" \
  --epochs 1 --batch 16 --seq-len 256 --lr 3e-3 --keep-checkpoints 1 "${thr[@]}" > /dev/null
evaluate "$dir/student" "$dir/eval_student_r1zero.jsonl" r1-zero
evaluate "$dir/student" "$dir/eval_student_chat.jsonl" chat
stage distill "$dir/distilled" "$seek" sft --model "$dir/student" --data "$dir/rs.jsonl" --out "$dir/distilled" --epochs "$epochs" \
  --batch 16 --seq-len 256 --lr 2e-3 --keep-checkpoints 1 "${thr[@]}" > /dev/null
evaluate "$dir/distilled" "$dir/eval_distilled.jsonl"

# The table: pass@1 ± stderr per stage, and the paired gain over the stage it starts from.
node - "$dir" "$(( $(date +%s) - t_all ))" <<'JS'
const fs = require('fs'), dir = process.argv[2], total = +process.argv[3];
const lines = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n').map(JSON.parse);
const secs = Object.fromEntries(fs.readdirSync(`${dir}/seconds`).map((k) => [k, +fs.readFileSync(`${dir}/seconds/${k}`, 'utf8')]));
const stat = (xs) => { const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1); return [m, Math.sqrt(v / xs.length)]; };
const p1 = (f) => lines(f).map((r) => r['pass@1']);
const paired = (a, b) => { const x = lines(a), y = lines(b);
  x.forEach((r, i) => { if (r.id !== y[i].id) throw new Error(`${a} and ${b} evaluate different problems`); });
  return stat(y.map((r, i) => r['pass@1'] - x[i]['pass@1'])); };
const better = stat(p1('eval_student_r1zero.jsonl'))[0] >= stat(p1('eval_student_chat.jsonl'))[0]
  ? 'eval_student_r1zero.jsonl' : 'eval_student_chat.jsonl';
const rows = [
  ['pretrained tiny V3 (R1-Zero prompt)', 'eval_base.jsonl', null, 'pretrain_and_r1zero'],
  ['R1-Zero: GRPO on the pretrained model', 'eval_r1zero.jsonl', 'eval_base.jsonl', null],
  ['cold-start SFT (chat)', 'eval_cold.jsonl', 'eval_base.jsonl', 'cold_start'],
  ['GRPO on the cold-started model', 'eval_rl.jsonl', 'eval_cold.jsonl', 'grpo'],
  ['SFT of the base on rejection samples + cold start', 'eval_sft2.jsonl', 'eval_base.jsonl', 'sft'],
  ['dense student (Qwen2 shape, own tokenizer), pretrained only, R1-Zero prompt', 'eval_student_r1zero.jsonl', null, 'student_pretrain'],
  ['the same student, chat prompt', 'eval_student_chat.jsonl', null, null],
  ['the student distilled from the GRPO model\'s samples', 'eval_distilled.jsonl', better, 'distill'],
];
const f3 = (x) => x.toFixed(3);
let md = '| stage | pass@1 ± stderr | gain over | paired gain (s.e.) | wall s |\n|---|---|---|---|---|\n';
const out = [];
for (const [name, f, base, s] of rows) {
  const [m, se] = stat(p1(f));
  let g = '', over = '';
  if (base) { const [gm, gs] = paired(base, f); g = `${gm >= 0 ? '+' : ''}${f3(gm)} ± ${f3(gs)} (${gs > 0 ? (gm / gs).toFixed(1) : '—'})`;
    over = base.replace('eval_', '').replace('.jsonl', ''); out.push({ name, base, gain: gm, gain_stderr: gs }); }
  md += `| ${name} | ${f3(m)} ± ${f3(se)} | ${over} | ${g} | ${s ? secs[s] ?? '' : ''} |\n`;
  out.push({ name, file: f, pass1: m, stderr: se, seconds: s ? secs[s] : null });
}
const rs = JSON.parse(fs.readFileSync(`${dir}/rs.summary.json`, 'utf8'));
const sum = Object.values(secs).reduce((a, b) => a + b, 0);
md += `\nrejection sampling kept ${rs.kept} of ${rs.samples} samples; the stages took ${sum} s, this run ${total} s (with the evaluations)\n`;
fs.writeFileSync(`${dir}/recipe.md`, md);
fs.writeFileSync(`${dir}/recipe.json`, JSON.stringify({ rows: out, total_seconds: total, rejection: rs }, null, 2));
console.log(md);
JS
