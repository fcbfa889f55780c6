#!/usr/bin/env bash
# seek grade as a user runs it: hand-made completions for arithmetic, countdown and GSM8K with the expected
# extraction, accuracy, format and reward written beside each line (by hand, from the rules in src/rl/answer.h,
# format.h and countdown.h), compared by a small node reader; stdin input, the reward flags, and bad input (one
# line naming file:line).
source "$(dirname "$0")/lib.bash"
cd "$WORK"

# one case per line: the input for seek grade plus the expected fields under "want"
cat > arith.jsonl <<'JSONL'
{"completion": "<think>12*3=36, 7+36=43</think> <answer>43</answer>", "answer": "43", "want": {"extracted": "43", "accuracy": 1, "format": 1, "reward": 1.1}}
{"completion": "<think>12*3=36, 7+36=43</think> <answer>43.0</answer>", "answer": "43", "want": {"extracted": "43.0", "accuracy": 1, "format": 1, "reward": 1.1}}
{"completion": "<think>12*3=36, 7+36=44</think> <answer>44</answer>", "answer": "43", "want": {"extracted": "44", "accuracy": 0, "format": 1, "reward": 0.1}}
{"completion": "<think>so 43</think> 43", "answer": "43", "want": {"extracted": null, "accuracy": 0, "format": 0, "reward": 0}}
{"completion": "<think>x</think> \\boxed{43} then \\boxed{44}", "answer": "43", "want": {"extracted": null, "accuracy": 0, "format": 0, "reward": 0}}
{"completion": "<think>x</think> \\boxed{\\frac{86}{2}}", "answer": "43", "want": {"extracted": "\\frac{86}{2}", "accuracy": 1, "format": 0, "reward": 1}}
{"completion": "<think>x</think> <answer>−7</answer>", "answer": "-7", "want": {"extracted": "−7", "accuracy": 1, "format": 1, "reward": 1.1}}
{"completion": "<think>still thinking \\boxed{43}", "answer": "43", "want": {"extracted": null, "accuracy": 0, "format": 0, "reward": 0}}
{"completion": "x</think> <answer>43</answer>", "answer": 43, "started_in_think": true, "want": {"extracted": "43", "accuracy": 1, "format": 1, "reward": 1.1}}
JSONL
cat > countdown.jsonl <<'JSONL'
{"completion": "<think>25-5=20, 20*4=80, 80+3=83</think> <answer>(25-5)*4+3</answer>", "numbers": [3, 4, 5, 25], "target": 83, "want": {"extracted": "(25-5)*4+3", "accuracy": 1, "format": 1, "reward": 1.1}}
{"completion": "<think>x</think> <answer>(25-5)*4+3 = 83</answer>", "numbers": [3, 4, 5, 25], "target": 83, "want": {"accuracy": 1, "format": 1}}
{"completion": "<think>x</think> <answer>25*3+4+4</answer>", "numbers": [3, 4, 5, 25], "target": 83, "want": {"accuracy": 0, "format": 1, "note": "used too often"}}
{"completion": "<think>x</think> <answer>83</answer>", "numbers": [3, 4, 5, 25], "target": 83, "want": {"accuracy": 0, "note": "not given: 83"}}
{"completion": "<think>x</think> <answer>(3+5)/(4-4)</answer>", "numbers": [3, 4, 4, 5], "target": 2, "want": {"accuracy": 0, "note": "division by zero"}}
{"completion": "<think>x</think> <answer>6/(1-3/4)</answer>", "numbers": [1, 3, 4, 6], "target": 24, "want": {"accuracy": 1}}
JSONL
cat > gsm.jsonl <<'JSONL'
{"completion": "She sells 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18.", "answer": "18", "want": {"extracted": "18", "accuracy": 1, "format": 0}}
{"completion": "The profit is \\boxed{\\$70,000}.", "answer": "70000", "want": {"extracted": "\\$70,000", "accuracy": 1}}
{"completion": "It went up by 50%", "answer": "50", "want": {"accuracy": 1}}
{"completion": "I am not sure.", "answer": "3", "want": {"extracted": null, "accuracy": 0}}
JSONL

