#!/usr/bin/env bash
# seek rl as a user runs it, on a small seek-trained model (a task corpus, a tokenizer, shards, a few steps):
#  1. a run writes the run folder (checkpoints, metrics.jsonl with every signal the log promises, report.html,
#     summary.json with held-out pass@1 before and after);
#  2. exact resume: a run killed after step 3 (checkpoint at 2) and continued with `--resume` alone, and a run of 2
#     steps continued to 4 with `--resume --steps 4`, give the same rewards, losses and gradient norms as one run
#     of 4 steps; a finished run refuses to resume;
#  3. the RL checkpoint is a model folder seek eval reads;
#  4. bad input: G < 2, a dense model, a missing folder, a run folder already used, a resume that changes the
#     objective, a task file with a missing field - one line naming it.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

"$SEEK" task-corpus --task arithmetic:digits=1,terms=2 --n 400 --wrong-fraction 0.5 --seed 1 --out corpus.jsonl \
  2>/dev/null || fail "task-corpus"
"$SEEK" tokenizer-train --input corpus.jsonl --vocab-size 300 --out tok >/dev/null 2>&1 || fail "tokenizer-train"
"$SEEK" data --tokenizer tok --input corpus.jsonl --out data >/dev/null 2>&1 || fail "data"
cat > train.json <<JSON
{
  "model": {"model_type": "deepseek_v3", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 64,
            "moe_intermediate_size": 16, "num_hidden_layers": 2, "first_k_dense_replace": 1,
            "num_attention_heads": 2, "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2,
            "n_group": 1, "topk_group": 1, "topk_method": "noaux_tc", "scoring_func": "sigmoid",
            "norm_topk_prob": true, "routed_scaling_factor": 1.0, "q_lora_rank": 16, "kv_lora_rank": 16,
            "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "max_position_embeddings": 512,
            "num_nextn_predict_layers": 0, "bos_token_id": 0, "eos_token_id": 1},
  "data": "data", "seq_len": 64, "batch_size": 8, "max_steps": 80,
  "lr_schedule": {"type": "constant", "peak_lr": 0.01}, "checkpoint_every": 80
}
JSON
"$SEEK" train --config train.json --out base >/dev/null 2>train.err || { tail -3 train.err; fail "train"; }

# The base model has barely trained: its answers are all wrong, so a length penalty makes the rewards differ
# within groups and the gradients non-zero (checked below), or resuming would have nothing to get wrong.
RL=(--task arithmetic:digits=1,terms=2 --prompts 2 --group-size 3 --max-tokens 24 --lr 0.003 --quiet)
cat > rl.json <<JSON
{"eval_problems": 3, "eval_samples": 2, "checkpoint_every": 2, "temperature": 1.0,
 "reward": {"length_max": 24, "length_buffer": 16}, "truncated": "keep"}
JSON

# ---- 1. one run of 4 steps
"$SEEK" rl --config rl.json --model base --out A --steps 4 "${RL[@]}" >A.json 2>A.err || { tail -3 A.err; fail "rl run"; }
for f in A/latest/model.safetensors A/latest/config.json A/latest/tokenizer.json A/metrics.jsonl A/report.html \
  A/summary.json A/step-2/trainer_state.json; do
  [ -e "$f" ] || fail "missing $f"
done
node - A <<'JS' || fail "metrics and summary"
const fs = require('fs');
const dir = process.argv[2];
const recs = fs.readFileSync(`${dir}/metrics.jsonl`, 'utf8').trim().split('\n').map(JSON.parse);
if (recs.length !== 4) throw new Error(`${recs.length} metric lines`);
const keys = ['reward', 'reward_accuracy', 'reward_format', 'reward_length', 'accuracy', 'frac_reward_zero_std',
  'truncated_ratio', 'mean_length', 'mean_terminated_length', 'kl', 'entropy', 'clip_fraction', 'grad_norm', 'loss',
  'rollout_tokens_per_s', 'train_tokens_per_s', 'cost_usd'];
