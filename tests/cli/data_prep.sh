#!/usr/bin/env bash
# `seek tokenizer-train` and `seek data` as a user runs them: a tokenizer trained on tinyshakespeare that
# `seek tokenize`/`detokenize` load and round-trip, shards whose tokens are exactly `seek tokenize` of the text
# (train head + val tail, EOS after each), a JSONL corpus split by whole documents, re-runs, and bad input.
source "$(dirname "$0")/lib.bash"
SHK="$SHARED/data/tinyshakespeare/input.txt"
TOK="$WORK/tok"

# ---------------------------------------------------------------- tokenizer-train
"$SEEK" tokenizer-train --input "$SHK" --vocab-size 1000 --out "$TOK" >"$WORK/train.out" || fail "tokenizer-train failed"
grep -q "^1000 tokens (7 special, 256 bytes, 737 merges)" "$WORK/train.out" || fail "summary: $(cat "$WORK/train.out")"
[ -f "$TOK/tokenizer.json" ] && [ -f "$TOK/tokenizer_config.json" ] || fail "tokenizer files missing"
jq -e '.chat_template | contains("<｜Assistant｜><think>")' "$TOK/tokenizer_config.json" >/dev/null ||
  fail "tokenizer_config.json has no R1 chat template"
[ "$(jq -r '.eos_token' "$TOK/tokenizer_config.json")" = "<｜end▁of▁sentence｜>" ] || fail "eos_token"
[ "$(jq '.model.merges | length' "$TOK/tokenizer.json")" -eq 737 ] || fail "merge count"
text='First Citizen: Before we proceed any further, hear me speak. 12345 café'
ids=$("$SEEK" tokenize --tokenizer "$TOK" --text "$text")
back=$("$SEEK" detokenize --tokenizer "$TOK" --ids-json "$ids")
[ "$back" = "$text" ] || fail "round trip: '$back'"
[ "$(echo "$ids" | jq length)" -lt 40 ] || fail "trained merges not used: $ids"
[ "$("$SEEK" tokenize --tokenizer "$TOK" --special --text '<｜begin▁of▁sentence｜><think>')" = "[0,5]" ] ||
  fail "special token ids"
echo "ok: tokenizer-train"

# A second run gives the same file (deterministic).
"$SEEK" tokenizer-train --input "$SHK" --vocab-size 1000 --out "$WORK/tok2" >/dev/null
cmp -s "$TOK/tokenizer.json" "$WORK/tok2/tokenizer.json" || fail "training is not deterministic"

# ---------------------------------------------------------------- data: one long document
D="$WORK/shk"
"$SEEK" data --tokenizer "$TOK" --input "$SHK" --out "$D" --shard-tokens 50K --val-fraction 0.1 >"$WORK/data.out" ||
  fail "data failed"
cat "$WORK/data.out"
u16() { od -An -tu2 -v "$@" | tr -s ' ' '\n' | grep -v '^$' || true; }
"$SEEK" tokenize --tokenizer "$TOK" --file "$SHK" | jq -c '.[]' >"$WORK/want"
n=$(wc -l <"$WORK/want")
v=$(( (n + 5) / 10 ))  # round(n * 0.1)
{ head -n $((n - v)) "$WORK/want"; echo 1; } >"$WORK/want_train"
{ tail -n "$v" "$WORK/want"; echo 1; } >"$WORK/want_val"
u16 $(jq -r '.splits.train.shards[].file' "$D/index.json" | sed "s|^|$D/|") >"$WORK/got_train"
u16 $(jq -r '.splits.val.shards[].file' "$D/index.json" | sed "s|^|$D/|") >"$WORK/got_val"
cmp -s "$WORK/want_train" "$WORK/got_train" || fail "train shards differ from seek tokenize"
cmp -s "$WORK/want_val" "$WORK/got_val" || fail "val shards differ from seek tokenize"
[ "$(jq -r '.dtype' "$D/index.json")" = uint16 ] || fail "dtype"
[ "$(jq '.splits.train.shards | length' "$D/index.json")" -eq $(( (n - v + 1 + 49999) / 50000 )) ] || fail "shard count"
[ "$(stat -c %s "$D/train-00000.bin")" -eq 100000 ] || fail "shard size"
cmp -s "$D/tokenizer.json" "$TOK/tokenizer.json" || fail "tokenizer.json not copied"
[ -z "$(ls "$D" | grep tmp || true)" ] || fail "temporary files left: $(ls "$D")"
echo "ok: data, one document ($n tokens)"

