#!/usr/bin/env bash
# Training survives kill -9 (SIGKILL raised by the process itself at a chosen moment, so the test is
# deterministic): between checkpoints, and half-way through writing a checkpoint. After each kill the latest
# checkpoint is complete and loads, and `seek train --resume` continues to exactly the losses (every digit) of a run
# that was never interrupted.
source "$(dirname "$0")/lib.bash"
cd "$WORK"

head -c 60000 "$SHARED/data/tinyshakespeare/input.txt" > corpus.txt
"$SEEK" tokenizer-train --input corpus.txt --vocab-size 400 --out tok >/dev/null 2>&1
"$SEEK" data --tokenizer tok --input corpus.txt --out data >/dev/null 2>&1

cat > train.json <<JSON
{
  "model": {"model_type": "deepseek_v3", "vocab_size": 400, "hidden_size": 48, "intermediate_size": 96,
            "moe_intermediate_size": 24, "num_hidden_layers": 3, "first_k_dense_replace": 1,
            "num_attention_heads": 2, "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2,
            "n_group": 2, "topk_group": 1, "topk_method": "noaux_tc", "scoring_func": "sigmoid",
            "norm_topk_prob": true, "routed_scaling_factor": 1.0, "q_lora_rank": 24, "kv_lora_rank": 16,
            "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16, "max_position_embeddings": 64,
            "num_nextn_predict_layers": 1, "bos_token_id": 0, "eos_token_id": 1},
  "data": "data", "seq_len": 32, "batch_size": 4, "max_steps": 30,
  "lr_schedule": {"type": "cosine", "peak_lr": 0.003, "min_lr": 0.0003, "warmup_steps": 3, "total_steps": 30},
  "eval_every": 10, "eval_windows": 4, "sample_every": 10, "sample_tokens": 8, "checkpoint_every": 5
}
JSON

losses() { grep -o '"step":[0-9]*\|"loss":[-0-9.e]*\|"val_loss":[-0-9.e]*\|"sample":"[^"]*"' "$1/metrics.jsonl" | tr '\n' ' '; }

"$SEEK" train --config train.json --out straight >/dev/null 2>straight.err || { cat straight.err; fail "uninterrupted run"; }
[ "$(grep -c '"step"' straight/metrics.jsonl)" -eq 30 ] || fail "uninterrupted run logged $(grep -c '"step"' straight/metrics.jsonl) steps, not 30"

# 1) kill -9 in the middle of training: after step 12 (metrics written, last checkpoint step 10)
SEEK_TEST_KILL_AFTER_STEP=12 "$SEEK" train --config train.json --out crashed >/dev/null 2>crashed.err && \
  fail "the fault-injected run did not die"
[ "$(readlink crashed/latest)" = "step-10" ] || fail "after a kill at step 12, latest is $(readlink crashed/latest), not step-10"
"$SEEK" info --model crashed >/dev/null 2>&1 || fail "the latest checkpoint after a kill does not load"

# 2) resume, and die half-way through writing the step-20 checkpoint (fault injection)
SEEK_TEST_KILL_IN_CHECKPOINT=20 "$SEEK" train --config train.json --out crashed --resume >/dev/null 2>>crashed.err && \
  fail "the fault-injected run did not die"
[ "$(readlink crashed/latest)" = "step-15" ] || fail "after a kill during the step-20 write, latest is $(readlink crashed/latest), not step-15"
ls -a crashed | grep -q '^step-20$' && fail "a half-written step-20 is visible"
"$SEEK" info --model crashed >/dev/null 2>&1 || fail "the latest checkpoint after a kill mid-write does not load"

# 3) resume to the end
"$SEEK" train --config train.json --out crashed --resume >/dev/null 2>>crashed.err || { cat crashed.err; fail "resume"; }
if [ "$(losses straight)" = "$(losses crashed)" ]; then
  echo "ok: the resumed run's losses, val losses and samples equal the uninterrupted run's"
else
  fail "resumed curve differs: $(diff <(losses straight | tr ' ' '\n') <(losses crashed | tr ' ' '\n') | head -5)"
fi
cmp -s straight/latest/model.safetensors crashed/latest/model.safetensors || fail "final weights differ"

# the trained folder is a model: it loads for inference and for chat-style generation
"$SEEK" generate --model crashed --prompt "ROMEO:" --raw --max-new 5 --temperature 0 >gen.out 2>&1 || fail "generate on the run folder: $(cat gen.out)"
[ -f crashed/report.html ] && grep -q "<svg" crashed/report.html || fail "no report.html with charts"

# bad resumes
expect_error "resume of nothing" "nothing to resume" -- "$SEEK" train --config train.json --out empty --resume
expect_error "fresh run over an old one" "--resume" -- "$SEEK" train --config train.json --out straight
sed 's/"batch_size": 4/"batch_size": 2/' train.json > train2.json
expect_error "resume with another batch size" "batch_size" -- "$SEEK" train --config train2.json --out crashed --resume --max-steps 40
finish
