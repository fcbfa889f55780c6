#!/usr/bin/env bash
# Builds seek, installs the test oracles (npm packages: the Hugging Face tokenizer, the reference Jinja renderer, ...)
# and runs the whole test suite with ctest. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser test drives Debian's chromium (not needed to build or run seek, so setup.sh leaves it out).
if ! command -v chromium >/dev/null; then
  echo "test: installing chromium (for the web chat page's browser test)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
# llama.cpp's CPU build for the GGUF oracles, in its own folder: --omit=optional (which keeps its dozen GPU builds
# out) would also drop the tokenizer package's native binding above. `npm install` at the locked versions, as
# `npm ci` refuses this lock: npm leaves the other platforms' optional builds out of a lock written on Linux.
(cd tests/oracle/llama && npm install --omit=optional --no-save --no-audit --no-fund --loglevel=error)
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
build=${SEEK_BUILD_DIR:-build}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
