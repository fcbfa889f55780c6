#!/usr/bin/env bash
# The whole R1 recipe (bench/r1_recipe.sh) runs from a fresh build and chains its stages, tiny: a short pretraining,
# a few RL steps, small evaluations. Not a quality check (bench/RESULTS.md has the full-size table; rl_learns checks
# that GRPO learns): it checks that each stage starts from the one before and leaves what the next one needs:
#  - the table has every stage, each with a pass@1 and a standard error, and the gains over the right stages;
#  - each model folder records its stage and prompt style: the cold-started, RL, re-fine-tuned and distilled models
#    chat, the pretrained one takes R1-Zero's prompt, the RL run started from the cold-started model;
#  - the student is a dense Qwen2 model with a tokenizer of its own (the traces went through text), and its
#    fine-tuning data are the RL model's rejection samples.
source "$(dirname "$0")/lib.bash"
cd "$ROOT"
out=$WORK/recipe
if ! SEEK=$SEEK THREADS=1 CORPUS=1500 PRETRAIN_STEPS=150 R1ZERO_STEPS=2 COLD=300 COLD_EPOCHS=12 RL_STEPS=3 RS_PROBLEMS=100 STUDENT_DOCS=600 EPOCHS=2 \
     PROBLEMS=8 SAMPLES=2 bash bench/r1_recipe.sh "$out" > "$WORK/recipe.log" 2>&1; then
  tail -20 "$WORK/recipe.log"
  fail "bench/r1_recipe.sh failed"
  finish
fi
cat "$out/recipe.md"

node - "$out" <<'JS' || fail "the recipe's table or its models are not what the stages should leave"
const fs = require('fs'), dir = process.argv[2];
const r = JSON.parse(fs.readFileSync(`${dir}/recipe.json`, 'utf8'));
const rows = r.rows.filter((x) => x.file);
if (rows.length !== 8) throw new Error(`${rows.length} stages in the table, expected 8`);
for (const x of rows) if (!(x.pass1 >= 0 && x.pass1 <= 1 && x.stderr >= 0)) throw new Error(`bad row ${JSON.stringify(x)}`);
const gains = r.rows.filter((x) => x.base).map((x) => x.base);
for (const want of ['eval_base.jsonl', 'eval_cold.jsonl'])
  if (!gains.includes(want)) throw new Error(`no gain over ${want}: ${gains}`);
const origin = (m) => {
  const real = fs.realpathSync(`${dir}/${m}/latest`);
  const e = JSON.parse(fs.readFileSync(`${real}/trainer_state.json`, 'utf8')).extra;
  return [e.stage, e.prompt_style ?? e.config?.prompt_style ?? ''].join('/');
};
const want = { 'demo/base': 'pretrain/', cold: 'sft/chat', rl: 'rl/chat', sft2: 'sft/chat', distilled: 'sft/chat' };
for (const [m, w] of Object.entries(want))
  if (origin(m) !== w) throw new Error(`${m}: trainer state says ${origin(m)}, expected ${w}`);
const rl = JSON.parse(fs.readFileSync(`${dir}/rl/summary.json`, 'utf8'));
if (!String(rl.start_model).endsWith('/cold')) throw new Error(`the RL run started from ${rl.start_model}, not the cold-started model`);
const student = JSON.parse(fs.readFileSync(`${fs.realpathSync(`${dir}/distilled/latest`)}/config.json`, 'utf8'));
if (student.model_type !== 'qwen2') throw new Error(`the student is ${student.model_type}`);
const tok = (p) => fs.readFileSync(`${p}/tokenizer.json`, 'utf8');
if (tok(`${dir}/demo/base/latest`) === tok(`${dir}/distilled/latest`)) throw new Error('the student shares the teacher\'s tokenizer');
const rs = JSON.parse(fs.readFileSync(`${dir}/rs.summary.json`, 'utf8'));
if (!(rs.kept > 0) || !rs.model.includes('rl')) throw new Error(`rejection sampling: ${JSON.stringify(rs)}`);
const distill = JSON.parse(fs.readFileSync(`${dir}/distilled/summary.json`, 'utf8'));
if (distill.samples !== rs.kept) throw new Error(`the student was fine-tuned on ${distill.samples} samples, rejection sampling kept ${rs.kept}`);
console.log(`ok: 8 stages; stages recorded; student ${student.model_type} vocab ${student.vocab_size}; ${rs.kept} rejection samples distilled`);
JS
finish
