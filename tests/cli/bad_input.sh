#!/usr/bin/env bash
# Bad input to the model commands: one clear line on stderr naming what is wrong, exit 1, never a crash.
source "$(dirname "$0")/lib.bash"
FIX="$SHARED/fixtures/deepseek-v3-tiny"
M="$WORK/model"
cp -r "$FIX" "$M" && chmod -R u+w "$M"
out="$WORK/logits.f32"

expect_error "no such model" "/nope/model" -- "$SEEK" forward --model /nope/model --tokens 1 --logits-out "$out"
expect_error "token out of range" "token id 256" "out of range" -- "$SEEK" forward --model "$M" --tokens 0,256 --logits-out "$out"
expect_error "token not a number" "--tokens" "abc" -- "$SEEK" forward --model "$M" --tokens 0,abc --logits-out "$out"
expect_error "negative token" "--tokens" "-5" -- "$SEEK" generate --model "$M" --tokens=-5 --max-new 1
expect_error "bad dtype" "--dtype" "f64" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out" --dtype f64
expect_error "bad attention form" "--attn" "flash" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out" --attn flash
expect_error "bad temperature" "temperature" -- "$SEEK" generate --model "$M" --tokens 1 --temperature -1
expect_error "unwritable output" "/nonexistent-dir/x.f32" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out /nonexistent-dir/x.f32

shard="$M/model-00002-of-00002.safetensors"
cp "$shard" "$WORK/shard.bak"
head -c 5000 "$WORK/shard.bak" >"$shard"
expect_error "truncated shard" "model-00002-of-00002.safetensors" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out"
cp "$WORK/shard.bak" "$shard"

cp "$M/config.json" "$WORK/config.bak"
sed 's/"n_group": 4/"n_group": 3/' "$WORK/config.bak" >"$M/config.json"
expect_error "bad config value" "config.json" "n_group" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out"
sed 's/"hidden_size": 64/"hidden_size": 48/' "$WORK/config.bak" >"$M/config.json"
expect_error "config disagrees with weights" "model.embed_tokens.weight" "shape" -- "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out"
cp "$WORK/config.bak" "$M/config.json"

sed 's/"lm_head.weight": "model-00001-of-00002.safetensors"/"lm_head.weight": "model-00002-of-00002.safetensors"/' \
  "$FIX/model.safetensors.index.json" >"$M/model.safetensors.index.json"
expect_error "index names the wrong shard" "lm_head.weight" "model-00002-of-00002.safetensors" -- \
  "$SEEK" forward --model "$M" --tokens 1 --logits-out "$out"
cp "$FIX/model.safetensors.index.json" "$M/model.safetensors.index.json"

# and the repaired model works again
"$SEEK" forward --model "$M" --tokens 0,17,200 --logits-out "$out" >/dev/null || fail "repaired model does not run"
[ "$(stat -c %s "$out")" -eq $((3 * 256 * 4)) ] || fail "logits file has the wrong size"
finish
