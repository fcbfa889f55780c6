#!/usr/bin/env bash
# Builds seek, installs the test oracles (npm packages: the Hugging Face tokenizer, the reference Jinja renderer, ...)
# and runs the whole test suite with ctest. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
build=${SEEK_BUILD_DIR:-build}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
