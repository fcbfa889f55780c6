"""Cross-checks fixtures against llama.cpp, an implementation we did not write. Not part of CI.

Dense: qwen2-tiny, qwen2-tiny-tied, llama-tiny. DeepSeek (llama.cpp arch deepseek2, absorbed MLA):
the official deepseek-v3-tiny (to validate this conversion itself), v2-lite-like, fp8-ragged (weights
dequantized to F32), no-yarn, v3-mtp (MTP layer dropped, as llama.cpp's converter does). v2-grouped is
not checked: llama.cpp ranks expert groups only by the sum of their top-2 scores (the V3 rule), while
group_limited_greedy uses the max.

Set-up (once, outside the repository):
    mkdir -p /tmp/llo && cd /tmp/llo && npm init -y && \
      npm i --omit=optional node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
Run:
    /usr/bin/python3 tools/reference/crosscheck_llamacpp.py --llama-dir /tmp/llo

Each HF fixture is written as an F32 GGUF (values are the stored BF16 values, exactly) with gguf-py taken
from the llama.cpp source bundle inside the node-llama-cpp package. Tensor layout conversions are the
standard HF -> GGUF ones: Llama q/k rows are permuted from the half-split (rotate_half) layout to llama.cpp's
interleaved-pair RoPE; the llama3 rope scaling goes in as the rope_freqs tensor (per-frequency divisors, as
computed by dense_ref.inv_freq). Qwen2 uses llama.cpp's half-split (NEOX) RoPE directly. The vocabulary is
256 byte tokens (token ids are fed directly, text never matters).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as stio  # noqa: E402
import dense_ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))


def hf_to_interleaved_rows(x, n_heads):
    """Rows of each head reordered from [first half; second half] to pairs (i, i + D/2) adjacent."""
    return x.reshape(n_heads, 2, x.shape[0] // n_heads // 2, *x.shape[1:]).swapaxes(1, 2).reshape(x.shape)


def write_gguf(gguf, src, dst):
    cfg = json.load(open(os.path.join(src, "config.json")))
    c = dense_ref.DenseConfig(cfg)
    w = {k: v.float().numpy() for k, v in stio.load_model_folder(src).items()}
    arch = "qwen2" if c.model_type == "qwen2" else "llama"
    g = gguf.GGUFWriter(dst, arch)
    g.add_context_length(cfg["max_position_embeddings"])
    g.add_embedding_length(c.dim)
    g.add_block_count(c.n_layers)
    g.add_feed_forward_length(c.inter_dim)
    g.add_head_count(c.n_heads)
    g.add_head_count_kv(c.n_kv_heads)
    g.add_rope_freq_base(c.rope_theta)
    g.add_layer_norm_rms_eps(c.rms_norm_eps)
    g.add_file_type(0)
    if arch == "llama":
        g.add_rope_dimension_count(c.head_dim)
    g.add_tokenizer_model("llama")
    g.add_token_list([f"<0x{i:02X}>".encode() for i in range(c.vocab_size)])
    g.add_token_scores([0.0] * c.vocab_size)
    g.add_token_types([6] * c.vocab_size)  # byte tokens
    g.add_tensor("token_embd.weight", w["model.embed_tokens.weight"])
    for i in range(c.n_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        g.add_tensor(b + "attn_norm.weight", w[p + "input_layernorm.weight"])
        for hf, gg, n in (("q_proj", "attn_q", c.n_heads), ("k_proj", "attn_k", c.n_kv_heads), ("v_proj", "attn_v", 0)):
            W = w[p + "self_attn." + hf + ".weight"]
            B = w.get(p + "self_attn." + hf + ".bias")
            if arch == "llama" and n:
                W = hf_to_interleaved_rows(W, n)
                B = hf_to_interleaved_rows(B, n) if B is not None else None
            g.add_tensor(b + gg + ".weight", W)
            if c.qkv_bias:
                g.add_tensor(b + gg + ".bias", B)
        g.add_tensor(b + "attn_output.weight", w[p + "self_attn.o_proj.weight"])
        g.add_tensor(b + "ffn_norm.weight", w[p + "post_attention_layernorm.weight"])
        for hf, gg in (("gate_proj", "ffn_gate"), ("up_proj", "ffn_up"), ("down_proj", "ffn_down")):
            g.add_tensor(b + gg + ".weight", w[p + "mlp." + hf + ".weight"])
    g.add_tensor("output_norm.weight", w["model.norm.weight"])
    if not c.tie_word_embeddings:
        g.add_tensor("output.weight", w["lm_head.weight"])
    if arch == "llama" and c.rope_scaling:
        base = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float64) / c.head_dim))
        g.add_tensor("rope_freqs.weight", (base / dense_ref.inv_freq(c)).float().numpy())
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()


def write_gguf_deepseek(gguf, src, dst):
    sys.path.insert(0, HERE)
    import deepseek_ref as dsr
    cfg = json.load(open(os.path.join(src, "config.json")))
    c = dsr.DeepSeekConfig(cfg)
    w = {k: v.float().numpy() for k, v in dsr.load_weights(src, torch.float64, cfg).items()}
    g = gguf.GGUFWriter(dst, "deepseek2")
    g.add_context_length(cfg["max_position_embeddings"])
    g.add_embedding_length(c.dim)
    g.add_block_count(c.n_layers)
    g.add_feed_forward_length(c.inter_dim)
    g.add_head_count(c.n_heads)
    g.add_head_count_kv(1)
    g.add_rope_freq_base(c.rope_theta)
    g.add_layer_norm_rms_eps(c.rms_norm_eps)
    g.add_file_type(0)
    g.add_leading_dense_block_count(c.n_dense_layers)
    g.add_vocab_size(c.vocab_size)
    g.add_q_lora_rank(c.q_lora_rank)
    g.add_kv_lora_rank(c.kv_lora_rank)
    g.add_key_length(c.kv_lora_rank + c.qk_rope_head_dim)
    g.add_value_length(c.kv_lora_rank)
    g.add_key_length_mla(c.qk_head_dim)
    g.add_value_length_mla(c.v_head_dim)
    g.add_expert_feed_forward_length(c.moe_inter_dim)
    g.add_expert_count(c.n_routed_experts)
    g.add_expert_used_count(c.n_activated_experts)
    g.add_expert_shared_count(c.n_shared_experts)
    g.add_expert_weights_scale(c.route_scale)
    if c.norm_topk_prob:
        g.add_expert_weights_norm(True)
    g.add_expert_gating_func(gguf.ExpertGatingFuncType.SIGMOID if c.score_func == "sigmoid"
                             else gguf.ExpertGatingFuncType.SOFTMAX)
    if c.topk_method == "group_limited_greedy" and c.n_group > 1:
        raise ValueError("llama.cpp has no max-score group ranking")
    if c.topk_method == "noaux_tc" and c.n_group > 1:
        g.add_expert_group_count(c.n_group)
        g.add_expert_group_used_count(c.topk_group)
    g.add_rope_dimension_count(c.qk_rope_head_dim)
    if cfg.get("rope_scaling"):
        rs = cfg["rope_scaling"]
        g.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        g.add_rope_scaling_factor(float(rs["factor"]))
        g.add_rope_scaling_orig_ctx_len(int(rs["original_max_position_embeddings"]))
        g.add_rope_scaling_yarn_log_mul(0.1 * float(rs.get("mscale_all_dim", 0.0)))
        g.add_rope_scaling_yarn_beta_fast(float(rs.get("beta_fast", 32)))
        g.add_rope_scaling_yarn_beta_slow(float(rs.get("beta_slow", 1)))
    g.add_tokenizer_model("llama")
    g.add_token_list([f"<0x{i:02X}>".encode() for i in range(c.vocab_size)])
    g.add_token_scores([0.0] * c.vocab_size)
    g.add_token_types([6] * c.vocab_size)
    g.add_tensor("token_embd.weight", w["model.embed_tokens.weight"])
    H, dn, dv = c.n_heads, c.qk_nope_head_dim, c.v_head_dim
    for i in range(c.n_layers):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        a = p + "self_attn."
        g.add_tensor(b + "attn_norm.weight", w[p + "input_layernorm.weight"])
        if c.q_lora_rank:
            g.add_tensor(b + "attn_q_a.weight", w[a + "q_a_proj.weight"])
            g.add_tensor(b + "attn_q_a_norm.weight", w[a + "q_a_layernorm.weight"])
            g.add_tensor(b + "attn_q_b.weight", w[a + "q_b_proj.weight"])
        else:
            g.add_tensor(b + "attn_q.weight", w[a + "q_proj.weight"])
        g.add_tensor(b + "attn_kv_a_mqa.weight", w[a + "kv_a_proj_with_mqa.weight"])
        g.add_tensor(b + "attn_kv_a_norm.weight", w[a + "kv_a_layernorm.weight"])
        kvb = w[a + "kv_b_proj.weight"].reshape(H, dn + dv, c.kv_lora_rank)
        g.add_tensor(b + "attn_k_b.weight", np.ascontiguousarray(kvb[:, :dn].transpose(0, 2, 1)))
        g.add_tensor(b + "attn_v_b.weight", np.ascontiguousarray(kvb[:, dn:]))
        g.add_tensor(b + "attn_output.weight", w[a + "o_proj.weight"])
        g.add_tensor(b + "ffn_norm.weight", w[p + "post_attention_layernorm.weight"])
        m = p + "mlp."
        if not c.is_moe_layer(i):
            for hf, gg in (("gate_proj", "ffn_gate"), ("up_proj", "ffn_up"), ("down_proj", "ffn_down")):
                g.add_tensor(b + gg + ".weight", w[m + hf + ".weight"])
            continue
        g.add_tensor(b + "ffn_gate_inp.weight", w[m + "gate.weight"])
        if c.topk_method == "noaux_tc":
            g.add_tensor(b + "exp_probs_b.bias", w[m + "gate.e_score_correction_bias"])
        for hf, gg in (("gate_proj", "ffn_gate_exps"), ("up_proj", "ffn_up_exps"), ("down_proj", "ffn_down_exps")):
            g.add_tensor(b + gg + ".weight",
                         np.stack([w[m + f"experts.{e}.{hf}.weight"] for e in range(c.n_routed_experts)]))
        for hf, gg in (("gate_proj", "ffn_gate_shexp"), ("up_proj", "ffn_up_shexp"), ("down_proj", "ffn_down_shexp")):
            g.add_tensor(b + gg + ".weight", w[m + "shared_experts." + hf + ".weight"])
    g.add_tensor("output_norm.weight", w["model.norm.weight"])
    if not c.tie_word_embeddings:
        g.add_tensor("output.weight", w["lm_head.weight"])
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-dir", required=True, help="folder whose node_modules holds node-llama-cpp")
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--shared", default=os.environ.get("SEEK_SHARED", "/work/shared"))
    ap.add_argument("--names", nargs="*", default=["qwen2-tiny", "qwen2-tiny-tied", "llama-tiny", "deepseek-v3-tiny",
                                                    "v2-lite-like", "fp8-ragged", "no-yarn", "v3-mtp"])
    ap.add_argument("--tol", type=float, default=2e-5)
    a = ap.parse_args()
    nm = os.path.join(os.path.abspath(a.llama_dir), "node_modules")
    bundle = os.path.join(nm, "node-llama-cpp", "llama", "gitRelease.bundle")
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "llama.cpp")
        subprocess.run(["git", "clone", "-q", bundle, src], check=True, stderr=subprocess.DEVNULL)
        sys.path.insert(0, os.path.join(src, "gguf-py"))
        import gguf
        for n in a.names:
            d = os.path.join(a.fixtures, n)
            if n == "deepseek-v3-tiny":
                d = os.path.join(a.shared, "fixtures", n)
            out_gguf = os.path.join(tmp, n + ".gguf")
            out_json = os.path.join(tmp, n + ".json")
            mt = json.load(open(os.path.join(d, "config.json")))["model_type"]
            (write_gguf if mt in ("qwen2", "llama") else write_gguf_deepseek)(gguf, d, out_gguf)
            subprocess.run(["node", os.path.join(HERE, "crosscheck_llamacpp.mjs"), out_gguf,
                            os.path.join(d, "expected.json"), out_json], check=True,
                           env=dict(os.environ, LLAMA_NODE_MODULES=nm), stderr=subprocess.DEVNULL)
            got = np.array(json.load(open(out_json)), dtype=np.float64)
            exp = json.load(open(os.path.join(d, "expected.json")))
            ref = np.fromfile(os.path.join(d, "expected_logits.f32"), dtype="<f4").reshape(exp["shape"])
            err = np.abs(got - ref).max()
            agree = (got.argmax(1) == ref.argmax(1)).mean()
            ok = err < a.tol and agree == 1.0
            fails += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {n:16s} llama.cpp vs expected: max|diff| {err:.2e}, argmax agree {agree:.0%}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
