#!/usr/bin/env bash
# seek vs llama.cpp on identical GGUF files (f16, q8_0, q4_K_M of a random-weight Qwen2-0.5B shape, or with MODEL
# deepseek a DeepSeek-V2-Lite-shaped 0.6B MoE): argmax agreement,
# then decode, prefill 128 and prefill 512 interleaved over ROUNDS rounds. Needs the build and the llama.cpp oracle
# package (cd tests/oracle/llama && npm install --omit=optional --no-save). The model files are written once to $SEEK_BENCH_DIR
# (default /tmp/seek-bench-gguf, ~2.5 GB) and reused.
#
#   bash bench/gguf_vs_llamacpp.sh [ROUNDS=5] [THREADS=2] [MODEL=qwen2|deepseek]
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/gguf_vs_llamacpp.mjs "${1:-5}" "${2:-2}" "${3:-qwen2}"
