#!/usr/bin/env bash
# seek eval and seek task-corpus as a user runs them.
#  1. An R1-Distill-shaped model: the Qwen2 fixture (random weights) with a byte-level tokenizer cut to its 256
#     ids and DeepSeek-R1's chat template (as R1-Distill-Qwen ships it), evaluated through its template (the
#     generation prompt forces "<think>\n"). The numbers are meaningless; the files and fields are what is tested,
#     and the summary is recomputed here from the per-problem lines with the estimators' definitions (pass@1 =
#     mean of per-problem means, stderr over problems, cons@k from the lines' majority flags, pass@k = 1 -
#     C(n-c,k)/C(n,k)); every line's accuracies equal `seek grade` on its completions.
#  2. A seek-trained model: a corpus from `seek task-corpus` (checked: the asked fraction is wrong, and `seek grade`
#     agrees with each document's correct flag), a tokenizer, shards, a few training steps, then eval (the R1-Zero
#     plain template, chosen automatically for a seek checkpoint).
#  3. Bad input: a model without a chat template, a prompt longer than the context, bad options.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

# ---- an R1-Distill-shaped Qwen2 folder
cp -r "$ROOT/tests/fixtures/qwen2-tiny" distill
printf 'The quick brown fox. 12 + 34 = 46\n' > tiny.txt
"$SEEK" tokenizer-train --input tiny.txt --vocab-size 263 --out tok263 >/dev/null 2>&1 || fail "tokenizer-train"
node - tok263 distill <<'JS' || fail "cutting the tokenizer to 256 ids"
// 7 special tokens (ids 0..6: BOS 0, EOS 1, ...) + 256 bytes = 263 ids; bytes 0xF9..0xFF never occur in UTF-8 and
// hold the ids 256..262: drop them so the tokenizer fits the model's 256 ids.
const fs = require('fs');
const [src, dst] = process.argv.slice(2);
const tj = JSON.parse(fs.readFileSync(`${src}/tokenizer.json`, 'utf8'));
const vocab = tj.model.vocab;
let dropped = 0;
for (const [k, id] of Object.entries(vocab)) if (id >= 256) { delete vocab[k]; dropped++; }
if (dropped !== 7 || tj.model.merges.length !== 0) throw new Error(`dropped ${dropped}, merges ${tj.model.merges.length}`);
fs.writeFileSync(`${dst}/tokenizer.json`, JSON.stringify(tj));
fs.copyFileSync(`${src}/tokenizer_config.json`, `${dst}/tokenizer_config.json`);
JS

"$SEEK" eval --model distill --task arithmetic --samples 3 --problems 4 --max-tokens 12 --seed 5 --out distill.jsonl \
  --quiet >summary.json 2>err.txt || { cat err.txt; fail "eval on the Qwen2 fixture"; }

# the summary against the lines; the lines against seek grade
check_eval() {  # check_eval SUMMARY LINES TASK PROBLEMS SAMPLES STYLE
  node - "$@" <<'JS'
const fs = require('fs');
const [sumPath, linesPath, task, P, n, style] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync(sumPath, 'utf8'));
const L = fs.readFileSync(linesPath, 'utf8').split('\n').filter(x => x).map(JSON.parse);
const near = (a, b, what) => { if (!(Math.abs(a - b) < 1e-12)) throw new Error(`${what}: ${a} vs ${b}`); };
for (const k of ['pass@1', 'stderr', 'cons@k', 'pass@k', 'problems', 'samples', 'task', 'prompt_style', 'k'])
  if (!(k in s)) throw new Error(`summary has no ${k}`);