check() {  # check TASK FILE [seek grade flags...]: every output line has the fields its input line wants
  local task=$1 file=$2; shift 2
  "$SEEK" grade --task "$task" --input "$file" "$@" >out.jsonl 2>err.txt || { cat err.txt; fail "grade $task exited non-zero"; return; }
  node - "$file" out.jsonl <<'JS' || fail "grade $task: output differs from the hand-made expectations"
const fs = require('fs');
const lines = f => fs.readFileSync(f, 'utf8').split('\n').filter(l => l.trim());
const inp = lines(process.argv[2]).map(JSON.parse), out = lines(process.argv[3]).map(JSON.parse);
if (inp.length !== out.length) throw new Error(`${out.length} output lines for ${inp.length} input lines`);
let bad = 0;
inp.forEach((c, i) => {
  const o = out[i];
  for (const k of ['extracted', 'accuracy', 'format', 'reward', 'components', 'note'])
    if (!(k in o)) { console.log(`line ${i + 1}: no field ${k}`); bad++; }
  for (const [k, v] of Object.entries(c.want)) {
    const ok = k === 'note' ? String(o.note).includes(v) : k === 'reward' ? Math.abs(o.reward - v) < 1e-12 : o[k] === v;
    if (!ok) { console.log(`line ${i + 1} (${c.completion}): ${k} = ${JSON.stringify(o[k])}, want ${JSON.stringify(v)}`); bad++; }
  }
  if (Math.abs(o.components.accuracy + o.components.format + o.components.length - o.reward) > 1e-12) {
    console.log(`line ${i + 1}: components do not add up to the reward`); bad++;
  }
});
if (bad) process.exit(1);
console.log(`ok: ${inp.length} lines as expected`);
JS
}
check arithmetic arith.jsonl
check countdown countdown.jsonl
check gsm8k gsm.jsonl

# stdin, gating and weights: a correct answer in a malformed completion earns nothing when gated
echo '{"completion": "<think>x</think> \\boxed{5}", "answer": "5"}' | "$SEEK" grade --task arithmetic --input - --gate-on-format \
  --format-weight 0.5 >gated.jsonl 2>/dev/null || fail "grade from stdin"
node -e "const o=JSON.parse(require('fs').readFileSync('gated.jsonl','utf8')); if (o.accuracy!==1||o.reward!==0||o.components.accuracy!==0) throw new Error(JSON.stringify(o))" \
  || fail "gate-on-format"
# the length penalty reads n_tokens: 90 tokens, soft zone 80..100, weight 1 -> -0.5
echo '{"completion": "<think>x</think> <answer>5</answer>", "answer": "5", "n_tokens": 90}' | "$SEEK" grade --task arithmetic \
  --input - --length-max 100 --length-buffer 20 >len.jsonl 2>/dev/null || fail "grade with a length penalty"
node -e "const o=JSON.parse(require('fs').readFileSync('len.jsonl','utf8')); if (Math.abs(o.components.length+0.5)>1e-12||Math.abs(o.reward-0.6)>1e-12) throw new Error(JSON.stringify(o))" \
  || fail "length penalty"

# bad input: one line on stderr naming file:line
printf '{"completion": "a", "answer": "1"}\n{"answer": "1"}\n' > nocompletion.jsonl
expect_error "missing completion" "nocompletion.jsonl:2" "completion" -- "$SEEK" grade --task arithmetic --input nocompletion.jsonl
printf '{"completion": "a"}\n' > noanswer.jsonl
expect_error "missing answer" "noanswer.jsonl:1" "answer" -- "$SEEK" grade --task arithmetic --input noanswer.jsonl
printf '{"completion": "a", "answer": "1"}\n{"completion": \n' > badjson.jsonl
expect_error "bad JSON" "badjson.jsonl:2" "not valid JSON" -- "$SEEK" grade --task arithmetic --input badjson.jsonl
printf '{"completion": "caf\xe9", "answer": "1"}\n' > latin1.jsonl
expect_error "not UTF-8" "latin1.jsonl:1" "UTF-8" -- "$SEEK" grade --task arithmetic --input latin1.jsonl
printf '{"completion": "a", "target": 5}\n' > nonumbers.jsonl
expect_error "countdown without numbers" "nonumbers.jsonl:1" "numbers" -- "$SEEK" grade --task countdown --input nonumbers.jsonl
printf '{"completion": "a", "answer": "1"}\n' > ok.jsonl
expect_error "length penalty without n_tokens" "ok.jsonl:1" "n_tokens" -- "$SEEK" grade --task arithmetic --input ok.jsonl --length-max 10
expect_error "unknown task" "unknown task 'algebra'" -- "$SEEK" grade --task algebra --input ok.jsonl
expect_error "bad knob" "digits=zero" -- "$SEEK" grade --task arithmetic:digits=zero --input ok.jsonl
expect_error "missing file" "nothere.jsonl" -- "$SEEK" grade --task arithmetic --input nothere.jsonl
: > empty.jsonl
expect_error "empty input" "no lines" -- "$SEEK" grade --task arithmetic --input empty.jsonl
finish