for (const r of recs) for (const k of keys) if (!(k in r)) throw new Error(`step ${r.step}: no ${k}`);
if (!recs.some(r => r.grad_norm > 0 && r.frac_reward_zero_std < 1)) throw new Error('no step had a gradient');
if (!('eval_pass@1' in recs[3])) throw new Error('no held-out pass@1 at the last step');
const s = JSON.parse(fs.readFileSync(`${dir}/summary.json`, 'utf8'));
if (typeof s.first_eval['pass@1'] !== 'number' || typeof s.last_eval['pass@1'] !== 'number') throw new Error('evals');
const html = fs.readFileSync(`${dir}/report.html`, 'utf8');
for (const m of ['reward', 'accuracy', 'signals']) if (!html.includes(`data-metric="${m}"`)) throw new Error(`chart ${m}`);
JS

same_curve() {  # same_curve RUN_A RUN_B: the per-step training numbers agree exactly
  node - "$1" "$2" <<'JS'
const fs = require('fs');
const read = d => fs.readFileSync(`${d}/metrics.jsonl`, 'utf8').trim().split('\n').map(JSON.parse);
const [a, b] = process.argv.slice(2).map(read);
if (a.length !== b.length) throw new Error(`${a.length} vs ${b.length} steps`);
for (let i = 0; i < a.length; i++)
  for (const k of ['step', 'reward', 'accuracy', 'loss', 'grad_norm', 'entropy', 'mean_length'])
    if (a[i][k] !== b[i][k]) throw new Error(`step ${a[i].step} ${k}: ${a[i][k]} vs ${b[i][k]}`);
JS
}

# ---- 2. killed after step 3, resumed from step 2 with --resume alone
SEEK_TEST_KILL_AFTER_STEP=3 "$SEEK" rl --config rl.json --model base --out B --steps 4 "${RL[@]}" >/dev/null 2>&1 &&
  fail "the run was not killed"
[ "$(readlink B/latest)" = "step-2" ] || fail "latest after the kill: $(readlink B/latest)"
"$SEEK" rl --out B --resume --quiet >/dev/null 2>B.err || { tail -3 B.err; fail "resume"; }
same_curve A B || fail "killed and resumed run differs from the uninterrupted one"
# 2 steps, then on to 4
"$SEEK" rl --config rl.json --model base --out C --steps 2 "${RL[@]}" >/dev/null 2>&1 || fail "2-step run"
"$SEEK" rl --out C --resume --steps 4 --quiet >/dev/null 2>C.err || { tail -3 C.err; fail "resume to 4"; }
grep -q "steps = 4 (recorded: 2)" C.err || fail "the override was not printed: $(cat C.err)"
same_curve A C || fail "2 + 2 steps differ from 4"
expect_error "resume a finished run" "finished" "--steps" -- "$SEEK" rl --out A --resume --quiet
expect_error "resume changing the objective" "'beta'" "recorded" -- "$SEEK" rl --out C --resume --steps 6 --beta 0.1

# ---- 3. the RL model is a model folder
"$SEEK" eval --model A --task arithmetic:digits=1,terms=2 --samples 2 --problems 3 --max-tokens 12 --quiet \
  >eval.json 2>eval.err || { cat eval.err; fail "eval of the RL model"; }
grep -q '"prompt_style": "r1-zero"' eval.json || fail "eval of the RL model: $(cat eval.json)"

# ---- 4. bad input
expect_error "G < 2" "group_size" ">= 2" -- "$SEEK" rl --model base --out D --group-size 1 "${RL[@]:0:2}"
expect_error "a dense model" "qwen2" "DeepSeek" -- "$SEEK" rl --model "$ROOT/tests/fixtures/qwen2-tiny" --out D
expect_error "no such model" "nope" -- "$SEEK" rl --model nope --out D
expect_error "run folder in use" "already holds a run" -- "$SEEK" rl --model base --out A
expect_error "no --out" "--out" -- "$SEEK" rl --model base
expect_error "unknown preset" "preset" "arithmetic" -- "$SEEK" rl --preset nope --model base --out D
printf '{"question": "1+1?"}\n' > bad.jsonl
expect_error "task file without answers" "bad.jsonl" "answer" -- "$SEEK" rl --model base --out D --task jsonl:bad.jsonl
echo '{"model": "base", "group_sise": 4}' > typo.json
expect_error "config typo" "group_sise" -- "$SEEK" rl --config typo.json --out D
finish
