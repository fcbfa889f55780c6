"""Creates the tiny random-weight checkpoints and expected logits under tests/fixtures/<name>/.

    /usr/bin/python3 tools/reference/make_fixtures.py [--out tests/fixtures] [--only NAME ...]

Each fixture folder holds config.json, model.safetensors (or shards + model.safetensors.index.json),
expected_logits.f32 (float32 little-endian, row-major [T x vocab], row i = logits after token i,
prefill from position 0) and expected.json {tokens, shape, notes, diagnostics}.

Expected logits are computed in float64 by deepseek_ref.py / dense_ref.py from the tensors exactly as
stored (BF16 values, FP8 codes times scales), so only the stored bits matter. Deterministic: every
fixture uses its own fixed seed, and the written bytes do not depend on the order fixtures are built in.
"""

import argparse
import json
import math
import os
import re
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as stio  # noqa: E402
from deepseek_ref import DeepSeekRef, DeepSeekConfig  # noqa: E402
from dense_ref import DenseRef  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))


# ----------------------------------------------------------------------------------------------
# Random tensors
# ----------------------------------------------------------------------------------------------


class Gen:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.g, dtype=torch.float32)

    def linear(self, out_dim, in_dim, gain=1.0):
        """~ N(0, gain^2/in_dim): keeps activations O(1) through the block."""
        return (self.randn(out_dim, in_dim) * (gain / math.sqrt(in_dim))).to(torch.bfloat16)

    def norm(self, n):
        return (1.0 + 0.1 * self.randn(n)).to(torch.bfloat16)

    def embed(self, vocab, dim, tied=False):
        # Untied: std 1 (only the RMSNorm-ed stream matters downstream). Tied: the embedding is also the
        # head, so use std 2/sqrt(dim) to keep logits O(1).
        std = 2.0 / math.sqrt(dim) if tied else 1.0
        return (self.randn(vocab, dim) * std).to(torch.bfloat16)

    def bias(self, n, std):
        return (self.randn(n) * std).to(torch.bfloat16)

    def tokens(self, vocab, n):
        """n tokens: 0 first, vocab-1, 1 and a repeated run inside, the rest random."""
        r = torch.randint(2, vocab - 1, (n,), generator=self.g).tolist()
        r[0] = 0
        r[3] = vocab - 1
        r[4] = vocab - 1
        r[7] = 1
        r[10] = r[11] = r[12] = r[9]
        r[n - 3] = r[2]  # a token seen before, far away
        return [int(t) for t in r]


# ----------------------------------------------------------------------------------------------
# FP8 block quantization
# ----------------------------------------------------------------------------------------------


def quantize_fp8_blocks(w, block=(128, 128)):
    """w float [out,in] -> (e4m3 codes uint8 [out,in], scale_inv f32 [ceil(out/bo), ceil(in/bi)]).

    Per block: scale = amax(|w|)/448 (float32); codes = e4m3(w / scale) (round to nearest even,
    saturating). Dequantization is codes * scale_inv with scale_inv = scale. Ragged edge blocks use
    only their real elements (same as zero padding for the amax).
    """
    w = w.to(torch.float64)
    out_dim, in_dim = w.shape
    bo, bi = block
    nbo, nbi = math.ceil(out_dim / bo), math.ceil(in_dim / bi)
    scale = torch.zeros(nbo, nbi, dtype=torch.float32)
    codes = torch.zeros(out_dim, in_dim, dtype=torch.uint8)
    for a in range(nbo):
        for b in range(nbi):
            blk = w[a * bo:(a + 1) * bo, b * bi:(b + 1) * bi]
            amax = float(blk.abs().max())
            s = torch.tensor(amax / 448.0 if amax > 0 else 1.0, dtype=torch.float32)
            scale[a, b] = s
            codes[a * bo:(a + 1) * bo, b * bi:(b + 1) * bi] = stio.e4m3_encode(blk / float(s))
    return codes, scale


