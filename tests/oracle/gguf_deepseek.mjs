// DeepSeek (deepseek2) GGUF files both ways, checked against things seek did not write: the official reference's
// and the PyTorch reference's logits of the DeepSeek fixtures, llama.cpp (node-llama-cpp) running the same files,
// and llama.cpp's own model quantizer writing the quantized files seek loads.
//
// llama.cpp has two layouts for MLA: the current one (kv_b_proj split into 3-d attn_k_b / attn_v_b, run absorbed)
// and the older one (attn_kv_b whole, run as multi-head attention). `seek convert` writes either (--kv-b). On CPUs
// with AMX, llama.cpp's AMX backend takes the split layout's f16 and block-type attn_k_b / attn_v_b and then has no
// kernel for their batched matmul (it aborts: GGML_ASSERT in ggml-backend.cpp, on its own quantizer's files too),
// so llama.cpp runs f16 and quantized files here in the joined layout, and split files in f32 and bf16.
//
//  1. The V3 fixture (official reference), and v3-mtp (an MTP module, kept under the NextN names), v2-lite-like
//     (softmax routing, no q_lora, V2's YaRN mscale) and no-yarn, written by `seek convert` as f32, f16 and bf16
//     in both layouts: seek's logits equal the reference's; llama.cpp's on the same files match them too, within
//     the rounding of activations to f16/bf16 it does on such weights; seek's split f16 file is llama.cpp's
//     quantizer's f16 of the model, bit for bit in what it computes; the f32 file converted back to a folder still
//     computes the reference's logits.
//  2. A random-weight V3-shaped model whose matrices are whole 256-blocks (hidden, q/kv ranks, expert width 256;
//     2 groups of 4 experts, top-2, a shared expert, one MTP module), written as f16 by seek in both layouts and
//     quantized by llama.cpp to q8_0, q4_K_M and q5_K_M: seek on each file equals the dequantize-then-f32
//     reference; llama.cpp on each joined file agrees within its 8-bit activation rounding and on every argmax the
//     noise cannot flip; seek's own q8_0, q4_K_M and q5_K_M of the f16 weights compute exactly what llama.cpp's
//     files do.
import fs from "node:fs";
import path from "node:path";

import { check, checkOwnQuantization, checkQuantizedFile, finish, ggmlTypes, llamaLogits, maxAbs, peak, quantize,
         readFixture, relRms, ROOT, seek, seekLogits, WORK } from "./lib/gguf_check.mjs";

// ---- 1. the fixtures, exact ----
const fixtures = {
  "deepseek-v3-tiny": path.join(ROOT, "../shared/fixtures/deepseek-v3-tiny"),
  "v3-mtp": path.join(ROOT, "tests/fixtures/v3-mtp"),
  "v2-lite-like": path.join(ROOT, "tests/fixtures/v2-lite-like"),
  "no-yarn": path.join(ROOT, "tests/fixtures/no-yarn"),
};
// llama.cpp rounds activations to the weights' type inside its f16/bf16 dot products, which on these random
// routers (near-tied expert scores) also changes some tokens' experts and so their whole logit row: bounded per
// position as relative RMS, its median below the tolerance (a misread tensor moves every row), the flipped rows
// counted and printed
const llamaTol = { f32: 1e-5, f16: 2e-3, bf16: 2e-2 };
function rowRel(a, ref, vocab) {
  const out = [];
  for (let t = 0; t < a.length / vocab; t++) out.push(relRms(a.subarray(t * vocab, (t + 1) * vocab), ref.subarray(t * vocab, (t + 1) * vocab)));
  return out.sort((x, y) => x - y);
}
for (const [name, dir] of Object.entries(fixtures)) {
  const { tokens, expected } = readFixture(dir);
  const vocab = expected.length / tokens.length, scale = peak(expected);
  for (const layout of ["split", "joined"]) {
    for (const type of ["f32", "f16", "bf16"]) {
      const label = `${name} ${type} ${layout}`;
      const file = path.join(WORK, `${name}.${layout}.${type}.gguf`);
      seek("convert", "--model", dir, "--out", file, "--type", type, "--kv-b", layout);
      const d = maxAbs(seekLogits(file, tokens), expected);
      check(d < 1e-5 * scale + 1e-5, `${label} GGUF in seek vs the reference: max |diff| ${d.toExponential(2)}`);
      if (type === "f16" && layout === "split") {
        const theirs = path.join(WORK, `${name}.llama-f16.gguf`);
        quantize(path.join(WORK, `${name}.split.f32.gguf`), theirs, "f16");
        const same = maxAbs(seekLogits(file, tokens), seekLogits(theirs, tokens));
        check(same === 0, `${label} GGUF by seek computes what llama.cpp's quantizer's f16 of the model does: max |diff| ${same}`);
        continue;
      }
      const l = await llamaLogits(file, tokens, vocab);
      const rows = rowRel(l, expected, vocab), tol = llamaTol[type];
      const median = rows[rows.length >> 1], off = rows.filter((r) => r > 10 * tol).length;
      check(median < tol && (type !== "f32" || off === 0),
            `${label} GGUF written by seek, run by llama.cpp, vs the reference: per-position relative RMS median ${median.toExponential(2)} (< ${tol}), ${off} of ${rows.length} positions above 10x (other experts chosen)`);
    }
  }
  const back = path.join(WORK, `${name}.from-gguf`);
  seek("convert", "--model", path.join(WORK, `${name}.split.f32.gguf`), "--out", back);
  const d = maxAbs(seekLogits(back, tokens), expected);
  check(d < 1e-5 * scale + 1e-5, `${name} GGUF -> Hugging Face folder vs the reference: ${d.toExponential(2)}`);
}
{
  let msg = "";
  try { seek("convert", "--model", path.join(ROOT, "tests/fixtures/v2-grouped"), "--out", path.join(WORK, "g.gguf")); } catch (e) { msg = String(e.stderr); }
  check(msg.includes("group_limited_greedy"), `V2 group-limited routing (no GGUF form) refused: ${msg.trim()}`);
}

