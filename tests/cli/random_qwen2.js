// A random Qwen2-shaped model (F32 weights written here, not by seek) for the CLI tests that fine-tune one:
// node random_qwen2.js DIR SEED writes DIR/config.json and DIR/model.safetensors (320 ids: a tokenizer of up to
// 320 tokens fits). The same seed gives the same weights.
const fs = require('fs'), dir = process.argv[2], seed0 = Number(process.argv[3] || 7);
const V = 320, D = 64, I = 128, L = 2, H = 4, KV = 2, hd = 16;
fs.writeFileSync(`${dir}/config.json`, JSON.stringify({architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2',
  vocab_size: V, hidden_size: D, intermediate_size: I, num_hidden_layers: L, num_attention_heads: H,
  num_key_value_heads: KV, rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 256,
  tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 1}, null, 2));
let seed = seed0;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
const t = {};
const mat = (name, r, c, s) => { t[name] = [[r, c], Float32Array.from({length: r * c}, () => rnd() * s)]; };
const vec = (name, n, v) => { t[name] = [[n], new Float32Array(n).fill(v)]; };
mat('model.embed_tokens.weight', V, D, 2.0);
for (let l = 0; l < L; l++) {
  const p = `model.layers.${l}.`;
  vec(p + 'input_layernorm.weight', D, 1); vec(p + 'post_attention_layernorm.weight', D, 1);
  mat(p + 'self_attn.q_proj.weight', H * hd, D, 0.4); vec(p + 'self_attn.q_proj.bias', H * hd, 0);
  mat(p + 'self_attn.k_proj.weight', KV * hd, D, 0.4); vec(p + 'self_attn.k_proj.bias', KV * hd, 0);
  mat(p + 'self_attn.v_proj.weight', KV * hd, D, 0.4); vec(p + 'self_attn.v_proj.bias', KV * hd, 0);
  mat(p + 'self_attn.o_proj.weight', D, H * hd, 0.4);
  mat(p + 'mlp.gate_proj.weight', I, D, 0.4); mat(p + 'mlp.up_proj.weight', I, D, 0.4);
  mat(p + 'mlp.down_proj.weight', D, I, 0.3);
}
vec('model.norm.weight', D, 1); mat('lm_head.weight', V, D, 0.4);
const header = {}; let off = 0; const bufs = [];
for (const k of Object.keys(t).sort()) {
  const [shape, data] = t[k]; const b = Buffer.from(data.buffer);
  header[k] = {dtype: 'F32', shape, data_offsets: [off, off + b.length]}; off += b.length; bufs.push(b);
}
let h = JSON.stringify(header); while (h.length % 8) h += ' ';
const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h.length));
fs.writeFileSync(`${dir}/model.safetensors`, Buffer.concat([len, Buffer.from(h), ...bufs]));