# Re-running with bigger shards leaves no stale shard.
"$SEEK" data --tokenizer "$TOK" --input "$SHK" --out "$D" --shard-tokens 1M >/dev/null || fail "re-run failed"
[ "$(ls "$D"/*.bin | wc -l)" -eq 2 ] || fail "stale shards: $(ls "$D")"

# ---------------------------------------------------------------- data: JSONL documents
head -n 30 "$SHARED/data/gsm8k/test.jsonl" | jq -c '{text: (.question + "\n" + .answer)}' >"$WORK/docs.jsonl"
"$SEEK" data --tokenizer "$TOK" --input "$WORK/docs.jsonl" --input "$SHK" --out "$WORK/docs" --seed 3 >/dev/null ||
  fail "data on JSONL failed"
idx="$WORK/docs/index.json"
# 31 documents: round(31 * 0.05) = 2 whole documents go to validation.
[ "$(jq '.splits.val.documents' "$idx")" -eq 2 ] || fail "val documents: $(jq .splits.val "$idx")"
[ "$(jq '.splits.train.documents' "$idx")" -eq 29 ] || fail "train documents"
[ "$(jq -r '.val_split' "$idx")" = "whole documents" ] || fail "split mode"
total=$(( $(jq '.splits.train.tokens' "$idx") + $(jq '.splits.val.tokens' "$idx") ))
jq -c '.text' "$WORK/docs.jsonl" >"$WORK/strings.jsonl"
want=$(( n + 1 + $("$SEEK" tokenize --tokenizer "$TOK" --jsonl "$WORK/strings.jsonl" | jq length |
  awk '{s += $1 + 1} END {print s}') ))
[ "$total" -eq "$want" ] || fail "JSONL token total $total, want $want"
echo "ok: data, JSONL documents"

# ---------------------------------------------------------------- bad input
printf '' >"$WORK/empty.txt"
printf '{"text": "a"}\n{"text": 1}\n' >"$WORK/bad.jsonl"
printf '{"body": "a"}\n' >"$WORK/notext.jsonl"
expect_error "train: missing input" "/nope.txt" -- "$SEEK" tokenizer-train --input /nope.txt --vocab-size 500 --out "$WORK/x"
expect_error "train: vocab too small" "vocab size 262" "at least 263" -- \
  "$SEEK" tokenizer-train --input "$SHK" --vocab-size 262 --out "$WORK/x"
expect_error "train: empty input" "no text" -- "$SEEK" tokenizer-train --input "$WORK/empty.txt" --vocab-size 500 --out "$WORK/x"
expect_error "train: bad JSONL" "bad.jsonl line 2" '"text"' -- \
  "$SEEK" tokenizer-train --input "$WORK/bad.jsonl" --vocab-size 500 --out "$WORK/x"
expect_error "train: JSONL without text" "notext.jsonl line 1" -- \
  "$SEEK" tokenizer-train --input "$WORK/notext.jsonl" --vocab-size 500 --out "$WORK/x"
expect_error "train: empty special" "special token" -- \
  "$SEEK" tokenizer-train --input "$SHK" --vocab-size 500 --special "" --out "$WORK/x"
expect_error "data: missing tokenizer" "/nope/tok" -- "$SEEK" data --tokenizer /nope/tok --input "$SHK" --out "$WORK/x"
expect_error "data: missing input" "/nope.txt" -- "$SEEK" data --tokenizer "$TOK" --input /nope.txt --out "$WORK/x"
expect_error "data: no documents" "no documents" -- "$SEEK" data --tokenizer "$TOK" --input "$WORK/empty.txt" --out "$WORK/x"
expect_error "data: bad JSONL" "bad.jsonl line 2" -- "$SEEK" data --tokenizer "$TOK" --input "$WORK/bad.jsonl" --out "$WORK/x"
expect_error "data: val fraction" "val fraction" -- \
  "$SEEK" data --tokenizer "$TOK" --input "$SHK" --out "$WORK/x" --val-fraction 1.5
expect_error "data: shard size" "--shard-tokens" "abc" -- \
  "$SEEK" data --tokenizer "$TOK" --input "$SHK" --out "$WORK/x" --shard-tokens abc
[ ! -e "$WORK/x/index.json" ] || fail "a failed run left an index.json"
finish
