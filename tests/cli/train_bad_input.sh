#!/usr/bin/env bash
# Bad input to `seek train` and its helpers: every case is a one-line error naming the file, field or option.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
head -c 20000 "$SHARED/data/tinyshakespeare/input.txt" > corpus.txt
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 300 --out tok >/dev/null 2>&1
"$SEEK" data --tokenizer tok --input corpus.txt --out data >/dev/null 2>&1
echo '{"seq_len": 32, "bogus": 1}' > unknown.json
echo '{"seq_len": "long"}' > type.json
echo '{' > broken.json
echo '{"lr_schedule": {"type": "cosine"}}' > sched.json
echo '{"precision": "fp4"}' > prec.json
echo '{"model": {"model_type": "deepseek_v3", "vocab_size": 10}}' > model.json
echo '{"batch_size": 0}' > batch.json
expect_error "unknown config field" "unknown.json" "bogus" -- "$SEEK" train --config unknown.json --data data --out o1
expect_error "wrong type" "type.json" "seq_len" -- "$SEEK" train --config type.json --data data --out o2
expect_error "broken JSON" "broken.json" "not valid JSON" -- "$SEEK" train --config broken.json --data data --out o3
expect_error "missing config file" "nothere.json" -- "$SEEK" train --config nothere.json --data data --out o4
expect_error "unknown preset" "huge" "tiny" -- "$SEEK" train --preset huge --data data --out o5
expect_error "no data folder" "nodata" -- "$SEEK" train --preset tiny --data nodata --out o6
expect_error "sequence too long" "seq_len" "max_position_embeddings" -- "$SEEK" train --preset tiny --data data --out o7 --seq-len 5000
expect_error "no --out" "--out" -- "$SEEK" train --preset tiny --data data
expect_error "schedule without peak_lr" "peak_lr" -- "$SEEK" train --config sched.json --data data --out o8
expect_error "unknown precision" "precision" "fp4" -- "$SEEK" train --config prec.json --data data --out o9
expect_error "incomplete model config" "hidden_size" -- "$SEEK" train --config model.json --data data --out o10
expect_error "zero batch" "batch_size" -- "$SEEK" train --config batch.json --data data --out o11
expect_error "model vocab below the data's" "vocab_size" -- "$SEEK" train --config <(sed 's/"vocab_size": 10}/"vocab_size": 10, "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 1, "kv_lora_rank": 8, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "max_position_embeddings": 64}/' model.json) --data data --out o12

# Flags outside their range are errors, not silent defaults.
expect_error "--max-steps 0" "max_steps" "--max-steps" -- "$SEEK" train --preset tiny --data data --out o13 --max-steps 0
expect_error "--max-steps -5" "--max-steps" "-5" -- "$SEEK" train --preset tiny --data data --out o14 --max-steps -5
expect_error "--price-per-hour -1" "--price-per-hour" "-1" -- "$SEEK" train --preset tiny --data data --out o15 --price-per-hour -1
expect_error "--seq-len 0" "--seq-len" -- "$SEEK" train --preset tiny --data data --out o16 --seq-len 0

# A data folder that lost its tokenizer, or holds another one than the shards were made with.
cp -r data data-notok && rm data-notok/tokenizer.json
expect_error "data without tokenizer.json" "data-notok/tokenizer.json" "missing" -- "$SEEK" train --preset tiny --data data-notok --out o17
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 280 --out tok2 >/dev/null 2>&1
cp -r data data-othertok && cp tok2/tokenizer.json data-othertok/
expect_error "data with another tokenizer" "data-othertok/tokenizer.json" "index.json records" -- \
  "$SEEK" train --preset tiny --data data-othertok --out o18
for o in o13 o14 o15 o16 o17 o18; do [ -e $o/latest ] && fail "$o: a refused run wrote a checkpoint"; done

# A diverging run (a learning rate far too high, no clipping) stops with an error naming the step, exit 1, and
# keeps the last checkpoint written before it diverged.
cat > diverge.json <<JSON
{"model": {"model_type": "deepseek_v3", "vocab_size": 300, "hidden_size": 32, "intermediate_size": 64,
           "num_hidden_layers": 2, "num_attention_heads": 2, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
           "qk_rope_head_dim": 8, "v_head_dim": 8, "max_position_embeddings": 64},
 "data": "data", "seq_len": 16, "batch_size": 2, "max_steps": 200, "grad_clip": 0, "init_std": 1,
 "lr_schedule": {"type": "constant", "peak_lr": 1e6}, "checkpoint_every": 1, "eval_every": 1000}
JSON
rc=0; "$SEEK" train --config diverge.json --out div >/dev/null 2>div.err || rc=$?
[ $rc -eq 1 ] || fail "diverging run: exit status $rc, not 1"
tail -1 div.err | grep -q "^seek: error: step [0-9]*: training diverged (loss .*last good checkpoint is div/step-" &&
  echo "ok: diverging run -> $(tail -1 div.err | head -c 160)" || fail "diverging run: $(tail -2 div.err)"
bad_step=$(tail -1 div.err | grep -o 'step [0-9]*: training diverged' | grep -o '[0-9]*' | head -1)
last=$(readlink div/latest || true)
[ -n "$bad_step" ] && [ "$last" = "step-$((bad_step - 1))" ] && echo "ok: latest is $last, the step before the divergence" ||
  fail "after divergence at step $bad_step latest is '$last'"
"$SEEK" info --model div >/dev/null 2>&1 || fail "the last good checkpoint does not load"
tail -1 div/metrics.jsonl | grep -q '"diverged":true' || fail "metrics.jsonl does not record the diverged step"
finish
