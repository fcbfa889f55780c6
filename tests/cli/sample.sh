#!/usr/bin/env bash
# seek sample (rejection sampling) as a user runs it, on a teacher whose answers we chose: a small random
# Qwen2-shaped model (written by node, not by seek) fine-tuned by seek sft on six problems of a JSONL task, each with
# a reply made to pass or fail one filter (correct twice; a wrong answer; reasoning that drifts into Chinese; a
# repeated-word loop; R1's empty <think>). Sampling through its chat template (DeepSeek-R1's, which opens
# "<think>\n"), then:
#  - each problem's samples are screened as designed, and the summary counts what the file holds;
#  - every kept line grades correct and well-formed by `seek grade` (the checker run on the file's text, a
#    different code path), and with --keep all every line's accuracy and format agree with `seek grade` too;
#  - the lines are what `seek eval --split train` draws with the same seed (same prompts and completions);
#  - the file is SFT data: `seek sft` trains on it;
#  - a token limit that cuts every sample keeps none; bad input is a one-line error naming it.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

INSTR="Box it."  # the instruction the chat prompts append (shorter than R1's, so the rows stay short)
cat > problems.jsonl <<'JSONL'
{"id": "kept", "question": "What is 2 plus 3?", "answer": "5"}
{"id": "wrong", "question": "What is 4 plus 4?", "answer": "8"}
{"id": "mixed", "question": "What is 1 plus 5?", "answer": "6"}
{"id": "loop", "question": "What is 3 plus 4?", "answer": "7"}
{"id": "format", "question": "What is 6 plus 2?", "answer": "8"}
{"id": "kept2", "question": "What is 5 plus 4?", "answer": "9"}
JSONL
node - "$INSTR" <<'JS' || fail "writing the teacher's chats"
const fs = require('fs'), instr = process.argv[2];
const reply = {
  kept: 'Two plus three is five.', wrong: 'Four plus four is nine.', mixed: 'One plus five 等于六。',
  loop: 'ok '.repeat(22) + 'so seven.', format: '', kept2: 'Five plus four is nine.'};
const boxed = {kept: 5, wrong: 9, mixed: 6, loop: 7, format: 8, kept2: 9};
const P = fs.readFileSync('problems.jsonl', 'utf8').trim().split('\n').map(JSON.parse);
const lines = P.map(p => JSON.stringify({messages: [{role: 'user', content: p.question + '\n' + instr},
  {role: 'assistant', content: `<think>\n${reply[p.id]}\n</think>\n\n\\boxed{${boxed[p.id]}}`}]}));
