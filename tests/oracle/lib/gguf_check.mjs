// Shared by the GGUF oracle tests (gguf_models.mjs, gguf_deepseek.mjs): running seek and llama.cpp (node-llama-cpp,
// the prebuilt CPU library from tests/oracle/llama) on the same file, comparing logits, and checking a file that
// llama.cpp's own quantizer wrote.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const { SEEK, WORK, ROOT, GGML_ORACLE, LLAMA_LIBDIR } = process.env;
if (!SEEK || !WORK || !ROOT || !GGML_ORACLE || !LLAMA_LIBDIR) throw new Error("SEEK, WORK, ROOT, GGML_ORACLE, LLAMA_LIBDIR must be set");
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
const llamaRequire = createRequire(path.join(ROOT, "tests/oracle/llama/node_modules/"));
export const { getLlama, readGgufFileInfo } = await import(llamaRequire.resolve("node-llama-cpp"));
export const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

let failures = 0;
export const check = (ok, msg) => {
  console.log((ok ? "ok    " : "FAIL  ") + msg);
  if (!ok) failures++;
};
export const finish = (what) => {
  console.log(failures ? `${failures} checks FAILED` : `all ${what} checks passed`);
  process.exit(failures ? 1 : 0);
};
export const seek = (...args) => execFileSync(SEEK, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
export const readF32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
export const quantize = (input, output, ftype) =>
  execFileSync(GGML_ORACLE, ["quantize", LLAMA_LIBDIR, input, output, ftype], { stdio: ["ignore", "pipe", "pipe"] });

// A fixture folder's tokens and the PyTorch reference's logits for them.
export function readFixture(dir) {
  const { tokens } = JSON.parse(fs.readFileSync(path.join(dir, "expected.json"), "utf8"));
  return { tokens, expected: readF32(path.join(dir, "expected_logits.f32")) };
}
export function seekLogits(model, tokens) {
  const out = path.join(WORK, "logits.f32");
  seek("forward", "--model", model, "--tokens", tokens.join(","), "--logits-out", out);
  return Float32Array.from(readF32(out));
}
export async function llamaLogits(modelPath, tokens, vocab) {
  const model = await llama.loadModel({ modelPath });
  const ctx = await model.createContext({ contextSize: 128, batchSize: 128, sequences: 1, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
  const res = await ctx.getSequence().controlledEvaluate(tokens.map((t) => [t, { generateNext: { logits: true } }]));
  const out = new Float32Array(tokens.length * vocab);
  res.forEach((r, i) => { for (const [k, v] of r.next.logits) out[i * vocab + k] = v; });
  await ctx.dispose();
  await model.dispose();
  return out;
}
export const maxAbs = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
export const peak = (a) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
export const relRms = (a, ref) => {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] - ref[i]) ** 2, n += ref[i] ** 2;
  return Math.sqrt(d / n);
};
// Per position: argmax and the gap between the two largest logits.
export function top2(a, vocab) {
  const out = [];
  for (let t = 0; t < a.length / vocab; t++) {
    let i1 = -1, v1 = -Infinity, v2 = -Infinity;
    for (let k = 0; k < vocab; k++) {
      const v = a[t * vocab + k];
      if (v > v1) v2 = v1, v1 = v, i1 = k;
      else if (v > v2) v2 = v;
    }
    out.push({ arg: i1, margin: v1 - v2 });
  }
  return out;
}
export async function ggmlTypes(file) {
  const info = await readGgufFileInfo(file);
  return new Set((info.fullTensorInfo ?? info.tensorInfo).map((t) => t.ggmlType));
}

// A file llama.cpp's quantizer wrote (`q` names it): seek's logits equal the dequantize-then-f32 reference (the file
// converted back to an f32 folder); llama.cpp on the same file agrees within its 8-bit activation rounding
// (relative RMS below `tol`) and on argmax wherever seek's top-2 margin exceeds 6x that noise (tol null: llama.cpp
// cannot run the file, said by the caller). Returns seek's logits.
// seek's own quantizer against llama.cpp's: the f16 file's weights as an f32 folder, converted by seek to each type
// of `theirs` ({type: seek's logits on llama.cpp's quantization of the f16 file}), must compute exactly those
// logits (the same tensor types chosen, the same blocks written). extra: more `seek convert` arguments.
export function checkOwnQuantization(label, f16, theirs, tokens, extra = []) {
  const folder = f16.replace(/\.gguf$/, ".as-f32");
  seek("convert", "--model", f16, "--out", folder, "--type", "f32");
  for (const [q, ref] of Object.entries(theirs)) {
    const mine = f16.replace(/\.gguf$/, `.seek-${q}.gguf`);
    seek("convert", "--model", folder, "--out", mine, "--type", q, ...extra);
    const d = maxAbs(seekLogits(mine, tokens), ref);
    check(d === 0, `${label}: seek's own ${q} of the f16 weights computes what llama.cpp's quantizer's ${q} does: max |diff| ${d}`);
  }
}

export async function checkQuantizedFile(label, file, tokens, vocab, tol) {
  const ours = seekLogits(file, tokens);
  const back = file.replace(/\.gguf$/, ".dequantized");
  seek("convert", "--model", file, "--out", back, "--type", "f32");
  const ref = seekLogits(back, tokens);
  const d = maxAbs(ours, ref);
  check(d < 1e-4 * peak(ref), `${label} (llama.cpp's quantizer) in seek vs dequantize-then-f32: max |diff| ${d.toExponential(2)} of ${peak(ref).toFixed(3)}`);
  if (tol === null) return ours;
  const theirs = await llamaLogits(file, tokens, vocab);
  const noise = relRms(theirs, ours);
  check(noise < tol, `${label}: llama.cpp vs seek on the same file, relative RMS ${noise.toFixed(4)} (< ${tol}: its 8-bit activations)`);
  const absNoise = Math.sqrt(theirs.reduce((s, x, i) => s + (x - ours[i]) ** 2, 0) / theirs.length);
  const a = top2(ours, vocab), b = top2(theirs, vocab);
  let decided = 0, agree = 0;
  a.forEach((p, i) => { if (p.margin > 6 * absNoise) { decided++; agree += p.arg === b[i].arg; } });
  check(agree === decided && decided > 0,
        `${label}: argmax agrees with llama.cpp at ${agree} of ${decided} positions whose margin exceeds 6x the noise (${a.length} positions)`);
  return ours;
}
