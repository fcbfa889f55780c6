#!/usr/bin/env bash
# MTP speculative decoding end to end on a model seek trained (the tiny preset, 150 steps on tinyshakespeare, its MTP
# module trained with the main model): greedy `generate --speculative mtp` prints exactly plain decoding's ids for
# several prompts while keeping a useful share of its drafts (measured 26-43% after these 150 steps; at least 10%
# is asked, a drafter that guessed at random would keep 0.1%); the same model as a
# deepseek2 GGUF file (the MTP layer under the NextN names) drafts the same; sampled runs replay by seed; models
# without an MTP module, and uses it does not support, are one-line errors.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
corpus="$SHARED/data/tinyshakespeare/input.txt"
"$SEEK" tokenizer-train --input "$corpus" --vocab-size 1024 --out tok >/dev/null 2>&1
"$SEEK" data --tokenizer tok --input "$corpus" --out data >/dev/null 2>&1
cat >cfg.json <<'JSON'
{"preset": "tiny", "data": "data", "seq_len": 64, "batch_size": 8, "max_steps": 150, "eval_every": 150,
 "eval_windows": 8, "sample_every": 150, "checkpoint_every": 150, "precision": "bf16"}
JSON
"$SEEK" train --config cfg.json --out run >train.out 2>train.err || { tail -3 train.err; fail "training"; }
"$SEEK" convert --model run --out run.gguf --type f32 2>/dev/null || fail "convert to GGUF"

kept=0 drafted=0
for text in "ROMEO:" "First Citizen:" "KING RICHARD III:"; do
  ids=$("$SEEK" tokenize --tokenizer run --text "$text" | tr -d '[]')
  "$SEEK" generate --model run --tokens "$ids" --max-new 160 --ignore-eos >plain.txt 2>/dev/null
  "$SEEK" generate --model run --tokens "$ids" --max-new 160 --ignore-eos --speculative mtp >spec.txt 2>spec.err
  cmp -s plain.txt spec.txt || fail "'$text': speculative ids differ from plain decoding's"
  "$SEEK" generate --model run.gguf --tokens "$ids" --max-new 160 --ignore-eos --speculative mtp >gguf.txt 2>gguf.err
  cmp -s spec.txt gguf.txt || fail "'$text': the GGUF file's speculative ids differ from the folder's"
  cmp -s <(grep -o 'speculative: .*' spec.err) <(grep -o 'speculative: .*' gguf.err) ||
    fail "'$text': the GGUF file's drafts differ: $(cat gguf.err)"
  read -r k d < <(sed -E 's/.*speculative: ([0-9]+) of ([0-9]+) drafts.*/\1 \2/' spec.err)
  kept=$((kept + k)) drafted=$((drafted + d))
  echo "'$text': $(grep -o 'speculative: .*' spec.err)"
done
[ $((kept * 100)) -ge $((drafted * 10)) ] || fail "only $kept of $drafted drafts kept (this MTP module keeps 26-43%; a random drafter 0.1%)"

a=$("$SEEK" generate --model run --tokens 47,471 --max-new 64 --speculative mtp --temperature 0.8 --seed 5 2>/dev/null)
b=$("$SEEK" generate --model run --tokens 47,471 --max-new 64 --speculative mtp --temperature 0.8 --seed 5 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ] || fail "sampled speculative runs with one seed differ"

expect_error "a model without MTP" "qwen2" "MTP" -- \
  "$SEEK" generate --model "$ROOT/tests/fixtures/qwen2-tiny" --tokens 1,2 --speculative mtp
expect_error "a DeepSeek model without an MTP module" "no MTP module" -- \
  "$SEEK" generate --model "$SHARED/fixtures/deepseek-v3-tiny" --tokens 1,2 --speculative mtp
expect_error "--speculative with --prompt" "--speculative" "--tokens" -- \
  "$SEEK" generate --model run --prompt hi --speculative mtp
expect_error "an unknown drafter" "--speculative" -- \
  "$SEEK" generate --model run --tokens 1,2 --speculative eagle
finish
