// seek against llama.cpp on the same GGUF files: a random-weight model written as f16 GGUF by `seek convert` and
// quantized by llama.cpp's own quantizer to q8_0 and q4_K_M. MODEL qwen2 (default): Qwen2-0.5B-shaped (24 layers,
// hidden 896, GQA 14/2, MLP 4864, vocab 151936). MODEL deepseek: a DeepSeek-V2-Lite-shaped MoE shrunk to 0.6B (12
// layers, 1 dense + 11 MoE with 32 routed experts top-4 and 2 shared, hidden 1024, MLA with kv_lora 512, vocab
// 32000), in llama.cpp's joined MLA layout (--kv-b joined: on AMX CPUs llama.cpp aborts on the split one's f16 and
// quantized attn_k_b/attn_v_b). For each file: argmax agreement first (seek and llama.cpp on the same 32 tokens), then
// ROUNDS interleaved rounds of decode (8-token prompt, 64 generated), prefill 128 and prefill 512 in both engines,
// min/median/max, the ratio of medians, and each engine's share of the decode roofline (the file's weight bytes per
// token over the read bandwidth seek measures in the same run). Both engines use THREADS threads.
//
//   node bench/gguf_vs_llamacpp.mjs [ROUNDS=5] [THREADS=2] [MODEL=qwen2|deepseek]   (run by bench/gguf_vs_llamacpp.sh)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const rounds = Number(process.argv[2] ?? 5), threads = Number(process.argv[3] ?? 2), kind = process.argv[4] ?? "qwen2";
const SEEK = process.env.SEEK ?? path.join(ROOT, "build/seek");
const ORACLE = process.env.GGML_ORACLE ?? path.join(ROOT, "build/tests/seek_ggml_oracle");
const LIBDIR = path.join(ROOT, "tests/oracle/llama/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
const DIR = process.env.SEEK_BENCH_DIR ?? "/tmp/seek-bench-gguf";
const req = createRequire(path.join(ROOT, "tests/oracle/llama/node_modules/"));
const { getLlama } = await import(req.resolve("node-llama-cpp"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

const run = (cmd, args) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
                                                     env: { ...process.env, SEEK_THREADS: String(threads) } });
const shapes = {
  qwen2: { name: "qwen2-0.5b", convert: [], config: { model_type: "qwen2", vocab_size: 151936, hidden_size: 896,
    intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2,
    max_position_embeddings: 4096, rms_norm_eps: 1e-6, rope_theta: 1000000.0, tie_word_embeddings: true } },
  deepseek: { name: "deepseek-0.6b", convert: ["--kv-b", "joined"], config: { model_type: "deepseek_v3",
    vocab_size: 32000, hidden_size: 1024, intermediate_size: 2816, moe_intermediate_size: 512, num_hidden_layers: 12,
    first_k_dense_replace: 1, num_attention_heads: 8, num_key_value_heads: 8, n_routed_experts: 32,
    n_shared_experts: 2, num_experts_per_tok: 4, n_group: 1, topk_group: 1, scoring_func: "sigmoid",
    routed_scaling_factor: 2.5, topk_method: "noaux_tc", norm_topk_prob: true, q_lora_rank: null,
    kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128, rms_norm_eps: 1e-6,
    rope_theta: 10000.0, max_position_embeddings: 4096, tie_word_embeddings: false, num_nextn_predict_layers: 0 } },
};
const shape = shapes[kind];
if (!shape) throw new Error(`MODEL must be one of ${Object.keys(shapes).join(", ")}`);
const vocab = shape.config.vocab_size;
fs.mkdirSync(DIR, { recursive: true });
const hf = path.join(DIR, shape.name);
if (!fs.existsSync(path.join(hf, "config.json"))) {
  const cfg = path.join(DIR, `${shape.name}.json`);
  fs.writeFileSync(cfg, JSON.stringify(shape.config));
  run(SEEK, ["synth", "--config", cfg, "--out", hf, "--seed", "5"]);
}
const files = { f16: path.join(DIR, `${shape.name}.f16.gguf`) };
if (!fs.existsSync(files.f16)) run(SEEK, ["convert", "--model", hf, "--out", files.f16, "--type", "f16", ...shape.convert]);
for (const q of ["q8_0", "q4_K_M"]) {
  files[q] = path.join(DIR, `${shape.name}.${q}.gguf`);
  if (!fs.existsSync(files[q])) run(ORACLE, ["quantize", LIBDIR, files.f16, files[q], q]);
}

const ids = (n, salt) => Array.from({ length: n }, (_, i) => (i * 7919 + 13 + salt) % (vocab - 1000));
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { min: s[0], med: s[s.length >> 1], max: s.at(-1) }; };
const fmt = (s) => `${s.min.toFixed(1)} / ${s.med.toFixed(1)} / ${s.max.toFixed(1)}`;

