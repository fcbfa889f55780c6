#!/usr/bin/env bash
# RL must teach: a short version of `seek demo` (a tiny DeepSeek-V3 pretrained on worked problems of which half
# carry an arithmetic slip, then GRPO with the task's exact checker as the reward) must raise held-out pass@1 - on
# problems of the test split, never seen in pretraining or RL - by more than 3 standard errors of the gain (paired
# over the same problems, both evaluations drawing the same ones). Not a timed test: it checks the learning only.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

"$SEEK" demo --out demo --pretrain-steps 600 --rl-steps 40 --problems 90 --samples 8 >demo.out 2>demo.err ||
  { tail -5 demo.err; fail "seek demo"; }
cat demo.out
node - demo <<'JS' || fail "the gain"
const fs = require('fs');
const dir = process.argv[2];
const s = JSON.parse(fs.readFileSync(`${dir}/summary.json`, 'utf8'));
// the gain is recomputed here from the per-problem lines, not taken from the summary
const read = f => fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split('\n').map(JSON.parse);
const b = read('eval_base.jsonl'), a = read('eval_rl.jsonl');
if (b.length !== 90 || a.length !== 90) throw new Error(`${b.length} / ${a.length} problems`);
const d = b.map((x, i) => {
  if (x.id !== a[i].id) throw new Error(`problem ${i}: ${x.id} vs ${a[i].id}`);
  return a[i]['pass@1'] - x['pass@1'];
});
const mean = d.reduce((p, x) => p + x, 0) / d.length;
const se = Math.sqrt(d.reduce((p, x) => p + (x - mean) ** 2, 0) / (d.length - 1) / d.length);
console.log(`held-out pass@1 ${s.before['pass@1'].toFixed(3)} -> ${s.after['pass@1'].toFixed(3)}, gain ` +
            `${mean.toFixed(3)} +- ${se.toFixed(3)} (${(mean / se).toFixed(1)} standard errors)`);
if (Math.abs(mean - s.gain) > 1e-9) throw new Error(`summary gain ${s.gain} vs ${mean}`);
if (!(mean > 3 * se)) throw new Error(`the gain ${mean} is not above 3 standard errors (${se})`);
for (const k of ['base', 'rl']) if (!fs.existsSync(`${dir}/${k}/latest/model.safetensors`)) throw new Error(`no ${k} model`);
JS
# the models are folders seek eval takes, with the task named in the summary
task=$(node -e "console.log(JSON.parse(require('fs').readFileSync('demo/summary.json','utf8')).task)")
"$SEEK" eval --model demo/rl --task "$task" --samples 2 --problems 5 --seed 7 --max-tokens 40 --quiet >eval.json ||
  fail "seek eval on the RL model"
finish