# ----------------------------------------------------------------------------------------------
# DeepSeek checkpoints
# ----------------------------------------------------------------------------------------------


def deepseek_tensors(cfg, g, bias_std=0.05, bias_offset=0.0):
    """Random HF-layout tensors for a deepseek_v2/v3 config (BF16; gate bias F32).

    Layers 0..num_hidden_layers-1 are the main model; num_nextn_predict_layers extra MTP layers follow.
    """
    c = DeepSeekConfig(cfg)
    t = {}
    t["model.embed_tokens.weight"] = g.embed(c.vocab_size, c.dim, c.tie_word_embeddings)
    n_mtp = c.num_nextn_predict_layers
    for i in range(c.n_layers + n_mtp):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = g.norm(c.dim)
        t[p + "post_attention_layernorm.weight"] = g.norm(c.dim)
        a = p + "self_attn."
        qk = c.qk_head_dim
        if c.q_lora_rank:
            t[a + "q_a_proj.weight"] = g.linear(c.q_lora_rank, c.dim)
            t[a + "q_a_layernorm.weight"] = g.norm(c.q_lora_rank)
            t[a + "q_b_proj.weight"] = g.linear(c.n_heads * qk, c.q_lora_rank)
        else:
            t[a + "q_proj.weight"] = g.linear(c.n_heads * qk, c.dim)
        t[a + "kv_a_proj_with_mqa.weight"] = g.linear(c.kv_lora_rank + c.qk_rope_head_dim, c.dim)
        t[a + "kv_a_layernorm.weight"] = g.norm(c.kv_lora_rank)
        t[a + "kv_b_proj.weight"] = g.linear(c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank)
        t[a + "o_proj.weight"] = g.linear(c.dim, c.n_heads * c.v_head_dim)
        m = p + "mlp."
        moe = c.is_moe_layer(i) if i < c.n_layers else True  # MTP block is an MoE block (as in V3)
        if not moe:
            t[m + "gate_proj.weight"] = g.linear(c.inter_dim, c.dim)
            t[m + "up_proj.weight"] = g.linear(c.inter_dim, c.dim)
            t[m + "down_proj.weight"] = g.linear(c.dim, c.inter_dim)
        else:
            t[m + "gate.weight"] = g.linear(c.n_routed_experts, c.dim)
            if c.topk_method == "noaux_tc":
                t[m + "gate.e_score_correction_bias"] = (g.randn(c.n_routed_experts) * bias_std + bias_offset).float()
            for e in range(c.n_routed_experts):
                q = m + f"experts.{e}."
                t[q + "gate_proj.weight"] = g.linear(c.moe_inter_dim, c.dim)
                t[q + "up_proj.weight"] = g.linear(c.moe_inter_dim, c.dim)
                t[q + "down_proj.weight"] = g.linear(c.dim, c.moe_inter_dim)
            if c.n_shared_experts:
                si = c.n_shared_experts * c.moe_inter_dim
                q = m + "shared_experts."
                t[q + "gate_proj.weight"] = g.linear(si, c.dim)
                t[q + "up_proj.weight"] = g.linear(si, c.dim)
                t[q + "down_proj.weight"] = g.linear(c.dim, si)
        if i >= c.n_layers:  # MTP module extras; embed/head are copies of the main ones
            t[p + "enorm.weight"] = g.norm(c.dim)
            t[p + "hnorm.weight"] = g.norm(c.dim)
            t[p + "eh_proj.weight"] = g.linear(c.dim, 2 * c.dim)
            t[p + "shared_head.norm.weight"] = g.norm(c.dim)
    t["model.norm.weight"] = g.norm(c.dim)
    if not c.tie_word_embeddings:
        t["lm_head.weight"] = g.linear(c.vocab_size, c.dim)
    for i in range(c.n_layers, c.n_layers + n_mtp):
        p = f"model.layers.{i}."
        t[p + "embed_tokens.weight"] = t["model.embed_tokens.weight"].clone()
        t[p + "shared_head.head.weight"] = (t["model.embed_tokens.weight"] if c.tie_word_embeddings
                                            else t["lm_head.weight"]).clone()
    return t