function seekBench(file, prompt, gen) {
  return JSON.parse(run(SEEK, ["bench", "--model", file, "--prompt", String(prompt), "--gen", String(gen), "--reps", "1",
                               "--dtype", "f32", "--threads", String(threads)]).trim().split("\n").at(-1));
}
async function llamaRound(model) {
  const out = {};
  for (const n of [128, 512]) {
    const ctx = await model.createContext({ contextSize: 1024, batchSize: 512, threads, sequences: 1 });
    const t0 = performance.now();
    await ctx.getSequence().evaluateWithoutGeneratingNewTokens(ids(n, 0));
    out[`prefill${n}`] = n / ((performance.now() - t0) / 1000);
    await ctx.dispose();
  }
  const ctx = await model.createContext({ contextSize: 1024, batchSize: 512, threads, sequences: 1 });
  const seq = ctx.getSequence();
  let count = 0, t0 = 0;
  for await (const _ of seq.evaluate(ids(8, 0), { temperature: 0 })) {
    if (count === 0) t0 = performance.now();  // after the prompt and the first token
    if (++count > 64) break;
  }
  out.decode = 64 / ((performance.now() - t0) / 1000);
  await ctx.dispose();
  return out;
}
async function argmaxAgreement(file, model) {
  const tokens = ids(32, 1);
  const lf = path.join(DIR, "logits.f32");
  run(SEEK, ["forward", "--model", file, "--tokens", tokens.join(","), "--logits-out", lf]);
  const b = fs.readFileSync(lf), ours = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const ctx = await model.createContext({ contextSize: 128, batchSize: 128, threads, sequences: 1 });
  const res = await ctx.getSequence().controlledEvaluate(tokens.map((t) => [t, { generateNext: { logits: true } }]));
  let agree = 0;
  res.forEach((r, i) => {
    let best = -1, bv = -Infinity;
    for (const [k, v] of r.next.logits) if (v > bv) bv = v, best = k;
    let ob = 0;
    for (let k = 1; k < vocab; k++) if (ours[i * vocab + k] > ours[i * vocab + ob]) ob = k;
    agree += ob === best;
  });
  await ctx.dispose();
  return `${agree}/${tokens.length}`;
}

console.log(`# seek vs llama.cpp on the same GGUF files (${shape.name}), ${threads} threads, ${rounds} rounds, ${os.cpus()[0].model}`);
console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const rows = [];
for (const [type, file] of Object.entries(files)) {
  const model = await llama.loadModel({ modelPath: file });
  const agree = await argmaxAgreement(file, model);
  const s = { decode: [], prefill128: [], prefill512: [], bw: [], bytes: 0 }, l = { decode: [], prefill128: [], prefill512: [] };
  for (let r = 0; r < rounds; r++) {
    const a = seekBench(file, 128, 64), b = seekBench(file, 512, 1);
    s.decode.push(a.decode_tok_s), s.prefill128.push(a.prefill_tok_s), s.prefill512.push(b.prefill_tok_s);
    s.bw.push(a.measured_bandwidth_gbs, b.measured_bandwidth_gbs), s.bytes = a.active_weight_bytes_per_token;
    const x = await llamaRound(model);
    for (const k of ["decode", "prefill128", "prefill512"]) l[k].push(x[k]);
  }
  await model.dispose();
  const bw = stats(s.bw).med * 1e9, roof = bw / s.bytes;
  const row = { type, agree, bytes: s.bytes, roof };
  for (const k of ["decode", "prefill128", "prefill512"]) row[k] = { seek: stats(s[k]), llama: stats(l[k]) };
  rows.push(row);
  console.log(`\n## ${type}: ${(s.bytes / 1e6).toFixed(0)} MB of weights per token, bandwidth ${(bw / 1e9).toFixed(1)} GB/s ` +
              `(roofline ${roof.toFixed(1)} tok/s); argmax agreement ${agree}`);
  for (const k of ["decode", "prefill128", "prefill512"]) {
    const a = row[k].seek, b = row[k].llama;
    const extra = k === "decode" ? `   roofline: seek ${(100 * a.med / roof).toFixed(0)}%, llama.cpp ${(100 * b.med / roof).toFixed(0)}%` : "";
    console.log(`${k.padEnd(11)} tok/s min/med/max  seek ${fmt(a)}   llama.cpp ${fmt(b)}   ratio ${(a.med / b.med).toFixed(2)}x${extra}`);
  }
}
console.log(`\nload average after: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
process.exit(0);
