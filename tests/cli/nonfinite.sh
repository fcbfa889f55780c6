#!/usr/bin/env bash
# Weights holding a NaN or an infinity make the logits non-finite; `seek forward` and `seek generate` must then fail
# with one line naming the layer that first produced non-finite values (not exit 0 with argmax 0). Covers a
# synthetic DeepSeek-V3 (`seek synth`: a dense MLP layer, MoE layers, MLA) and a dense Qwen2 model, NaN and
# infinity, prefill and incremental forward, both attention forms, f32 and bf16, and the embedding. One tensor of
# one layer is overwritten in place in a copy of the model, found through the safetensors header (JSON text).
source "$(dirname "$0")/lib.bash"

# corrupt FILE TENSOR nan|inf: fill the tensor's bytes with NaN or +infinity in its dtype.
corrupt() {
  local f=$1 name=$2 what=$3
  local n; n=$(od -An -t u8 -N8 "$f" | tr -d ' ')
  local entry; entry=$(head -c $((8 + n)) "$f" | tail -c "$n" | grep -ao "\"$name\":{[^}]*}")
  [ -n "$entry" ] || { echo "no tensor $name in $f"; exit 1; }
  local dtype; dtype=$(sed 's/.*"dtype":"\([A-Z0-9]*\)".*/\1/' <<<"$entry")
  local a b; read -r a b < <(sed 's/.*"data_offsets":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/' <<<"$entry")
  local pat
  case "$dtype/$what" in
    BF16/nan) pat='\xc0\x7f' ;; BF16/inf) pat='\x80\x7f' ;;
    F16/nan) pat='\x00\x7e' ;; F16/inf) pat='\x00\x7c' ;;
    F32/nan) pat='\x00\x00\xc0\x7f' ;; F32/inf) pat='\x00\x00\x80\x7f' ;;
    *) echo "corrupt: dtype $dtype not handled"; exit 1 ;;
  esac
  local width=$(( ${#pat} / 4 )) count
  count=$(( (b - a) / width ))
  printf '%*s' "$count" '' | LC_ALL=C sed "s/ /$pat/g" | head -c $((b - a)) |
    dd of="$f" bs=4096 seek=$((8 + n + a)) oflag=seek_bytes conv=notrunc status=none
}

# model_with COPY_OF_DIR NEW_DIR TENSOR nan|inf
model_with() {
  rm -rf "$2" && cp -r "$1" "$2"
  corrupt "$2/model.safetensors" "$3" "$4"
}

TOKS=0,17,200,5,9

# ---- DeepSeek-V3 (synthetic): layer 0 dense MLP, layers 1-2 MoE with a shared expert
"$SEEK" synth --out "$WORK/v3" --config "$SHARED/fixtures/deepseek-v3-tiny/config.json" >/dev/null
"$SEEK" forward --model "$WORK/v3" --tokens $TOKS --logits-out "$WORK/ok.f32" >/dev/null ||
  fail "forward on the intact model"
"$SEEK" generate --model "$WORK/v3" --tokens $TOKS --max-new 4 >/dev/null || fail "generate on the intact model"

model_with "$WORK/v3" "$WORK/v3-mlp1" model.layers.1.mlp.shared_experts.down_proj.weight nan
for mode in prefill incremental; do
  expect_error "v3 NaN in layer 1's MoE, forward $mode" "non-finite" "layer 1 (model.layers.1.mlp)" -- \
    "$SEEK" forward --model "$WORK/v3-mlp1" --tokens $TOKS --mode $mode --logits-out "$WORK/l.f32"
done
expect_error "v3 NaN in layer 1's MoE, forward bf16 naive" "layer 1 (model.layers.1.mlp)" -- \
  "$SEEK" forward --model "$WORK/v3-mlp1" --tokens $TOKS --dtype bf16 --attn naive --logits-out "$WORK/l.f32"
expect_error "v3 NaN in layer 1's MoE, generate" "non-finite" "layer 1 (model.layers.1.mlp)" -- \
  "$SEEK" generate --model "$WORK/v3-mlp1" --tokens $TOKS --max-new 4
expect_error "v3 NaN in layer 1's MoE, generate bf16 sampled" "layer 1 (model.layers.1.mlp)" -- \
  "$SEEK" generate --model "$WORK/v3-mlp1" --tokens $TOKS --max-new 4 --dtype bf16 --temperature 1 --seed 3

model_with "$WORK/v3" "$WORK/v3-mlp0" model.layers.0.mlp.down_proj.weight nan
expect_error "v3 NaN in layer 0's dense MLP, forward" "layer 0 (model.layers.0.mlp)" -- \
  "$SEEK" forward --model "$WORK/v3-mlp0" --tokens $TOKS --logits-out "$WORK/l.f32"

model_with "$WORK/v3" "$WORK/v3-attn2" model.layers.2.self_attn.kv_a_proj_with_mqa.weight inf
expect_error "v3 infinity in layer 2's attention, forward" "non-finite" "layer 2 (model.layers.2.self_attn)" -- \
  "$SEEK" forward --model "$WORK/v3-attn2" --tokens $TOKS --logits-out "$WORK/l.f32"
expect_error "v3 infinity in layer 2's attention, generate naive" "layer 2 (model.layers.2.self_attn)" -- \
  "$SEEK" generate --model "$WORK/v3-attn2" --tokens $TOKS --max-new 4 --attn naive

model_with "$WORK/v3" "$WORK/v3-head" lm_head.weight nan
expect_error "v3 NaN in the output head, forward" "non-finite" "lm_head" -- \
  "$SEEK" forward --model "$WORK/v3-head" --tokens $TOKS --logits-out "$WORK/l.f32"
expect_error "v3 NaN in the output head, generate" "non-finite" "lm_head" -- \
  "$SEEK" generate --model "$WORK/v3-head" --tokens $TOKS --max-new 4

# ---- dense Qwen2 (two layers)
"$SEEK" forward --model "$ROOT/tests/fixtures/qwen2-tiny" --tokens $TOKS --logits-out "$WORK/ok.f32" >/dev/null ||
  fail "forward on the intact dense model"
model_with "$ROOT/tests/fixtures/qwen2-tiny" "$WORK/qwen-mlp1" model.layers.1.mlp.down_proj.weight nan
for mode in prefill incremental; do
  expect_error "dense NaN in layer 1's MLP, forward $mode" "non-finite" "layer 1 (model.layers.1.mlp)" -- \
    "$SEEK" forward --model "$WORK/qwen-mlp1" --tokens $TOKS --mode $mode --logits-out "$WORK/l.f32"
done
expect_error "dense NaN in layer 1's MLP, generate" "non-finite" "layer 1 (model.layers.1.mlp)" -- \
  "$SEEK" generate --model "$WORK/qwen-mlp1" --tokens $TOKS --max-new 4
expect_error "dense NaN in layer 1's MLP, generate bf16" "layer 1 (model.layers.1.mlp)" -- \
  "$SEEK" generate --model "$WORK/qwen-mlp1" --tokens $TOKS --max-new 4 --dtype bf16

model_with "$ROOT/tests/fixtures/qwen2-tiny" "$WORK/qwen-attn0" model.layers.0.self_attn.v_proj.weight inf
expect_error "dense infinity in layer 0's attention, generate" "layer 0 (model.layers.0.self_attn)" -- \
  "$SEEK" generate --model "$WORK/qwen-attn0" --tokens $TOKS --max-new 4

model_with "$ROOT/tests/fixtures/qwen2-tiny" "$WORK/qwen-embed" model.embed_tokens.weight nan
expect_error "dense NaN in the embedding, forward" "model.embed_tokens" -- \
  "$SEEK" forward --model "$WORK/qwen-embed" --tokens $TOKS --logits-out "$WORK/l.f32"

finish
