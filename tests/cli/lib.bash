# Helpers for CLI tests (sourced). SEEK, SHARED, ROOT, WORK come from ctest.
set -euo pipefail
: "${SEEK:?}" "${SHARED:?}" "${ROOT:?}" "${WORK:?}"
rm -rf "$WORK" && mkdir -p "$WORK"
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# expect_error "what" NEEDLE... -- command...: the command must exit non-zero, print exactly one line on stderr,
# and that line must contain every NEEDLE.
expect_error() {
  local what=$1; shift
  local needles=()
  while [ "$1" != "--" ]; do needles+=("$1"); shift; done
  shift
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ $rc -eq 0 ]; then fail "$what: exit 0"; return; fi
  if [ $rc -gt 1 ]; then fail "$what: exit $rc (a crash or internal error, not a clean error)"; fi
  local lines; lines=$(wc -l <"$WORK/err")
  [ "$lines" -eq 1 ] || fail "$what: $lines lines on stderr: $(cat "$WORK/err")"
  for n in "${needles[@]}"; do grep -qF -- "$n" "$WORK/err" || fail "$what: '$n' not in: $(cat "$WORK/err")"; done
  echo "ok: $what -> $(head -c 200 "$WORK/err")"
}

finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS failure(s)"; exit 1; fi
  echo "all passed"
}
