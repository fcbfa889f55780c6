"""Reference forward pass of the DeepSeek-V3 architecture (also V2 / V2-Lite style configs).

Written from the project spec (spec/deepseek.md section 1, the official reference implementation's
inference/model.py as described there). It reads a Hugging Face model folder (config.json plus
safetensors, sharded or not, BF16/F32/F16 or FP8 E4M3 block-quantized weights) and computes
logits for every position, in float64 (default) or float32.

How HF config.json fields map to the official ModelArgs and what they mean here: see README.md
next to this file and `DeepSeekConfig` below.

Usage:
    /usr/bin/python3 tools/reference/deepseek_ref.py MODEL_DIR 0 17 200 ... [--naive] [--float32]
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as stio  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------


class DeepSeekConfig:
    """Semantics of a HF deepseek_v2 / deepseek_v3 config.json, expressed as official ModelArgs."""

    def __init__(self, cfg):
        self.raw = cfg
        self.model_type = cfg.get("model_type", "deepseek_v3")
        self.vocab_size = cfg["vocab_size"]
        self.dim = cfg["hidden_size"]
        self.inter_dim = cfg["intermediate_size"]
        self.moe_inter_dim = cfg.get("moe_intermediate_size")
        self.n_layers = cfg["num_hidden_layers"]
        self.n_dense_layers = cfg.get("first_k_dense_replace", 0)
        self.moe_layer_freq = cfg.get("moe_layer_freq", 1)
        self.n_heads = cfg["num_attention_heads"]
        self.n_routed_experts = cfg.get("n_routed_experts")
        self.n_shared_experts = cfg.get("n_shared_experts") or 0
        self.n_activated_experts = cfg.get("num_experts_per_tok")
        self.n_group = cfg.get("n_group") or 1
        self.topk_group = cfg.get("topk_group") or 1
        self.score_func = cfg.get("scoring_func", "softmax")
        if self.score_func not in ("softmax", "sigmoid"):
            raise ValueError(f"scoring_func {self.score_func!r}: expected softmax or sigmoid")
        default_method = "noaux_tc" if self.model_type == "deepseek_v3" else "greedy"
        self.topk_method = cfg.get("topk_method") or default_method
        if self.topk_method not in ("greedy", "group_limited_greedy", "noaux_tc"):
            raise ValueError(f"topk_method {self.topk_method!r} not supported")
        # Renormalize the selected weights iff norm_topk_prob (HF semantics). The official code
        # renormalizes iff sigmoid scoring; all shipped configs have norm_topk_prob == (sigmoid).
        self.norm_topk_prob = bool(cfg.get("norm_topk_prob", self.score_func == "sigmoid"))
        self.route_scale = float(cfg.get("routed_scaling_factor", 1.0))
        q_lora = cfg.get("q_lora_rank")
        self.q_lora_rank = int(q_lora) if q_lora else 0  # null/0 -> plain q_proj
        self.kv_lora_rank = cfg["kv_lora_rank"]
        self.qk_nope_head_dim = cfg["qk_nope_head_dim"]
        self.qk_rope_head_dim = cfg["qk_rope_head_dim"]
        self.v_head_dim = cfg["v_head_dim"]
        self.qk_head_dim = self.qk_nope_head_dim + self.qk_rope_head_dim
        self.rms_norm_eps = float(cfg.get("rms_norm_eps", 1e-6))
        self.rope_theta = float(cfg.get("rope_theta", 10000.0))
        self.tie_word_embeddings = bool(cfg.get("tie_word_embeddings", False))
        self.max_position_embeddings = cfg.get("max_position_embeddings", 4096)
        self.num_nextn_predict_layers = cfg.get("num_nextn_predict_layers", 0) or 0
        if cfg.get("hidden_act", "silu") != "silu":
            raise ValueError("hidden_act must be silu")

        # RoPE / YaRN. Official: YaRN (frequency blend + softmax_scale *= m^2) only if
        # max_seq_len > original_seq_len. For HF configs: max_seq_len = max_position_embeddings,
        # original_seq_len = rope_scaling.original_max_position_embeddings, rope_factor =
        # rope_scaling.factor, official mscale = rope_scaling.mscale_all_dim. No rope_scaling at all
        # means plain RoPE (the official ModelArgs YaRN defaults do NOT apply to HF configs).
        rs = cfg.get("rope_scaling")
        self.yarn = False
        self.rope_factor = 1.0
        self.original_seq_len = None
        self.beta_fast = 32
        self.beta_slow = 1
        self.mscale = 0.0  # softmax mscale (official ModelArgs.mscale == HF mscale_all_dim)
        self.cos_sin_mscale = 1.0  # HF-only factor on cos/sin; 1.0 when mscale == mscale_all_dim
        if rs:
            rtype = rs.get("type", rs.get("rope_type"))
            if rtype != "yarn":
                raise ValueError(f"rope_scaling type {rtype!r}: only yarn is supported for DeepSeek")
            self.rope_factor = float(rs["factor"])
            self.original_seq_len = int(rs["original_max_position_embeddings"])
            self.beta_fast = rs.get("beta_fast", 32)
            self.beta_slow = rs.get("beta_slow", 1)
            self.mscale = float(rs.get("mscale_all_dim", 0.0) or 0.0)
            m_attn = float(rs.get("mscale", 1.0) or 0.0)
            self.cos_sin_mscale = _yarn_mscale(self.rope_factor, m_attn) / _yarn_mscale(self.rope_factor, self.mscale)
            self.yarn = self.max_position_embeddings > self.original_seq_len
            if not self.yarn:
                self.cos_sin_mscale = 1.0

        self.softmax_scale = self.qk_head_dim ** -0.5
        if self.yarn and self.mscale:
            m = 0.1 * self.mscale * math.log(self.rope_factor) + 1.0
            self.softmax_scale = self.softmax_scale * m * m

    def is_moe_layer(self, i):
        return (self.n_routed_experts is not None and i >= self.n_dense_layers
                and i % self.moe_layer_freq == 0)


def _yarn_mscale(scale, mscale):
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------


def dequant_fp8(codes, scale_inv, block=(128, 128)):
    """W[i,j] = e4m3(codes[i,j]) * scale_inv[i // bo, j // bi] (float64, exact product)."""
    w = stio.e4m3_decode(codes)
    out_dim, in_dim = w.shape
    bo, bi = block
    so = scale_inv.to(torch.float64)
    if so.shape != (math.ceil(out_dim / bo), math.ceil(in_dim / bi)):
        raise ValueError(f"scale_inv shape {tuple(so.shape)} does not fit weight {tuple(w.shape)}")
    full = so.repeat_interleave(bo, 0)[:out_dim].repeat_interleave(bi, 1)[:, :in_dim]
    return w * full


def load_weights(folder, dtype=torch.float64, cfg=None, round_dequant_to_bf16=False):
    """All tensors of the folder as `dtype`, FP8 weights dequantized (their *_scale_inv dropped)."""
    raw, dts = stio.load_model_folder(folder, with_dtypes=True)
    block = (128, 128)
    if cfg is not None:
        qc = cfg.get("quantization_config") or {}
        if qc.get("weight_block_size"):
            block = tuple(qc["weight_block_size"])
    out = {}
    for name, t in raw.items():
        if name.endswith("_scale_inv"):
            if name[:-len("_scale_inv")] not in raw:
                raise ValueError(f"{name} has no weight")
            continue
        if dts[name] == "F8_E4M3":
            sname = name + "_scale_inv"
            if sname not in raw:
                raise ValueError(f"FP8 tensor {name} has no {sname}")
            w = dequant_fp8(t, raw[sname], block)
            if round_dequant_to_bf16:
                w = w.to(torch.bfloat16).to(torch.float64)
            out[name] = w.to(dtype)
        else:
            out[name] = t.to(dtype)
    return out


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def linear(x, w):
    return x @ w.t()


def yarn_freqs(c, dtype):
    """Per-pair rotation frequencies f'_i, i = 0..rope_dim/2-1 (official precompute_freqs_cis)."""
    dim = c.qk_rope_head_dim
    base = c.rope_theta
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=dtype) / dim))
    if c.yarn:
        def corr_dim(num_rot):
            return dim * math.log(c.original_seq_len / (num_rot * 2 * math.pi)) / (2 * math.log(base))
        low = max(math.floor(corr_dim(c.beta_fast)), 0)
        high = min(math.ceil(corr_dim(c.beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=dtype) - low) / (high - low), 0, 1)
        smooth = 1 - ramp
        freqs = freqs / c.rope_factor * (1 - smooth) + freqs * smooth
    return freqs