fs.writeFileSync('teach.jsonl', lines.join('\n') + '\n');
fs.writeFileSync('corpus.txt', lines.join('\n').replace(/[{}\[\]"]/g, '') + '\n');
JS
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 300 --min-frequency 1 --out base >/dev/null 2>&1 \
  || fail "tokenizer-train"
node "$ROOT/tests/cli/random_qwen2.js" base 11 || fail "writing the base model"
"$SEEK" sft --model base --data teach.jsonl --out teach-run --epochs 80 --batch 2 --seq-len 128 --lr 3e-3 \
  >/dev/null 2>teacher.err || { tail -3 teacher.err; fail "fine-tuning the teacher"; }
# the teacher as a published model folder (without the trainer's state, seek takes a run's checkpoint for a
# pretraining one and prompts it with R1-Zero's plain template)
cp -rL teach-run/latest teacher && rm -f teacher/trainer_state.json || fail "copying the teacher"

S=(--model teacher --task jsonl:problems.jsonl --samples 3 --seed 4 --instruction "$INSTR" --quiet)
"$SEEK" sample "${S[@]}" --max-tokens 80 --keep all --out all.jsonl >all.json 2>all.err || { cat all.err; fail "seek sample --keep all"; }
"$SEEK" sample "${S[@]}" --max-tokens 80 --out kept.jsonl >kept.json 2>kept.err || { cat kept.err; fail "seek sample"; }

# the screening, the summary and the file's lines
node - "$INSTR" <<'JS' || fail "screening and summary"
const fs = require('fs'), instr = process.argv[2];
const read = f => fs.readFileSync(f, 'utf8').split('\n').filter(x => x).map(JSON.parse);
const all = read('all.jsonl'), kept = read('kept.jsonl'), s = JSON.parse(fs.readFileSync('kept.json', 'utf8'));
const P = read('problems.jsonl');
const want = {kept: [], wrong: ['incorrect'], mixed: ['mixed_language'], loop: ['runaway'], format: ['format'], kept2: []};
if (all.length !== 18) throw new Error(`--keep all wrote ${all.length} lines, not 6 problems x 3`);
for (const l of all) {
  const m = l.meta, p = P.find(p => p.id === m.id);
  for (const k of ['task', 'id', 'sample', 'reward', 'accuracy', 'format', 'tokens', 'answer', 'extracted', 'finish', 'kept', 'rejected'])
    if (!(k in m)) throw new Error(`meta has no ${k}`);
  if (l.messages.length !== 2 || l.messages[0].role !== 'user' || l.messages[1].role !== 'assistant') throw new Error('roles');
  if (l.messages[0].content !== p.question + '\n' + instr) throw new Error(`user turn ${JSON.stringify(l.messages[0].content)}`);
  if (!l.messages[1].content.startsWith('<think>\n')) throw new Error(`the template's <think>\\n is missing: ${l.messages[1].content}`);
  if (m.answer !== p.answer) throw new Error(`answer ${m.answer}`);
  if (JSON.stringify(m.rejected) !== JSON.stringify(want[m.id]))
    throw new Error(`${m.id} sample ${m.sample}: rejected ${JSON.stringify(m.rejected)}, designed ${JSON.stringify(want[m.id])}: ${l.messages[1].content}`);
  if (m.kept !== (m.rejected.length === 0)) throw new Error('kept flag');
}
const keptAll = all.filter(l => l.meta.kept);
if (JSON.stringify(kept) !== JSON.stringify(keptAll)) throw new Error('the default file is not the kept lines of --keep all');
const count = r => all.filter(l => l.meta.rejected.includes(r)).length;
const rej = {incorrect: count('incorrect'), format: count('format'), truncated: 0, runaway: count('runaway'), mixed_language: count('mixed_language')};
const expect = {problems: 6, k: 3, samples: 18, kept: kept.length, kept_fraction: kept.length / 18, split: 'train',
  problems_with_kept: new Set(kept.map(l => l.meta.id)).size, prompt_style: 'chat', keep: 'correct'};
for (const [k, v] of Object.entries(expect)) if (s[k] !== v) throw new Error(`summary ${k} ${s[k]}, want ${v}`);
const sorted = o => JSON.stringify(Object.keys(o).sort().map(k => [k, o[k]]));
if (sorted(s.rejected) !== sorted(rej)) throw new Error(`rejected ${JSON.stringify(s.rejected)} vs ${JSON.stringify(rej)}`);
if (kept.length !== 6 || s.problems_with_kept !== 2) throw new Error(`${kept.length} kept`);
// the kept chains of thought, read independently: English only, no run of "ok ok"
for (const l of kept) { const c = l.messages[1].content; if (/[^\x00-\x7f]/.test(c) || c.includes('ok ok')) throw new Error(c); }
fs.writeFileSync('regrade_kept.jsonl', kept.map(l => JSON.stringify({completion: l.messages[1].content, answer: l.meta.answer})).join('\n') + '\n');
fs.writeFileSync('regrade_all.jsonl', all.map(l => JSON.stringify({completion: l.messages[1].content, answer: l.meta.answer})).join('\n') + '\n');
fs.writeFileSync('want_all.json', JSON.stringify(all.map(l => [l.meta.accuracy, l.meta.format])));
console.log(`ok: ${kept.length} of 18 kept, rejected ${JSON.stringify(s.rejected)}`);
JS

# seek grade on the file's text: kept lines are correct and well-formed; every line agrees with its meta
"$SEEK" grade --task jsonl:problems.jsonl --input regrade_kept.jsonl --format-rule think >graded_kept.jsonl 2>/dev/null \
  || fail "seek grade on the kept lines"
node -e "
  const g=require('fs').readFileSync('graded_kept.jsonl','utf8').split('\n').filter(x=>x).map(JSON.parse);
  if (!g.length) throw new Error('nothing graded');
  for (const o of g) if (o.accuracy!==1 || o.format!==1) throw new Error('a kept line grades '+JSON.stringify(o));
  console.log('ok: seek grade finds all '+g.length+' kept lines correct and well-formed')" || fail "kept lines regraded"
"$SEEK" grade --task jsonl:problems.jsonl --input regrade_all.jsonl --format-rule think >graded_all.jsonl 2>/dev/null \
  || fail "seek grade on all lines"
node -e "
  const fs=require('fs'); const want=JSON.parse(fs.readFileSync('want_all.json','utf8'));
  const got=fs.readFileSync('graded_all.jsonl','utf8').split('\n').filter(x=>x).map(l=>{const o=JSON.parse(l); return [o.accuracy,o.format];});
  if (JSON.stringify(got)!==JSON.stringify(want)) throw new Error(JSON.stringify(got)+' vs '+JSON.stringify(want))" \
  || fail "seek grade disagrees with the samples' meta"

# the same draw as seek eval on the train split: the same completions, sample by sample
"$SEEK" eval "${S[@]}" --max-tokens 80 --split train --out eval.jsonl >/dev/null 2>&1 || fail "seek eval --split train"
node -e "
  const fs=require('fs'); const read=f=>fs.readFileSync(f,'utf8').split('\n').filter(x=>x).map(JSON.parse);
  const all=read('all.jsonl'), ev=read('eval.jsonl');
  const flat=ev.flatMap(l=>l.completions.map((c,j)=>[l.id,j,'<think>\n'+c,l.accuracy[j]]));
  const mine=all.map(l=>[l.meta.id,l.meta.sample,l.messages[1].content,l.meta.accuracy]);
  if (JSON.stringify(flat)!==JSON.stringify(mine)) throw new Error('seek sample and seek eval drew differently');
  console.log('ok: the 18 samples are what seek eval draws')" || fail "sample vs eval"

# the file feeds seek sft
"$SEEK" sft --model base --data kept.jsonl --out student --epochs 2 --batch 2 --seq-len 128 >/dev/null 2>student.err \
  || { tail -3 student.err; fail "seek sft on the kept samples"; }
[ "$(wc -l <student/metrics.jsonl)" -ge 2 ] || fail "seek sft logged fewer than 2 steps"

# a token limit that cuts every sample: all truncated, none kept, an empty file
"$SEEK" sample "${S[@]}" --max-tokens 3 --out cut.jsonl >cut.json 2>/dev/null || fail "seek sample --max-tokens 3"
node -e "
  const s=JSON.parse(require('fs').readFileSync('cut.json','utf8'));
  if (s.kept!==0 || s.rejected.truncated!==18 || s.problems_with_kept!==0) throw new Error(JSON.stringify(s))" \
  || fail "truncated samples were kept"
[ -f cut.jsonl ] && [ ! -s cut.jsonl ] || fail "cut.jsonl is not an empty file"

# bad input: one line naming it
expect_error "unknown task" "unknown task" "poetry" -- "$SEEK" sample --model teacher --task poetry --out x.jsonl --quiet
expect_error "k < 1" "--samples" -- "$SEEK" sample --model teacher --task jsonl:problems.jsonl --samples 0 --out x.jsonl --quiet
expect_error "--out in a missing folder" "nowhere" "does not exist" -- \
  "$SEEK" sample --model teacher --task jsonl:problems.jsonl --out nowhere/x.jsonl --quiet
expect_error "--out is a folder" "is a folder" -- "$SEEK" sample --model teacher --task jsonl:problems.jsonl --out teacher --quiet
expect_error "no --out" "--out" -- "$SEEK" sample --model teacher --task jsonl:problems.jsonl
expect_error "bad --keep" "--keep" "correct or all" -- \
  "$SEEK" sample --model teacher --task jsonl:problems.jsonl --keep some --out x.jsonl --quiet
expect_error "bad --max-foreign" "--max-foreign" -- \
  "$SEEK" sample --model teacher --task jsonl:problems.jsonl --max-foreign 2 --out x.jsonl --quiet
expect_error "bad --max-chars" "--max-chars" -- \
  "$SEEK" sample --model teacher --task jsonl:problems.jsonl --max-chars 0 --out x.jsonl --quiet
expect_error "bad split" "split 'dev'" -- "$SEEK" sample --model teacher --task jsonl:problems.jsonl --split dev --out x.jsonl --quiet
expect_error "no such model" "nope" -- "$SEEK" sample --model nope --task jsonl:problems.jsonl --out x.jsonl --quiet
[ ! -e x.jsonl ] || fail "a failed run wrote x.jsonl"
"$SEEK" sample --help | grep -q "must come from the train split" || fail "--help does not say samples come from the train split"
finish
