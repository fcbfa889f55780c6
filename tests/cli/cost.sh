#!/usr/bin/env bash
# seek cost: the DeepSeek-V3 preset lands within 10% of the report's 2.664M H800-hours for 14.8T tokens, the
# prediction is linear in tokens and price, a config file works, and bad input is one clear line.
source "$(dirname "$0")/lib.bash"

# Top-level numeric field of `seek cost` JSON (printed with 2-space indent, one field per line).
field() { sed -n "s/^  \"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$1"; }
# awk check: prints nothing and succeeds when the expression holds.
holds() { awk "BEGIN { exit !($1) }"; }

"$SEEK" cost --preset deepseek-v3 --tokens 14.8e12 --device h800 --price-per-hour 2 >"$WORK/v3.json" || fail "preset run"
h=$(field "$WORK/v3.json" device_hours)
c=$(field "$WORK/v3.json" cost_usd)
holds "$h > 0.9 * 2664000 && $h < 1.1 * 2664000" || fail "V3 pretraining: $h H800-hours, not within 10% of 2,664K"
holds "$c > 0.9 * 5328000 && $c < 1.1 * 5328000" || fail "V3 pretraining: \$$c, not within 10% of \$5.328M"
grep -q '"utilization_source": "assumed"' "$WORK/v3.json" || fail "preset utilization not marked assumed"
grep -q '"utilization_basis": "assumed: model-FLOPs utilization of 40%' "$WORK/v3.json" || fail "no utilization basis"
grep -q '"precision": "fp8"' "$WORK/v3.json" || fail "preset is not FP8"
grep -q '"ratio":' "$WORK/v3.json" || fail "no comparison with the published number"
echo "ok: V3 preset -> $h H800-hours, \$$c"

# Linear: twice the tokens is twice the hours; cost = price x hours; days = hours / devices / 24.
"$SEEK" cost --preset deepseek-v3 --tokens 29.6T --device h800 --price-per-hour 2 --devices 1024 >"$WORK/v3x2.json" \
  || fail "preset x2 run"
h2=$(field "$WORK/v3x2.json" device_hours)
c2=$(field "$WORK/v3x2.json" cost_usd)
d2=$(field "$WORK/v3x2.json" wall_clock_days)
holds "$h2 / $h > 1.999999 && $h2 / $h < 2.000001" || fail "2x tokens gave $h2 / $h hours"
holds "$c2 / ($h2 * 2) > 0.999999 && $c2 / ($h2 * 2) < 1.000001" || fail "cost $c2 != 2 x $h2"
holds "$d2 * 24 * 1024 / $h2 > 0.999999 && $d2 * 24 * 1024 / $h2 < 1.000001" || fail "days $d2 for $h2 hours on 1024"
echo "ok: linear in tokens, price and devices"

# A config file on another device with a given utilization.
"$SEEK" cost --config "$SHARED/fixtures/deepseek-v3-tiny/config.json" --tokens 1e9 --device h100 --precision bf16 \
  --utilization 0.5 --seq-len 256 >"$WORK/tiny.json" || fail "config run"
grep -q '"utilization_source": "given"' "$WORK/tiny.json" || fail "given utilization not marked"
f=$(field "$WORK/tiny.json" total_flops); u=$(field "$WORK/tiny.json" utilization)
p=$(field "$WORK/tiny.json" peak_flops_per_device); th=$(field "$WORK/tiny.json" device_hours)
holds "$u == 0.5 && $p == 989.5e12" || fail "utilization $u, peak $p"
holds "($f / ($u * $p) / 3600) / $th > 0.999999 && ($f / ($u * $p) / 3600) / $th < 1.000001" || fail "hours $th"
grep -q '"cost_usd"' "$WORK/tiny.json" || fail "no cost"
"$SEEK" cost --help | grep -q -- "--utilization" || fail "no --help"

expect_error "unknown device" "unknown device 'tpu9'" "h800" -- "$SEEK" cost --preset deepseek-v3 --device tpu9
expect_error "unknown preset" "unknown preset 'gpt'" -- "$SEEK" cost --preset gpt --tokens 1e9 --device h100
expect_error "negative tokens" "--tokens" -- "$SEEK" cost --preset deepseek-v3 --tokens=-5
expect_error "tokens not a number" "--tokens" "lots" -- "$SEEK" cost --preset deepseek-v3 --tokens lots
expect_error "utilization zero" "--utilization" -- "$SEEK" cost --preset deepseek-v3 --utilization 0
expect_error "utilization above one" "--utilization" -- "$SEEK" cost --preset deepseek-v3 --utilization 1.5
expect_error "fp8 on a100" "a100" "fp8" -- "$SEEK" cost --preset deepseek-v3 --device a100
expect_error "bad precision" "fp4" -- "$SEEK" cost --preset deepseek-v3 --precision fp4
expect_error "no model" "--preset" "--config" -- "$SEEK" cost --tokens 1e9 --device h100
expect_error "missing config" "/nope/config.json" -- "$SEEK" cost --config /nope/config.json --tokens 1e9 --device h100
printf '{"hidden_size": 64,\n "oops' >"$WORK/broken.json"
expect_error "broken config" "broken.json" "JSON" -- "$SEEK" cost --config "$WORK/broken.json" --tokens 1e9 --device h100
sed 's/"n_group": 4/"n_group": 3/' "$SHARED/fixtures/deepseek-v3-tiny/config.json" >"$WORK/bad.json"
expect_error "bad config value" "bad.json" "n_group" -- "$SEEK" cost --config "$WORK/bad.json" --tokens 1e9 --device h100
expect_error "zero devices" "--devices" -- "$SEEK" cost --preset deepseek-v3 --devices 0
finish
