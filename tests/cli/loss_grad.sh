#!/usr/bin/env bash
# seek loss-grad as a user runs it, on the PyTorch autograd reference fixture train-v2 (one sequence): the printed
# loss equals the reference's main loss, and the written gradient file holds every trained parameter under its
# Hugging Face name with the reference's values (compared by a small reader below, not by seek itself).
source "$(dirname "$0")/lib.bash"
fx="$ROOT/tests/fixtures/train-v2"
tokens=$(node -e "const e=require('$fx/expected.json'); console.log(e.tokens[0].join(','))")
"$SEEK" loss-grad --model "$fx" --tokens "$tokens" --out "$WORK/grads.safetensors" >"$WORK/out.json" 2>"$WORK/err" \
  || { cat "$WORK/err"; fail "loss-grad exited non-zero"; }
node - "$WORK/out.json" "$fx/expected.json" "$WORK/grads.safetensors" "$fx/grads_main.safetensors" <<'JS' || fail "loss-grad output differs from the reference"
const fs = require('fs');
const [outPath, expPath, oursPath, refPath] = process.argv.slice(2);
const out = JSON.parse(fs.readFileSync(outPath, 'utf8'));
const exp = JSON.parse(fs.readFileSync(expPath, 'utf8'));
// safetensors: u64 header length, JSON header, data
function read(path) {
  const b = fs.readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const h = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  const t = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === '__metadata__') continue;
    if (v.dtype !== 'F32') throw new Error(`${path}: ${k} is ${v.dtype}`);
    const [s, e] = v.data_offsets;
    t[k] = new Float32Array(b.buffer.slice(b.byteOffset + 8 + n + s, b.byteOffset + 8 + n + e));
  }
  return t;
}
const rel = Math.abs(out.loss - exp.loss_main) / exp.loss_main;
if (!(rel < 1e-5)) throw new Error(`loss ${out.loss} vs reference ${exp.loss_main}`);
const ours = read(oursPath), ref = read(refPath);
const names = Object.keys(ref);
if (Object.keys(ours).length !== names.length) throw new Error(`${Object.keys(ours).length} gradients, reference has ${names.length}`);
for (const k of names) {
  if (!ours[k] || ours[k].length !== ref[k].length) throw new Error(`gradient ${k} missing or of the wrong size`);
  let mx = 0, err = 0;
  for (let i = 0; i < ref[k].length; i++) { mx = Math.max(mx, Math.abs(ref[k][i])); err = Math.max(err, Math.abs(ref[k][i] - ours[k][i])); }
  if (err > 1e-4 * Math.max(mx, 1e-6)) throw new Error(`gradient ${k}: max error ${err}, max |ref| ${mx}`);
}
console.log(`ok: loss ${out.loss} (reference ${exp.loss_main}); ${names.length} gradients match`);
JS
expect_error "too few tokens" "--tokens" -- "$SEEK" loss-grad --model "$fx" --tokens 5 --out "$WORK/g.safetensors"
expect_error "token out of range" "out of range" -- "$SEEK" loss-grad --model "$fx" --tokens 1,2,99999 --out "$WORK/g.safetensors"
expect_error "not a model" "config.json" -- "$SEEK" loss-grad --model "$WORK" --tokens 1,2,3 --out "$WORK/g.safetensors"
finish