if (s.problems !== +P || s.samples !== +n || L.length !== +P) throw new Error(`problems ${s.problems}, samples ${s.samples}, lines ${L.length}`);
if (s.prompt_style !== style) throw new Error(`prompt_style ${s.prompt_style}, want ${style}`);
if (!s.task.startsWith(task.split(':')[0])) throw new Error(`task ${s.task}`);
const binom = (a, b) => { if (b < 0 || b > a) return 0; let r = 1; for (let i = 1; i <= b; i++) r = r * (a - b + i) / i; return r; };
const m = [];
let cons = 0, passk = 0;
for (const l of L) {
  for (const k of ['id', 'question', 'answer', 'prompt', 'completions', 'extracted', 'accuracy', 'format', 'rewards', 'finish', 'tokens'])
    if (!(k in l)) throw new Error(`line has no ${k}`);
  for (const k of ['completions', 'extracted', 'accuracy', 'format', 'rewards', 'finish', 'tokens'])
    if (l[k].length !== +n) throw new Error(`${k} has ${l[k].length} entries, not ${n}`);
  const c = l.accuracy.reduce((a, b) => a + b, 0);
  near(l['pass@1'], c / n, 'line pass@1');
  m.push(c / n);
  cons += l.cons;
  passk += 1 - binom(n - c, +n) / binom(+n, +n);
  for (const t of l.tokens) if (t > s.max_tokens) throw new Error(`a completion of ${t} tokens, max ${s.max_tokens}`);
}
const mean = m.reduce((a, b) => a + b, 0) / m.length;
near(s['pass@1'], mean, 'pass@1');
const sd = Math.sqrt(m.reduce((a, x) => a + (x - mean) ** 2, 0) / (m.length - 1));
near(s.stderr, sd / Math.sqrt(m.length), 'stderr');
near(s['cons@k'], cons / L.length, 'cons@k');
near(s['pass@k'], passk / L.length, 'pass@k');
// input for seek grade: every completion with its answer and started_in_think
const out = [];
for (const l of L) l.completions.forEach(c => out.push(JSON.stringify({completion: c, answer: l.answer, started_in_think: l.started_in_think})));
fs.writeFileSync('regrade.jsonl', out.join('\n') + '\n');
fs.writeFileSync('want_acc.json', JSON.stringify(L.flatMap(l => l.accuracy)));
console.log(`ok: summary ${JSON.stringify({p1: s['pass@1'], se: s.stderr, cons: s['cons@k'], pk: s['pass@k']})} matches ${L.length} lines`);
JS
}
regrade() {  # regrade TASK FORMAT_RULE: seek grade on the completions gives the eval's accuracies
  "$SEEK" grade --task "$1" --input regrade.jsonl --format-rule "$2" >regraded.jsonl 2>/dev/null || { fail "regrade"; return; }
  node -e "
    const fs=require('fs'); const want=JSON.parse(fs.readFileSync('want_acc.json','utf8'));
    const got=fs.readFileSync('regraded.jsonl','utf8').split('\n').filter(x=>x).map(l=>JSON.parse(l).accuracy);
    if (JSON.stringify(got)!==JSON.stringify(want)) throw new Error(got+' vs '+want); console.log('ok: seek grade agrees on '+got.length+' completions')" \
    || fail "seek grade disagrees with seek eval"
}
check_eval summary.json distill.jsonl arithmetic 4 3 chat || fail "eval summary on the Qwen2 fixture"
regrade arithmetic think
node -e "
  const l=JSON.parse(require('fs').readFileSync('distill.jsonl','utf8').split('\n')[0]);
  if (!l.prompt.endsWith('<｜Assistant｜><think>\n') || l.started_in_think!==true) throw new Error(JSON.stringify(l.prompt));
  if (!l.prompt.includes('\\\\boxed{}')) throw new Error('no boxed instruction: '+l.prompt)" || fail "chat prompt with forced <think>"

# same seed, same results; another seed, other problems
"$SEEK" eval --model distill --task arithmetic --samples 3 --problems 4 --max-tokens 12 --seed 5 --out again.jsonl --quiet \
  >/dev/null 2>&1 || fail "second eval"
cmp -s distill.jsonl again.jsonl || fail "the same seed gave different per-problem results"
"$SEEK" eval --model distill --task arithmetic --samples 3 --problems 4 --max-tokens 12 --seed 6 --out other.jsonl --quiet \
  >/dev/null 2>&1 || fail "third eval"
[ "$(head -c 200 other.jsonl)" != "$(head -c 200 distill.jsonl)" ] || fail "another seed drew the same problems"
# a problem's samples do not depend on what else is evaluated: 2 problems give the first 2 lines of the 4-problem run
"$SEEK" eval --model distill --task arithmetic --samples 3 --problems 2 --max-tokens 12 --seed 5 --out two.jsonl --quiet \
  >/dev/null 2>&1 || fail "eval of 2 problems"
[ "$(cat two.jsonl)" = "$(head -n 2 distill.jsonl)" ] || fail "a problem's samples changed with the batch around it"

# GSM8K through the chat template: a dataset task
"$SEEK" eval --model distill --task "gsm8k:$SHARED/data/gsm8k" --samples 2 --problems 2 --max-tokens 6 --out gsm.jsonl \
  --quiet >gsm_summary.json 2>err.txt || { cat err.txt; fail "eval on GSM8K"; }
check_eval gsm_summary.json gsm.jsonl gsm8k 2 2 chat || fail "GSM8K eval summary"

# ---- task-corpus, then a seek-trained model
"$SEEK" task-corpus --task arithmetic:digits=1,terms=2 --n 400 --wrong-fraction 0.25 --seed 1 --out corpus.jsonl \
  2>err.txt || { cat err.txt; fail "task-corpus"; }
