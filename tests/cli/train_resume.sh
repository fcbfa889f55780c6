#!/usr/bin/env bash
# Training survives interruption, and `seek train --out RUN --resume` alone continues it to exactly the losses
# (every digit), validation losses and samples of a run that was never interrupted:
#  1) kill -9 raised by the process itself right after step 7 (deterministic; the last checkpoint, step 5, was
#     written before the first validation) and half-way through writing the step-20 checkpoint;
#  2) kill -9 and Ctrl-C (SIGINT) sent from outside at random steps (printed, and repeatable with
#     SEEK_TEST_SEED=N): Ctrl-C stops at the end of the step with a checkpoint and says how to continue.
# Then the resumed run's configuration is the recorded one: a contradicting flag is an error, --max-steps is an
# override that is printed, and a finished run says so instead of training.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
RANDOM=${SEEK_TEST_SEED:-$$}

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

curve() { grep -o '"step":[0-9]*\|"loss":[-0-9.e]*\|"total_loss":[-0-9.e]*\|"val_loss":[-0-9.e]*\|"sample":"[^"]*"' "$1/metrics.jsonl" | tr '\n' ' '; }
steps_logged() { local n; n=$(grep -c '"step"' "$1/metrics.jsonl" 2>/dev/null); echo "${n:-0}"; }
same_as_straight() {  # same_as_straight RUN WHAT
  if [ "$(curve straight)" = "$(curve "$1")" ]; then
    echo "ok: $2: losses, val losses and samples equal the uninterrupted run's"
  else
    fail "$2: curve differs: $(diff <(curve straight | tr ' ' '\n') <(curve "$1" | tr ' ' '\n') | head -5)"
  fi
  cmp -s straight/latest/model.safetensors "$1/latest/model.safetensors" || fail "$2: final weights differ"
}

"$SEEK" train --config train.json --out straight >/dev/null 2>straight.err || { cat straight.err; fail "uninterrupted run"; }
[ "$(steps_logged straight)" -eq 30 ] || fail "uninterrupted run logged $(steps_logged straight) steps, not 30"

# ---- 1) kills at chosen points (the process raises SIGKILL itself)
SEEK_TEST_KILL_AFTER_STEP=7 "$SEEK" train --config train.json --out crashed >/dev/null 2>crashed.err && \
  fail "the fault-injected run did not die"
[ "$(readlink crashed/latest)" = "step-5" ] || fail "after a kill at step 7, latest is $(readlink crashed/latest), not step-5"
"$SEEK" info --model crashed >/dev/null 2>&1 || fail "the latest checkpoint after a kill does not load"
# resume from a checkpoint written before the first validation, and die half-way through writing step-20
SEEK_TEST_KILL_IN_CHECKPOINT=20 "$SEEK" train --out crashed --resume >/dev/null 2>>crashed.err && \
  fail "the fault-injected run did not die"
[ "$(readlink crashed/latest)" = "step-15" ] || fail "after a kill during the step-20 write, latest is $(readlink crashed/latest), not step-15"
ls -a crashed | grep -q '^step-20$' && fail "a half-written step-20 is visible"
"$SEEK" info --model crashed >/dev/null 2>&1 || fail "the latest checkpoint after a kill mid-write does not load"
"$SEEK" train --out crashed --resume >/dev/null 2>>crashed.err || { cat crashed.err; fail "resume"; }
same_as_straight crashed "kills after step 7 and inside checkpoint 20"

# ---- 2) kill -9 and Ctrl-C from outside, at random steps
# start_until RUN STEP ARGS...: starts `seek train ARGS` in the background and waits until RUN has logged STEP steps.
start_until() {
  local run=$1 step=$2; shift 2
  "$SEEK" train "$@" >/dev/null 2>>"$run.err" &
  pid=$!
  for ((i = 0; i < 6000; i++)); do
    [ "$(steps_logged "$run")" -ge "$step" ] && return 0
    kill -0 $pid 2>/dev/null || return 0
    sleep 0.02
  done
}
kill_at=$((6 + RANDOM % 7))   # 6..12: after the step-5 checkpoint
int_at=$((15 + RANDOM % 10))  # 15..24
echo "random steps: kill -9 at step $kill_at, Ctrl-C at step $int_at (SEEK_TEST_SEED=$RANDOM reruns others)"
export SEEK_TEST_STEP_DELAY_MS=30  # steps slower than the 20 ms polling, so the signals land at their step
start_until random "$kill_at" --config train.json --out random
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null || true
start_until random "$int_at" --out random --resume
kill -INT $pid 2>/dev/null
rc=0; wait $pid || rc=$?
unset SEEK_TEST_STEP_DELAY_MS
if [ $rc -eq 130 ]; then
  stopped=$(readlink random/latest)
  grep -q "seek train --out random --resume" random.err || fail "Ctrl-C: no resume command printed: $(tail -3 random.err)"
  [ "$(steps_logged random)" -eq "${stopped#step-}" ] || fail "Ctrl-C: metrics end at $(steps_logged random), latest is $stopped"
  echo "ok: Ctrl-C stopped at the end of a step with a checkpoint ($stopped) and exit 130"
else
  fail "Ctrl-C: exit status $rc, not 130: $(tail -3 random.err)"
fi
"$SEEK" train --out random --resume >/dev/null 2>>random.err || { tail -3 random.err; fail "resume after Ctrl-C"; }
same_as_straight random "kill -9 at step $kill_at and Ctrl-C at step $int_at"

# the trained folder is a model: it loads for inference and for chat-style generation
"$SEEK" generate --model crashed --prompt "ROMEO:" --raw --max-new 5 --temperature 0 >gen.out 2>&1 || fail "generate on the run folder: $(cat gen.out)"
[ -f crashed/report.html ] && grep -q "<svg" crashed/report.html || fail "no report.html with charts"

# ---- what a resumed run may and may not change
expect_error "resume of nothing" "nothing to resume" -- "$SEEK" train --config train.json --out empty --resume
expect_error "fresh run over an old one" "--resume" -- "$SEEK" train --config train.json --out straight
expect_error "resume of a finished run" "finished" "step 30" "--max-steps" -- "$SEEK" train --out straight --resume
sed 's/"batch_size": 4/"batch_size": 2/' train.json > train2.json
expect_error "resume with another batch size" "batch_size" "4" "2" -- "$SEEK" train --config train2.json --out crashed --resume --max-steps 40
expect_error "resume with another --seq-len" "seq_len" "32" -- "$SEEK" train --out crashed --resume --seq-len 16 --max-steps 40
expect_error "resume with another --seed" "seed" -- "$SEEK" train --out crashed --resume --seed 9 --max-steps 40
expect_error "resume to fewer steps" "at step 30" "--max-steps 20" -- "$SEEK" train --out crashed --resume --max-steps 20
"$SEEK" train --out crashed --resume --max-steps 32 >/dev/null 2>more.err || { cat more.err; fail "resume with more steps"; }
grep -q "max_steps = 32 (recorded: 30)" more.err && echo "ok: --max-steps on resume is a printed override" ||
  fail "no override line: $(cat more.err)"
[ "$(readlink crashed/latest)" = "step-32" ] || fail "extended run ends at $(readlink crashed/latest)"
finish
