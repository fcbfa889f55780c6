#!/usr/bin/env bash
# A short pretraining run on tinyshakespeare learns and balances its experts by the bias alone:
#  - validation loss ends more than 1 nat/token below the unigram baseline (the loss of a model that ignores
#    context, computed from the data by the trainer);
#  - with the auxiliary balance loss OFF (alpha 0), the auxiliary-loss-free bias update keeps the expert load
#    (max/mean over the batch, worst layer) under 1.5 over the last steps, and the same run with the bias update
#    also off (gamma 0) is clearly less balanced — so it is the bias doing the work.
# (The full-size run, ~5M parameters for 600 steps, is in bench/RESULTS.md.)
source "$(dirname "$0")/lib.bash"
cd "$WORK"
"$SEEK" tokenizer-train --input "$SHARED/data/tinyshakespeare/input.txt" --vocab-size 1024 --out tok >/dev/null 2>&1
"$SEEK" data --tokenizer tok --input "$SHARED/data/tinyshakespeare/input.txt" --out data >/dev/null 2>&1
cfg() {  # $1 = bias_update_speed
  cat <<JSON
{"preset": "tiny", "data": "data", "seq_len": 64, "batch_size": 8, "max_steps": 120, "balance_alpha": 0,
 "bias_update_speed": $1, "eval_every": 120, "eval_windows": 32, "sample_every": 120, "checkpoint_every": 120,
 "precision": "bf16"}
JSON
}
cfg 0.01 > balanced.json
cfg 0 > unbalanced.json
"$SEEK" train --config balanced.json --out balanced >balanced.out 2>balanced.err || { tail -3 balanced.err; fail "training"; }
"$SEEK" train --config unbalanced.json --out unbalanced >unbalanced.out 2>unbalanced.err || { tail -3 unbalanced.err; fail "training"; }
node - <<'JS' || fail "quality checks"
const fs = require('fs');
const rows = (d) => fs.readFileSync(`${d}/metrics.jsonl`, 'utf8').trim().split('\n').map(JSON.parse);
const summary = (d) => JSON.parse(fs.readFileSync(`${d}.out`, 'utf8'));
const lastLoad = (d) => { const r = rows(d).slice(-20); return r.reduce((s, x) => s + x.expert_load_max_over_mean, 0) / r.length; };
const s = summary('balanced');
console.log(`val loss ${s.final_val_loss.toFixed(3)} vs unigram ${s.unigram_val_loss.toFixed(3)}; ` +
            `load over the last 20 steps: bias on ${lastLoad('balanced').toFixed(2)}, bias off ${lastLoad('unbalanced').toFixed(2)}`);
if (!(s.final_val_loss < s.unigram_val_loss - 1.0)) throw new Error('validation loss is not 1 nat below the unigram baseline');
if (!(lastLoad('balanced') < 1.5)) throw new Error('expert load max/mean >= 1.5 with the bias update on');
if (!(lastLoad('unbalanced') > lastLoad('balanced') + 0.2)) throw new Error('the bias update does not improve the balance');
if (!s.last_sample || !s.last_sample.text) throw new Error('no sample text');
JS
finish