node -e "
  const fs=require('fs'); const L=fs.readFileSync('corpus.jsonl','utf8').split('\n').filter(x=>x).map(JSON.parse);
  if (L.length!==400) throw new Error(L.length+' documents');
  const wrong=L.filter(l=>!l.correct).length; if (wrong!==100) throw new Error(wrong+' wrong, want 100');
  for (const l of L) if (l.text!==l.prompt+l.completion || !l.prompt.startsWith('A conversation between User and Assistant.')) throw new Error(l.text);
  fs.writeFileSync('corpus_grade.jsonl', L.map(l=>JSON.stringify({completion:l.completion, answer:l.answer})).join('\n')+'\n');
  fs.writeFileSync('corpus_want.json', JSON.stringify(L.map(l=>l.correct?1:0)));" || fail "corpus contents"
"$SEEK" grade --task arithmetic:digits=1,terms=2 --input corpus_grade.jsonl >corpus_graded.jsonl 2>/dev/null || fail "grading the corpus"
node -e "
  const fs=require('fs'); const want=JSON.parse(fs.readFileSync('corpus_want.json','utf8'));
  const g=fs.readFileSync('corpus_graded.jsonl','utf8').split('\n').filter(x=>x).map(JSON.parse);
  g.forEach((o,i)=>{ if (o.accuracy!==want[i]||o.format!==1) throw new Error('document '+(i+1)+': '+JSON.stringify(o)); });
  console.log('ok: the checker grades the 300 correct documents 1 and the 100 wrong ones 0')" || fail "corpus grades"
"$SEEK" task-corpus --task arithmetic --n 5 --out corpus.txt 2>/dev/null || fail "task-corpus to text"
[ "$(wc -l <corpus.txt)" -eq 5 ] || fail "corpus.txt does not have 5 lines"

"$SEEK" tokenizer-train --input corpus.jsonl --vocab-size 300 --out tok >/dev/null 2>&1 || fail "tokenizer-train on the corpus"
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
  "data": "data", "seq_len": 64, "batch_size": 2, "max_steps": 4,
  "lr_schedule": {"type": "constant", "peak_lr": 0.003}, "checkpoint_every": 4
}
JSON
"$SEEK" train --config train.json --out run >/dev/null 2>train.err || { tail -3 train.err; fail "train"; }
"$SEEK" eval --model run --task arithmetic:digits=1,terms=2 --samples 2 --problems 3 --max-tokens 16 --out run.jsonl \
  --quiet >run_summary.json 2>err.txt || { cat err.txt; fail "eval on the seek-trained model"; }
check_eval run_summary.json run.jsonl arithmetic 3 2 r1-zero || fail "eval summary on the seek-trained model"
regrade arithmetic:digits=1,terms=2 r1-zero
node -e "
  const l=JSON.parse(require('fs').readFileSync('run.jsonl','utf8').split('\n')[0]);
  if (!l.prompt.startsWith('A conversation between User and Assistant.')||!l.prompt.endsWith('. Assistant:')) throw new Error(l.prompt);
  for (const f of l.finish) if (!['stop','length','context'].includes(f)) throw new Error(f)" || fail "r1-zero prompt"

# ---- bad input: one line naming what is wrong
cp -r distill notemplate
node -e "const f='notemplate/tokenizer_config.json',fs=require('fs'),j=JSON.parse(fs.readFileSync(f,'utf8')); delete j.chat_template; fs.writeFileSync(f,JSON.stringify(j))"
expect_error "no chat template" "notemplate" "no chat template" -- \
  "$SEEK" eval --model notemplate --task arithmetic --prompt-style chat --problems 1 --quiet
cp -r distill shortctx
node -e "const f='shortctx/config.json',fs=require('fs'),j=JSON.parse(fs.readFileSync(f,'utf8')); j.max_position_embeddings=32; fs.writeFileSync(f,JSON.stringify(j))"
expect_error "prompt longer than the context" "the prompt is" "context is 32" -- \
  "$SEEK" eval --model shortctx --task arithmetic --problems 1 --quiet
expect_error "no tokenizer" "tokenizer.json" -- "$SEEK" eval --model "$ROOT/tests/fixtures/qwen2-tiny" --task arithmetic --quiet
expect_error "zero samples" "--samples" -- "$SEEK" eval --model distill --task arithmetic --samples 0 --quiet
expect_error "bad task" "unknown task" -- "$SEEK" eval --model distill --task poetry --quiet
expect_error "bad prompt style" "prompt style" -- "$SEEK" eval --model distill --task arithmetic --prompt-style xml --quiet
expect_error "bad top-p" "top_p" -- "$SEEK" eval --model distill --task arithmetic --top-p 0 --quiet
expect_error "corpus from a dataset" "worked solutions" -- "$SEEK" task-corpus --task "gsm8k:$SHARED/data/gsm8k" --n 3 --out x.jsonl
expect_error "corpus fraction" "--wrong-fraction" -- "$SEEK" task-corpus --task arithmetic --n 3 --wrong-fraction 2 --out x.jsonl
finish
