#!/usr/bin/env bash
# FP8 training (precision "fp8": the Linear layers' GEMMs as DeepSeek-V3's FP8 recipe, the rest bf16) learns as bf16
# does: the same short tinyshakespeare run (same data, seed and steps) in bf16 and in fp8 ends with validation losses
# within 1.5% of each other, both well below the unigram baseline, and the two runs are not the same computation.
# (The 2,000-step comparison on the small preset, with both curves, is in bench/RESULTS.md.)
source "$(dirname "$0")/lib.bash"
cd "$WORK"
"$SEEK" tokenizer-train --input "$SHARED/data/tinyshakespeare/input.txt" --vocab-size 1024 --out tok >/dev/null 2>&1
"$SEEK" data --tokenizer tok --input "$SHARED/data/tinyshakespeare/input.txt" --out data >/dev/null 2>&1
cfg() {  # $1 = precision
  cat <<JSON
{"preset": "tiny", "data": "data", "seq_len": 64, "batch_size": 8, "max_steps": 150, "eval_every": 150,
 "eval_windows": 64, "sample_every": 150, "checkpoint_every": 150, "precision": "$1"}
JSON
}
for p in bf16 fp8; do
  cfg $p > $p.json
  "$SEEK" train --config $p.json --out $p >$p.out 2>$p.err || { tail -3 $p.err; fail "training in $p"; }
done
node - <<'JS' || fail "fp8 against bf16"
const fs = require('fs');
const s = (d) => JSON.parse(fs.readFileSync(`${d}.out`, 'utf8'));
const b = s('bf16'), f = s('fp8');
const gap = Math.abs(f.final_val_loss - b.final_val_loss) / b.final_val_loss;
console.log(`val loss bf16 ${b.final_val_loss.toFixed(4)}, fp8 ${f.final_val_loss.toFixed(4)} (gap ${(100 * gap).toFixed(2)}%), ` +
            `unigram ${b.unigram_val_loss.toFixed(3)}`);
if (!(f.final_val_loss < f.unigram_val_loss - 0.5)) throw new Error('fp8 did not learn');
if (!(gap < 0.015)) throw new Error('fp8 and bf16 validation losses differ by more than 1.5%');
if (f.final_val_loss === b.final_val_loss) throw new Error('fp8 computed exactly what bf16 did: the FP8 path was not taken');
JS
expect_error "unknown precision" "precision" "fp16" -- "$SEEK" train --preset tiny --precision fp16 --data data --out bad
finish