def rope_cos_sin(c, positions, dtype):
    f = yarn_freqs(c, dtype)
    ang = positions.to(dtype)[:, None] * f[None, :]
    return torch.cos(ang) * c.cos_sin_mscale, torch.sin(ang) * c.cos_sin_mscale


def apply_rope_interleaved(x, cos, sin):
    """x [..., S, (H,) D]: pairs (x[2i], x[2i+1]) rotated by angle i. cos/sin [S, D/2]."""
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    if x0.dim() == 3:  # [S, H, D/2]: broadcast over heads
        cos, sin = cos[:, None, :], sin[:, None, :]
    o0 = x0 * cos - x1 * sin
    o1 = x0 * sin + x1 * cos
    return torch.stack([o0, o1], dim=-1).flatten(-2)


def swiglu_mlp(x, w1, w2, w3):
    return linear(F.silu(linear(x, w1)) * linear(x, w3), w2)


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------


class DeepSeekRef:
    def __init__(self, folder, dtype=torch.float64, group_mask="-inf", round_dequant_to_bf16=False):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        self.cfg_json = cfg
        self.c = DeepSeekConfig(cfg)
        self.dtype = dtype
        self.group_mask = group_mask  # "-inf" (official since 2025-02) or "zero" (HF); diagnostics only
        self.w = load_weights(folder, dtype, cfg, round_dequant_to_bf16)
        self._check_tensors()

    # -- tensors ---------------------------------------------------------------------------------
    def _t(self, name):
        if name not in self.w:
            raise KeyError(f"missing tensor {name}")
        return self.w[name]

    def _check_tensors(self):
        c = self.c
        self._t("model.embed_tokens.weight")
        self._t("model.norm.weight")
        if not c.tie_word_embeddings:
            self._t("lm_head.weight")
        for i in range(c.n_layers):
            p = f"model.layers.{i}."
            if c.q_lora_rank:
                assert self._t(p + "self_attn.q_a_proj.weight").shape == (c.q_lora_rank, c.dim)
                assert self._t(p + "self_attn.q_b_proj.weight").shape == (c.n_heads * c.qk_head_dim, c.q_lora_rank)
            else:
                assert self._t(p + "self_attn.q_proj.weight").shape == (c.n_heads * c.qk_head_dim, c.dim)
            assert self._t(p + "self_attn.kv_a_proj_with_mqa.weight").shape == (
                c.kv_lora_rank + c.qk_rope_head_dim, c.dim)
            assert self._t(p + "self_attn.kv_b_proj.weight").shape == (
                c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank)
            assert self._t(p + "self_attn.o_proj.weight").shape == (c.dim, c.n_heads * c.v_head_dim)
            if c.is_moe_layer(i):
                assert self._t(p + "mlp.gate.weight").shape == (c.n_routed_experts, c.dim)
                if c.topk_method == "noaux_tc":
                    assert self._t(p + "mlp.gate.e_score_correction_bias").shape == (c.n_routed_experts,)

    # -- attention -------------------------------------------------------------------------------
    def _mla(self, i, x, start_pos, cache, attn_impl):
        """x [S, dim] at positions start_pos..start_pos+S-1; cache dict extended in place."""
        c = self.c
        p = f"model.layers.{i}.self_attn."
        S = x.shape[0]
        H, dn, dr, dv = c.n_heads, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim
        if c.q_lora_rank:
            cq = rms_norm(linear(x, self._t(p + "q_a_proj.weight")), self._t(p + "q_a_layernorm.weight"),
                          c.rms_norm_eps)
            q = linear(cq, self._t(p + "q_b_proj.weight"))
        else:
            q = linear(x, self._t(p + "q_proj.weight"))
        q = q.view(S, H, dn + dr)
        q_nope, q_pe = q[..., :dn], q[..., dn:]
        pos = torch.arange(start_pos, start_pos + S)
        cos, sin = rope_cos_sin(c, pos, self.dtype)
        q_pe = apply_rope_interleaved(q_pe, cos, sin)  # [S,H,dr]
        kv = linear(x, self._t(p + "kv_a_proj_with_mqa.weight"))
        c_kv, k_pe = kv[:, :c.kv_lora_rank], kv[:, c.kv_lora_rank:]
        k_pe = apply_rope_interleaved(k_pe, cos, sin)  # [S,dr], shared by all heads
        c_kv = rms_norm(c_kv, self._t(p + "kv_a_layernorm.weight"), c.rms_norm_eps)
        wkv_b = self._t(p + "kv_b_proj.weight").view(H, dn + dv, c.kv_lora_rank)
        end = start_pos + S
        # causal mask over keys 0..end-1 for queries start_pos..end-1
        qpos = pos[:, None]
        kpos = torch.arange(end)[None, :]
        mask = torch.where(kpos > qpos, float("-inf"), 0.0).to(self.dtype)  # [S, end]
        if attn_impl == "naive":
            kvb = torch.einsum("sc,hdc->shd", c_kv, wkv_b)  # [S,H,dn+dv]
            k_nope, v = kvb[..., :dn], kvb[..., dn:]
            k = torch.cat([k_nope, k_pe[:, None, :].expand(S, H, dr)], dim=-1)
            qf = torch.cat([q_nope, q_pe], dim=-1)
            cache.setdefault("k", []).append(k)
            cache.setdefault("v", []).append(v)
            K = torch.cat(cache["k"], 0)  # [end,H,dqk]
            V = torch.cat(cache["v"], 0)
            scores = torch.einsum("shd,thd->sht", qf, K) * c.softmax_scale
            scores = scores + mask[:, None, :]
            probs = scores.softmax(dim=-1)
            o = torch.einsum("sht,thd->shd", probs, V)
        elif attn_impl == "absorb":
            w_uk = wkv_b[:, :dn]  # [H,dn,c]
            w_uv = wkv_b[:, dn:]  # [H,dv,c]
            q_abs = torch.einsum("shd,hdc->shc", q_nope, w_uk)
            cache.setdefault("kv", []).append(c_kv)
            cache.setdefault("pe", []).append(k_pe)
            KV = torch.cat(cache["kv"], 0)  # [end,c]
            PE = torch.cat(cache["pe"], 0)  # [end,dr]
            scores = (torch.einsum("shc,tc->sht", q_abs, KV) + torch.einsum("shr,tr->sht", q_pe, PE)) * c.softmax_scale
            scores = scores + mask[:, None, :]
            probs = scores.softmax(dim=-1)
            o_lat = torch.einsum("sht,tc->shc", probs, KV)
            o = torch.einsum("shc,hdc->shd", o_lat, w_uv)
        else:
            raise ValueError(attn_impl)
        return linear(o.reshape(S, H * dv), self._t(p + "o_proj.weight"))

    # -- MoE -------------------------------------------------------------------------------------
    def gate(self, i, x):
        """Returns (weights [S,k], indices [S,k]) as in spec 1.6."""
        c = self.c
        p = f"model.layers.{i}.mlp.gate."
        logits = linear(x, self._t(p + "weight"))
        if c.score_func == "softmax":
            scores = logits.softmax(dim=-1)
        else:
            scores = logits.sigmoid()
        original = scores
        use_bias = c.topk_method == "noaux_tc"
        sel = scores + self._t(p + "e_score_correction_bias") if use_bias else scores
        grouped = c.n_group > 1 and c.topk_method in ("group_limited_greedy", "noaux_tc")
        if grouped:
            S = x.shape[0]
            g = sel.view(S, c.n_group, -1)
            if use_bias:
                gs = g.topk(2, dim=-1)[0].sum(dim=-1)
            else:
                gs = g.amax(dim=-1)
            gidx = gs.topk(c.topk_group, dim=-1)[1]
            keep = torch.zeros(S, c.n_group, dtype=torch.bool).scatter_(1, gidx, True)
            fill = float("-inf") if self.group_mask == "-inf" else 0.0
            sel = g.masked_fill(~keep[..., None], fill).flatten(1)
        idx = sel.topk(c.n_activated_experts, dim=-1)[1]
        w = original.gather(1, idx)
        if c.norm_topk_prob:
            w = w / w.sum(dim=-1, keepdim=True)
        w = w * c.route_scale
        return w, idx

    def _ffn(self, i, x):
        c = self.c
        p = f"model.layers.{i}.mlp."
        if not c.is_moe_layer(i):
            return swiglu_mlp(x, self._t(p + "gate_proj.weight"), self._t(p + "down_proj.weight"),
                              self._t(p + "up_proj.weight"))
        w, idx = self.gate(i, x)
        y = torch.zeros_like(x)
        for e in range(c.n_routed_experts):
            rows, slot = torch.where(idx == e)
            if rows.numel() == 0:
                continue
            q = p + f"experts.{e}."
            out = swiglu_mlp(x[rows], self._t(q + "gate_proj.weight"), self._t(q + "down_proj.weight"),
                             self._t(q + "up_proj.weight"))
            y[rows] += out * w[rows, slot, None]
        if c.n_shared_experts:
            q = p + "shared_experts."
            y = y + swiglu_mlp(x, self._t(q + "gate_proj.weight"), self._t(q + "down_proj.weight"),
                               self._t(q + "up_proj.weight"))
        return y

    # -- forward ---------------------------------------------------------------------------------
    def _step(self, tokens, start_pos, caches, attn_impl):
        c = self.c
        h = self._t("model.embed_tokens.weight")[torch.as_tensor(tokens, dtype=torch.long)]
        for i in range(c.n_layers):
            p = f"model.layers.{i}."
            h = h + self._mla(i, rms_norm(h, self._t(p + "input_layernorm.weight"), c.rms_norm_eps),
                              start_pos, caches[i], attn_impl)
            h = h + self._ffn(i, rms_norm(h, self._t(p + "post_attention_layernorm.weight"), c.rms_norm_eps))
        h = rms_norm(h, self._t("model.norm.weight"), c.rms_norm_eps)
        head = self._t("model.embed_tokens.weight") if c.tie_word_embeddings else self._t("lm_head.weight")
        return linear(h, head)

    def forward(self, tokens, attn_impl="absorb"):
        """Prefill the whole sequence from position 0 with a causal mask. Returns logits [T, vocab]."""
        caches = [dict() for _ in range(self.c.n_layers)]
        return self._step(list(tokens), 0, caches, attn_impl)

    def forward_incremental(self, tokens, attn_impl="absorb"):
        """Feeds tokens one at a time with a cache. Returns logits [T, vocab]."""
        caches = [dict() for _ in range(self.c.n_layers)]
        rows = [self._step([t], pos, caches, attn_impl) for pos, t in enumerate(tokens)]
        return torch.cat(rows, 0)

    def routing_trace(self, tokens):
        """Per MoE layer: expert indices chosen for each position (prefill). For fixture notes."""
        c = self.c
        caches = [dict() for _ in range(c.n_layers)]
        h = self._t("model.embed_tokens.weight")[torch.as_tensor(list(tokens), dtype=torch.long)]
        trace = {}
        for i in range(c.n_layers):
            p = f"model.layers.{i}."
            h = h + self._mla(i, rms_norm(h, self._t(p + "input_layernorm.weight"), c.rms_norm_eps), 0, caches[i],
                              "absorb")
            xn = rms_norm(h, self._t(p + "post_attention_layernorm.weight"), c.rms_norm_eps)
            if c.is_moe_layer(i):
                w, idx = self.gate(i, xn)
                trace[i] = (w, idx)
            h = h + self._ffn(i, xn)
        return trace


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("tokens", nargs="+", type=int)
    ap.add_argument("--naive", action="store_true", help="naive MLA (materialized K/V) instead of absorbed")
    ap.add_argument("--float32", action="store_true")
    ap.add_argument("--incremental", action="store_true")
    a = ap.parse_args()
    m = DeepSeekRef(a.model_dir, torch.float32 if a.float32 else torch.float64)
    impl = "naive" if a.naive else "absorb"
    lg = m.forward_incremental(a.tokens, impl) if a.incremental else m.forward(a.tokens, impl)
    for i, row in enumerate(lg):
        top = torch.topk(row, 5)
        print(i, a.tokens[i], "argmax", int(top.indices[0]), "top5", [int(t) for t in top.indices],
              [round(float(v), 5) for v in top.values])


if __name__ == "__main__":
    main()