// ---- 2. quantized files from llama.cpp's quantizer ----
const dir = path.join(WORK, "ds-256"), vocab = 512;
const cfgPath = path.join(WORK, "ds-256.json");
fs.writeFileSync(cfgPath, JSON.stringify({
  model_type: "deepseek_v3", vocab_size: vocab, hidden_size: 256, intermediate_size: 512, moe_intermediate_size: 256,
  num_hidden_layers: 3, first_k_dense_replace: 1, num_attention_heads: 2, num_key_value_heads: 2, n_routed_experts: 8,
  n_shared_experts: 1, num_experts_per_tok: 2, n_group: 2, topk_group: 1, scoring_func: "sigmoid",
  routed_scaling_factor: 2.5, topk_method: "noaux_tc", norm_topk_prob: true, q_lora_rank: 256, kv_lora_rank: 256,
  qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128, rms_norm_eps: 1e-6, rope_theta: 10000.0,
  max_position_embeddings: 4096, tie_word_embeddings: false, num_nextn_predict_layers: 1, bos_token_id: 0,
  eos_token_id: 1, hidden_act: "silu",
  rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 1024, beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0 },
}));
seek("synth", "--config", cfgPath, "--out", dir, "--seed", "3");
const tokens = [];
for (let i = 0; i < 32; i++) tokens.push((i * 7919 + 13) % vocab);
// the ggml types each file must hold; in the split layout attn_k_b's rows (128 = qk_nope) are not whole 256-blocks,
// so llama.cpp falls back for them (q5_0 in q4_K_M, q5_1 in q5_K_M)
const expectTypes = {
  split: { q8_0: [8], q4_K_M: [12, 14, 6], q5_K_M: [13, 14, 7] },
  joined: { q8_0: [8], q4_K_M: [12, 14], q5_K_M: [13, 14] },
};
for (const layout of ["joined", "split"]) {
  const quantized = {};
  const f16 = path.join(WORK, `ds-256.${layout}.f16.gguf`);
  seek("convert", "--model", dir, "--out", f16, "--type", "f16", "--kv-b", layout);
  for (const q of Object.keys(expectTypes[layout])) {
    const file = path.join(WORK, `ds-256.${layout}.${q}.gguf`);
    quantize(f16, file, q);
    const types = await ggmlTypes(file);
    check(expectTypes[layout][q].every((t) => types.has(t)), `${layout} ${q} file holds ggml types ${[...types].sort((a, b) => a - b).join(",")}`);
    // measured 0.014 (q8_0), 0.099 (q4_K_M), 0.038 (q5_K_M): llama.cpp's 8-bit activations (one scale per 256 for
    // the K-quants), which on a random router also change some tokens' experts
    const tol = layout === "split" ? null : { q8_0: 0.03, q4_K_M: 0.15, q5_K_M: 0.08 }[q];
    const ours = await checkQuantizedFile(`ds-256 ${layout} ${q}`, file, tokens, vocab, tol);
    quantized[q] = ours;
  }
  checkOwnQuantization(`ds-256 ${layout}`, f16, quantized, tokens, ["--kv-b", layout]);
}

finish("DeepSeek GGUF");
