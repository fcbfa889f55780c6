#!/usr/bin/env bash
# The server under load for bench/RESULTS.md: tests/oracle/serve_load.mjs (64 concurrent streaming clients at most,
# >= 2,000 requests, through the official openai client) on a larger random-weight model.
#   bash bench/serve_load.sh [PARAMS=50M] [TOKENS=32] [THREADS=2]
# The client runs on the same 2 cores as the server, so it takes part of the machine; state that with the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/seek ] || { echo "build seek first (bash scripts/setup.sh)"; exit 1; }
[ -d tests/oracle/node_modules/openai ] || (cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
cd tests/oracle
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
SEEK="$PWD/../../build/seek" WORK="${WORK:-/tmp/seek-serve-load}" LOAD_PARAMS="${1:-50M}" LOAD_TOKENS="${2:-32}" \
  LOAD_THREADS="${3:-2}" node serve_load.mjs
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
