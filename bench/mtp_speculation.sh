#!/usr/bin/env bash
# MTP speculative decoding on a seek-trained model: pretrains the `tiny` or `small` preset (MLA + MoE + one MTP
# module) on tinyshakespeare for STEPS steps (once; reused from $SEEK_BENCH_DIR, default /tmp/seek-bench-mtp), then
# runs greedy generation of 256 tokens after several prompts, plain and with --speculative mtp interleaved, ROUNDS
# rounds: checks the ids are identical, and prints the drafts kept, tokens per main-model step and the decode speed
# ratio (min / median / max).
#
#   bash bench/mtp_speculation.sh [PRESET=tiny] [STEPS=1500] [ROUNDS=5] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/mtp_speculation.mjs "${1:-tiny}" "${2:-1500}" "${3:-5}" "${4:-2}"
