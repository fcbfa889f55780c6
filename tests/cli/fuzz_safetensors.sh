#!/usr/bin/env bash
# Builds the safetensors parser with clang's libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer and fuzzes it
# for a bounded time (SEEK_FUZZ_SECONDS, default 45), starting from real checkpoint shards and a few hand-made
# edge cases. Any crash, sanitizer report or uncaught exception fails the test and leaves the input in $WORK.
set -euo pipefail
: "${ROOT:?}" "${SHARED:?}" "${WORK:?}"
rm -rf "$WORK" && mkdir -p "$WORK/corpus"
command -v clang++ >/dev/null || { echo "clang++ not installed (scripts/setup.sh installs it)"; exit 1; }
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$ROOT/src" \
  "$ROOT/fuzz/fuzz_safetensors.cpp" "$ROOT/src/formats/safetensors.cpp" "$ROOT/src/core/dtype.cpp" \
  "$ROOT/src/core/tensor.cpp" "$ROOT/src/core/mapped_file.cpp" -o "$WORK/fuzz_safetensors"

# Seeds: the official fixture's shards (cut to their headers plus a little data) and small hand-made files.
for f in "$SHARED"/fixtures/deepseek-v3-tiny/*.safetensors; do head -c 20000 "$f" >"$WORK/corpus/$(basename "$f")"; done
seed() { local h="$1"; printf "$(printf '\\x%02x' $((${#h} & 255)) $((${#h} >> 8)) 0 0 0 0 0 0)%s%s" "$h" "$2" >"$WORK/corpus/$3"; }
seed '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' '12345678' ok
seed '{"a":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}' 'abcd' fp8
seed '{"a":{"dtype":"BF16","shape":[],"data_offsets":[0,2]},"b":{"dtype":"I64","shape":[0],"data_offsets":[2,2]}}' 'xy' scalar

cd "$WORK"
./fuzz_safetensors -max_total_time="${SEEK_FUZZ_SECONDS:-45}" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
  -print_final_stats=1 corpus 2>&1 | tail -40