FP8_NAME_PARTS = ("q_a_proj", "q_b_proj", "q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj",
                  "up_proj", "down_proj")


def fp8_quantize_checkpoint(t, block):
    """Every attention/MLP/expert Linear weight -> F8_E4M3 + <name>_scale_inv (F32). Norms, router gate,
    embedding, head, eh_proj stay as they are."""
    out = {}
    for name, w in t.items():
        parts = name.split(".")
        if name.endswith(".weight") and parts[-2] in FP8_NAME_PARTS:
            codes, s = quantize_fp8_blocks(w.float(), block)
            out[name] = stio.F8Codes(codes)
            out[name + "_scale_inv"] = s
        else:
            out[name] = w
    return out


def base_v3_config(**kw):
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "num_hidden_layers": 3,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "n_routed_experts": 16,
        "n_shared_experts": 1,
        "num_experts_per_tok": 4,
        "n_group": 4,
        "topk_group": 2,
        "scoring_func": "sigmoid",
        "routed_scaling_factor": 2.5,
        "topk_method": "noaux_tc",
        "norm_topk_prob": True,
        "q_lora_rank": 32,
        "kv_lora_rank": 32,
        "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8,
        "v_head_dim": 16,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "max_position_embeddings": 256,
        "tie_word_embeddings": False,
        "num_nextn_predict_layers": 0,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "hidden_act": "silu",
        "attention_bias": False,
        "torch_dtype": "bfloat16",
        "rope_scaling": {
            "type": "yarn",
            "factor": 4,
            "original_max_position_embeddings": 64,
            "beta_fast": 32,
            "beta_slow": 1,
            "mscale": 1.0,
            "mscale_all_dim": 1.0,
        },
    }
    cfg.update(kw)
    return cfg


def v2_config(**kw):
    cfg = base_v3_config()
    cfg.update({"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "scoring_func": "softmax",
                "norm_topk_prob": False})
    cfg.update(kw)
    return cfg


FIXTURES = {}


def fixture(name):
    def deco(fn):
        FIXTURES[name] = fn
        return fn
    return deco


