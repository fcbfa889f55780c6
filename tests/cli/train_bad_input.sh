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
finish
