#!/usr/bin/env bash
# Builds the GGUF reader and the block dequantizers with clang's libFuzzer + AddressSanitizer +
# UndefinedBehaviorSanitizer and fuzzes them for a bounded time (SEEK_FUZZ_SECONDS, default 45), starting from
# real GGUF files holding every tensor type seek reads: the qwen2-tiny fixture written by `seek convert` (f32, f16,
# bf16, q8_0, q4_0, q5_0) and a small model with 256-wide rows quantized by llama.cpp's own quantizer (q4_K_M:
# q4_K + q6_K, q5_K_M: q5_K + q6_K, q4_1, q5_1). Any crash, sanitizer report or uncaught exception fails the test and leaves
# the input in $WORK.
set -euo pipefail
: "${ROOT:?}" "${SEEK:?}" "${WORK:?}" "${GGML_ORACLE:?}" "${LLAMA_LIBDIR:?}"
rm -rf "$WORK" && mkdir -p "$WORK/corpus"
command -v clang++ >/dev/null || { echo "clang++ not installed (scripts/setup.sh installs it)"; exit 1; }
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$ROOT/src" \
  "$ROOT/fuzz/fuzz_gguf.cpp" "$ROOT/src/formats/gguf.cpp" "$ROOT/src/core/quant_blocks.cpp" "$ROOT/src/core/dtype.cpp" \
  "$ROOT/src/core/tensor.cpp" "$ROOT/src/core/mapped_file.cpp" -o "$WORK/fuzz_gguf"

for t in f32 f16 bf16 q8_0 q4_0 q5_0; do
  "$SEEK" convert --model "$ROOT/tests/fixtures/qwen2-tiny" --out "$WORK/corpus/qwen2-tiny.$t.gguf" --type $t 2>/dev/null
done
cat >"$WORK/k256.json" <<'JSON'
{"model_type": "qwen2", "vocab_size": 256, "hidden_size": 256, "intermediate_size": 256, "num_hidden_layers": 1,
 "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64, "rms_norm_eps": 1e-6}
JSON
"$SEEK" synth --config "$WORK/k256.json" --out "$WORK/k256" >/dev/null
"$SEEK" convert --model "$WORK/k256" --out "$WORK/k256.f16.gguf" 2>/dev/null
for t in q4_K_M q5_K_M q4_1 q5_1; do
  "$GGML_ORACLE" quantize "$LLAMA_LIBDIR" "$WORK/k256.f16.gguf" "$WORK/corpus/k256.$t.gguf" $t >/dev/null 2>&1
done
max=$(stat -c %s "$WORK"/corpus/* | sort -n | tail -1)

cd "$WORK"
./fuzz_gguf -max_total_time="${SEEK_FUZZ_SECONDS:-45}" -max_len="$max" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus 2>&1 | tail -40