@fixture("v2-lite-like")
def fx_v2_lite_like():
    cfg = v2_config(
        q_lora_rank=None, n_group=1, topk_group=1, topk_method="greedy", n_routed_experts=16, n_shared_experts=2,
        num_experts_per_tok=6, routed_scaling_factor=1.5, qk_rope_head_dim=16, max_position_embeddings=32768,
        rope_scaling={"type": "yarn", "factor": 8, "original_max_position_embeddings": 4096, "beta_fast": 32,
                      "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707})
    notes = ("deepseek_v2 semantics as in DeepSeek-V2-Lite: plain q_proj (q_lora_rank null), softmax scoring, "
             "topk_method greedy over all 16 experts (n_group 1), no e_score_correction_bias, norm_topk_prob false "
             "(weights = softmax probabilities of the chosen 6, not renormalized) times routed_scaling_factor 1.5, "
             "2 shared experts. YaRN: rope dim 16 (8 frequencies), factor 8, original 4096 < max_position_embeddings "
             "32768 so YaRN applies: correction range low=2 high=6 (i<=2 unchanged, i>=6 divided by 8); "
             "softmax_scale = 32^-0.5 * (0.1*0.707*ln 8 + 1)^2 (mscale_all_dim). mscale == mscale_all_dim so no "
             "factor on cos/sin.")
    return cfg, 101, notes, None


@fixture("v2-grouped")
def fx_v2_grouped():
    cfg = v2_config(
        q_lora_rank=32, n_group=4, topk_group=2, topk_method="group_limited_greedy", n_routed_experts=16,
        n_shared_experts=2, num_experts_per_tok=4, routed_scaling_factor=16.0, max_position_embeddings=128,
        rope_scaling={"type": "yarn", "factor": 4, "original_max_position_embeddings": 32, "beta_fast": 32,
                      "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707})
    notes = ("deepseek_v2 semantics as in DeepSeek-V2 (236B): q_lora_rank 32, softmax scoring, topk_method "
             "group_limited_greedy: 16 experts in 4 groups of 4, group score = MAX softmax score in the group (no "
             "bias), keep the top-2 groups, top-4 experts among them; weights = softmax probabilities (no "
             "renormalization) times routed_scaling_factor 16. YaRN factor 4 over original 32 "
             "(max_position_embeddings 128), rope dim 8, mscale_all_dim 0.707. Stored as 3 shards + index.")
    return cfg, 202, notes, {"n_shards": 3}


@fixture("fp8-ragged")
def fx_fp8_ragged():
    cfg = base_v3_config(
        hidden_size=200, intermediate_size=300, moe_intermediate_size=72, num_hidden_layers=2, first_k_dense_replace=1,
        num_attention_heads=3, num_key_value_heads=3, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2,
        n_group=1, topk_group=1, q_lora_rank=136, kv_lora_rank=136, qk_nope_head_dim=32, qk_rope_head_dim=16,
        v_head_dim=32, max_position_embeddings=163840,
        rope_scaling={"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096, "beta_fast": 32,
                      "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
        quantization_config={"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                             "weight_block_size": [128, 128]})
    notes = ("deepseek_v3 with FP8 E4M3 block-quantized Linear weights (q_a/q_b/kv_a/kv_b/o_proj, dense MLP, "
             "experts, shared expert): F8_E4M3 codes + F32 <name>_scale_inv [ceil(out/128), ceil(in/128)], "
             "dequantized W[i,j] = e4m3(code[i,j]) * scale_inv[i//128, j//128]. Dims are not multiples of 128: "
             "hidden 200 (blocks 128+72), intermediate 300 (128+128+44), q_lora/kv_lora 136 (128+8), kv_a out 152, "
             "q_b out 144, kv_b out 192, o_proj in 96, expert inter 72. Quantized per block with scale = "
             "amax/448, codes round-to-nearest-even. Norms, router gate, embedding and lm_head are BF16, gate bias "
             "F32. YaRN as the 671B config (factor 40, original 4096, rope dim 16 -> low 2 high 6). 4 routed "
             "experts top-2 (no groups), sigmoid + bias, renormalized, x2.5, 1 shared. Expected logits use the "
             "exact float64 product code*scale (not rounded to bf16); see diagnostics for the bf16-dequant gap. "
             "Stored as 2 shards + index.")
    return cfg, 303, notes, {"n_shards": 2, "fp8": True}


@fixture("no-yarn")
def fx_no_yarn():
    cfg = base_v3_config(
        n_routed_experts=32, n_group=8, topk_group=3, num_experts_per_tok=6, n_shared_experts=1,
        moe_intermediate_size=16,
        max_position_embeddings=16384, tie_word_embeddings=True, rope_theta=50000.0)
    del cfg["rope_scaling"]
    notes = ("deepseek_v3 WITHOUT rope_scaling: plain interleaved RoPE with rope_theta 50000, softmax_scale = "
             "24^-0.5 exactly (the official ModelArgs YaRN defaults must NOT be applied to an HF config without "
             "rope_scaling, even though max_position_embeddings 16384 > 4096). Routing: sigmoid + "
             "e_score_correction_bias (selection only), 32 experts in 8 groups of 4, group score = sum of the top-2 "
             "biased scores, keep 3 groups, top-6 experts, weights = unbiased sigmoid scores renormalized to sum 1 "
             "times 2.5, 1 shared expert. The biases are offset by -0.7 (N(-0.7, 0.05^2)), so many biased "
             "scores are negative: a constant offset changes nothing in the official algorithm (groups and "
             "experts are ranked by differences) but masking non-selected groups with 0.0 instead of -inf (HF, or "
             "the official code before 2025-02-14) picks masked experts and changes the logits (see diagnostics). "
             "tie_word_embeddings true: no lm_head.weight; logits use model.embed_tokens.weight.")
    return cfg, 404, notes, {"bias_offset": -0.7}


@fixture("v3-mtp")
def fx_v3_mtp():
    cfg = base_v3_config(num_nextn_predict_layers=1)
    notes = ("Same architecture as the official deepseek-v3-tiny fixture (3 layers, sigmoid + bias, 4 groups top-2, "
             "top-4 experts, x2.5, YaRN factor 4 over 64) plus num_nextn_predict_layers 1: the tensors of MTP "
             "layer model.layers.3.* are present (enorm, hnorm, eh_proj [64x128], shared_head.norm, "
             "shared_head.head, embed_tokens, and a full MLA + MoE block). The expected logits are the MAIN model's "
             "only; the MTP layer must be loaded or skipped without affecting them. Stored as 2 shards + index.")
    return cfg, 505, notes, {"n_shards": 2}


def dense_config(model_type, **kw):
    cfg = {
        "architectures": ["Qwen2ForCausalLM" if model_type == "qwen2" else "LlamaForCausalLM"],
        "model_type": model_type,
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "max_position_embeddings": 4096,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "torch_dtype": "bfloat16",
    }
    if model_type == "qwen2":
        cfg.update({"use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 2,
                    "attention_dropout": 0.0})
    else:
        cfg.update({"attention_bias": False, "mlp_bias": False, "head_dim": 16, "pretraining_tp": 1})
    cfg.update(kw)
    return cfg


def dense_tensors(cfg, g, qkv_bias_std=0.2):
    vocab, dim, inter = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or dim // H
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    t = {"model.embed_tokens.weight": g.embed(vocab, dim, cfg["tie_word_embeddings"])}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = g.norm(dim)
        t[p + "post_attention_layernorm.weight"] = g.norm(dim)
        a = p + "self_attn."
        t[a + "q_proj.weight"] = g.linear(H * D, dim)
        t[a + "k_proj.weight"] = g.linear(KV * D, dim)
        t[a + "v_proj.weight"] = g.linear(KV * D, dim)
        t[a + "o_proj.weight"] = g.linear(dim, H * D)
        if bias:
            t[a + "q_proj.bias"] = g.bias(H * D, qkv_bias_std)
            t[a + "k_proj.bias"] = g.bias(KV * D, qkv_bias_std)
            t[a + "v_proj.bias"] = g.bias(KV * D, qkv_bias_std)
        m = p + "mlp."
        t[m + "gate_proj.weight"] = g.linear(inter, dim)
        t[m + "up_proj.weight"] = g.linear(inter, dim)
        t[m + "down_proj.weight"] = g.linear(dim, inter)
    t["model.norm.weight"] = g.norm(dim)
    if not cfg["tie_word_embeddings"]:
        t["lm_head.weight"] = g.linear(vocab, dim)
    return t


@fixture("qwen2-tiny")
def fx_qwen2():
    cfg = dense_config("qwen2", rope_theta=1000000.0)
    notes = ("Qwen2ForCausalLM, untied: GQA 4 query heads / 2 KV heads (head_dim 16; query head h uses KV head "
             "h//2), q/k/v_proj with bias, o_proj without, half-split (rotate_half) RoPE with rope_theta 1e6, "
             "RMSNorm eps 1e-6, SwiGLU MLP, separate lm_head.weight.")
    return cfg, 606, notes, {"dense": True}


@fixture("qwen2-tiny-tied")
def fx_qwen2_tied():
    cfg = dense_config("qwen2", tie_word_embeddings=True, num_hidden_layers=3)
    notes = ("Qwen2ForCausalLM, tied (tie_word_embeddings true, no lm_head.weight in the file: logits use "
             "model.embed_tokens.weight): 3 layers, GQA 4/2, q/k/v bias, rotate_half RoPE with rope_theta 10000.")
    return cfg, 707, notes, {"dense": True}


@fixture("llama-tiny")
def fx_llama():
    cfg = dense_config("llama", rms_norm_eps=1e-05, max_position_embeddings=512,
                       rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    notes = ("LlamaForCausalLM: GQA 4/2 heads (head_dim 16 given explicitly), no biases, rotate_half RoPE with "
             "rope_theta 10000 and rope_scaling llama3 (factor 8, low_freq_factor 1, high_freq_factor 4, "
             "original_max_position_embeddings 64). Wavelengths 2*pi/inv_freq of the 8 frequencies: 6.3 (< 16: "
             "unchanged), 19.9 and 62.8 (between 16 and 64: smoothly interpolated), 199 and up (> 64: divided by "
             "8). RMSNorm eps 1e-5, untied lm_head.")
    return cfg, 808, notes, {"dense": True}


# ----------------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------------


def sig(x):
    """Round a diagnostic to 3 significant digits (stable JSON across BLAS builds)."""
    x = float(x)
    return 0.0 if x == 0 else float(f"{x:.3g}")


def compact_json(obj):
    """Indented JSON with lists of numbers kept on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[[\s\d.,eE+-]*\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(0)[1:-1].split(",")
                                                               if x.strip()) + "]", text)


def write_logits(path, logits):
    a = logits.to(torch.float32).numpy().astype("<f4")
    a.tofile(path)


def build(name, out_root):
    cfg, seed, notes, opts = FIXTURES[name]()
    opts = opts or {}
    g = Gen(seed)
    folder = os.path.join(out_root, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    dense = opts.get("dense", False)
    tensors = dense_tensors(cfg, g) if dense else deepseek_tensors(cfg, g, bias_offset=opts.get("bias_offset", 0.0))
    tokens = g.tokens(cfg["vocab_size"], 28 if not dense else 26)
    if opts.get("fp8"):
        tensors = fp8_quantize_checkpoint(tensors, tuple(cfg["quantization_config"]["weight_block_size"]))
    stio.save_model_folder(tensors, folder, n_shards=opts.get("n_shards"))

    diag = {}
    if dense:
        m = DenseRef(folder, torch.float64)
        logits = m.forward(tokens)
        diag["prefill_vs_incremental_maxdiff"] = sig((logits - m.forward_incremental(tokens)).abs().max())
        l32 = DenseRef(folder, torch.float32).forward(tokens).double()
        diag["float32_vs_float64_maxdiff"] = sig((logits - l32).abs().max())
    else:
        m = DeepSeekRef(folder, torch.float64)
        logits = m.forward(tokens, "absorb")
        naive = m.forward(tokens, "naive")
        diag["naive_vs_absorb_maxdiff"] = sig((logits - naive).abs().max())
        diag["prefill_vs_incremental_maxdiff"] = sig((logits - m.forward_incremental(tokens, "absorb")).abs().max())
        diag["naive_incremental_vs_absorb_prefill_maxdiff"] = sig(
            (logits - m.forward_incremental(tokens, "naive")).abs().max())
        m32 = DeepSeekRef(folder, torch.float32)
        l32 = m32.forward(tokens, "absorb").double()
        diag["float32_vs_float64_maxdiff"] = sig((logits - l32).abs().max())
        diag["float32_argmax_agrees"] = bool((l32.argmax(-1) == logits.argmax(-1)).all())
        c = m.c
        diag["softmax_scale"] = c.softmax_scale
        diag["yarn_applied"] = c.yarn
        # routing non-triviality: selections per MoE layer, and how bias / groups change them
        tr = m.routing_trace(tokens)
        rstats = {}
        for layer, (w, idx) in tr.items():
            used = sorted(set(idx.flatten().tolist()))
            rstats[str(layer)] = {"experts_used": len(used), "weight_sum_mean": sig(w.sum(-1).mean())}
        diag["routing"] = rstats
        if c.topk_method == "noaux_tc":
            bnames = [k for k in m.w if k.endswith("e_score_correction_bias")]
            saved = {k: m.w[k] for k in bnames}
            for k in bnames:
                m.w[k] = torch.zeros_like(saved[k])
            alt = m.forward(tokens)
            m.w.update(saved)
            diag["zero_bias_changes_logits_by"] = sig((alt - logits).abs().max())
        if c.n_group > 1 and c.topk_method != "greedy":
            saved = c.n_group
            m.c.n_group = 1
            alt = m.forward(tokens)
            m.c.n_group = saved
            diag["ignoring_groups_changes_logits_by"] = sig((alt - logits).abs().max())
            m.group_mask = "zero"
            diag["zero_instead_of_neg_inf_group_mask_maxdiff"] = sig((m.forward(tokens) - logits).abs().max())
            m.group_mask = "-inf"
        if opts.get("fp8"):
            mb = DeepSeekRef(folder, torch.float64, round_dequant_to_bf16=True)
            lb = mb.forward(tokens)
            diag["dequant_rounded_to_bf16_maxdiff"] = sig((lb - logits).abs().max())
            diag["dequant_rounded_to_bf16_argmax_agrees"] = bool((lb.argmax(-1) == logits.argmax(-1)).all())
    diag["logits_std"] = sig(logits.std())
    diag["logits_row_std_min"] = sig(logits.std(-1).min())
    diag["distinct_argmax"] = len(set(logits.argmax(-1).tolist()))
    top2 = logits.topk(2, dim=-1).values
    gaps = top2[:, 0] - top2[:, 1]
    diag["min_top1_top2_gap"] = sig(gaps.min())

    write_logits(os.path.join(folder, "expected_logits.f32"), logits)
    tt = torch.tensor(tokens)
    loss = float(f"{torch.nn.functional.cross_entropy(logits[:-1], tt[1:]).item():.10g}")
    exp = {
        "tokens": tokens,
        "shape": [len(tokens), cfg["vocab_size"]],
        "loss": loss,
        "prefill_vs_incremental_maxdiff": diag.pop("prefill_vs_incremental_maxdiff"),
        **({} if dense else {"attn_impl": "absorb",
                             "naive_vs_absorb_maxdiff": diag.pop("naive_vs_absorb_maxdiff")}),
        "compute": "float64 reference (tools/reference/deepseek_ref.py), prefill from position 0, causal mask; "
                   "MLA in the absorbed form" if not dense else "float64 reference (tools/reference/dense_ref.py)",
        "notes": notes,
        "loss_definition": "mean over i < T-1 of cross-entropy(logits[i], tokens[i+1]) (natural log)",
        "argmax": logits.argmax(-1).tolist(),
        "top1_top2_gap": [sig(x) for x in gaps],
        "diagnostics": diag,
    }
    with open(os.path.join(folder, "expected.json"), "w") as f:
        f.write(compact_json(exp) + "\n")
    size = sum(os.path.getsize(os.path.join(folder, x)) for x in os.listdir(folder))
    return size, diag


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--only", nargs="*", help="build only these fixtures")
    a = ap.parse_args()
    torch.set_num_threads(1)  # deterministic reductions
    names = a.only or list(FIXTURES)
    for n in names:
        if n not in FIXTURES:
            sys.exit(f"unknown fixture {n}; known: {', '.join(FIXTURES)}")
    os.makedirs(a.out, exist_ok=True)
    for n in names:
        size, diag = build(n, a.out)
        print(f"{n:18s} {size / 1024:7.1f} KiB  {json.dumps(diag)}")


if __name__ == "__main__":
    main()
