"""Reference forward pass of dense decoder models in the Hugging Face layout:
Qwen2ForCausalLM and LlamaForCausalLM (the R1-Distill architectures).

Both: token embedding -> N x [RMSNorm -> GQA self-attention -> residual -> RMSNorm -> SwiGLU MLP -> residual]
-> RMSNorm -> lm_head (or the tied embedding when tie_word_embeddings).

- Attention: num_attention_heads query heads, num_key_value_heads K/V heads; query head h uses K/V head
  h // (num_attention_heads / num_key_value_heads). head_dim = config.head_dim or hidden_size / heads.
  Scores scaled by head_dim^-0.5, causal mask, softmax over keys.
- Qwen2: q_proj/k_proj/v_proj have a bias, o_proj has none. Llama: biases only if attention_bias is true.
- RoPE: half-split ("rotate_half") convention: the head vector is [x1 | x2] (halves), frequency i pairs
  x1[i] with x2[i]; out = x*cos + rotate_half(x)*sin with rotate_half(x) = [-x2 | x1] and cos/sin
  repeated over both halves. inv_freq_i = rope_theta^(-2i/head_dim).
- Llama rope_scaling {rope_type/type "llama3", factor, low_freq_factor, high_freq_factor,
  original_max_position_embeddings}: with wavelen_i = 2*pi/inv_freq_i, L = original_max_position_embeddings:
  wavelen > L/low_freq_factor -> inv_freq/factor; wavelen < L/high_freq_factor -> unchanged; otherwise
  s = (L/wavelen - low_freq_factor)/(high_freq_factor - low_freq_factor), inv = (1-s)*inv/factor + s*inv.
  No attention scaling factor. rope_scaling "linear" (inv/factor) is also accepted.
- MLP: down_proj(silu(gate_proj(x)) * up_proj(x)).

Training (DenseTrainRef): the same forward over autograd leaves (float64), one sequence at a time from rope
position 0, loss = mean cross-entropy of positions 0..T-2 predicting 1..T-1 over the batch's B x (T-1)
predictions. LoRA as PEFT computes it (peft.tuners.lora.Linear: result = base(x) + lora_B(lora_A(x)) * scaling,
scaling = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora; lora_A.weight [r, in], lora_B.weight [out, r]):
the adapted projection's weight is W + scaling * B @ A, base weights frozen, only A and B trained.
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


class DenseConfig:
    def __init__(self, cfg):
        self.raw = cfg
        self.model_type = cfg.get("model_type")
        if self.model_type not in ("qwen2", "llama"):
            raise ValueError(f"model_type {self.model_type!r}: expected qwen2 or llama")
        self.vocab_size = cfg["vocab_size"]
        self.dim = cfg["hidden_size"]
        self.inter_dim = cfg["intermediate_size"]
        self.n_layers = cfg["num_hidden_layers"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv_heads = cfg.get("num_key_value_heads") or self.n_heads
        if self.n_heads % self.n_kv_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        self.head_dim = cfg.get("head_dim") or self.dim // self.n_heads
        self.rms_norm_eps = float(cfg.get("rms_norm_eps", 1e-6))
        self.rope_theta = float(cfg.get("rope_theta", 10000.0))
        self.tie_word_embeddings = bool(cfg.get("tie_word_embeddings", False))
        if self.model_type == "qwen2":
            self.qkv_bias = True
            self.o_bias = False
        else:
            self.qkv_bias = bool(cfg.get("attention_bias", False))
            self.o_bias = self.qkv_bias
        if cfg.get("mlp_bias"):
            raise ValueError("mlp_bias not supported")
        if cfg.get("hidden_act", "silu") != "silu":
            raise ValueError("hidden_act must be silu")
        self.rope_scaling = cfg.get("rope_scaling")


def inv_freq(c, dtype=torch.float64):
    d = c.head_dim
    f = 1.0 / (c.rope_theta ** (torch.arange(0, d, 2, dtype=dtype) / d))
    rs = c.rope_scaling
    if not rs:
        return f
    rtype = rs.get("rope_type", rs.get("type"))
    if rtype in (None, "default"):
        return f
    if rtype == "linear":
        return f / float(rs["factor"])
    if rtype != "llama3":
        raise ValueError(f"rope_scaling type {rtype!r} not supported")
    factor = float(rs["factor"])
    low = float(rs["low_freq_factor"])
    high = float(rs["high_freq_factor"])
    old_ctx = float(rs["original_max_position_embeddings"])
    low_wl = old_ctx / low
    high_wl = old_ctx / high
    wl = 2 * math.pi / f
    out = f.clone()
    for i in range(f.numel()):
        if wl[i] < high_wl:
            out[i] = f[i]
        elif wl[i] > low_wl:
            out[i] = f[i] / factor
        else:
            s = (old_ctx / wl[i] - low) / (high - low)
            out[i] = (1 - s) * f[i] / factor + s * f[i]
    return out


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class DenseRef:
    def __init__(self, folder, dtype=torch.float64):
        with open(os.path.join(folder, "config.json")) as f:
            self.c = DenseConfig(json.load(f))
        self.dtype = dtype
        self.w = {k: v.to(dtype) for k, v in stio.load_model_folder(folder).items()}
        c = self.c
        for name in ["model.embed_tokens.weight", "model.norm.weight"]:
            self._t(name)
        if not c.tie_word_embeddings:
            self._t("lm_head.weight")
        for i in range(c.n_layers):
            p = f"model.layers.{i}.self_attn."
            assert self._t(p + "q_proj.weight").shape == (c.n_heads * c.head_dim, c.dim)
            assert self._t(p + "k_proj.weight").shape == (c.n_kv_heads * c.head_dim, c.dim)
            assert self._t(p + "v_proj.weight").shape == (c.n_kv_heads * c.head_dim, c.dim)
            assert self._t(p + "o_proj.weight").shape == (c.dim, c.n_heads * c.head_dim)

    def _t(self, name):
        if name not in self.w:
            raise KeyError(f"missing tensor {name}")
        return self.w[name]

    def _lin(self, x, name, bias):
        y = x @ self._t(name + ".weight").t()
        if bias:
            y = y + self._t(name + ".bias")
        return y

    def _attn(self, i, x, start_pos, cache):
        c = self.c
        p = f"model.layers.{i}.self_attn."
        S = x.shape[0]
        H, KV, D = c.n_heads, c.n_kv_heads, c.head_dim
        q = self._lin(x, p + "q_proj", c.qkv_bias).view(S, H, D)
        k = self._lin(x, p + "k_proj", c.qkv_bias).view(S, KV, D)
        v = self._lin(x, p + "v_proj", c.qkv_bias).view(S, KV, D)
        pos = torch.arange(start_pos, start_pos + S)
        ang = pos.to(self.dtype)[:, None] * inv_freq(c, self.dtype)[None, :]
        cos = torch.cat([ang.cos(), ang.cos()], -1)[:, None, :]
        sin = torch.cat([ang.sin(), ang.sin()], -1)[:, None, :]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        cache.setdefault("k", []).append(k)
        cache.setdefault("v", []).append(v)
        K = torch.cat(cache["k"], 0)
        V = torch.cat(cache["v"], 0)
        end = start_pos + S
        rep = H // KV
        K = K.repeat_interleave(rep, dim=1)  # head h -> kv head h // rep
        V = V.repeat_interleave(rep, dim=1)
        scores = torch.einsum("shd,thd->sht", q, K) * D ** -0.5
        mask = torch.where(torch.arange(end)[None, :] > pos[:, None], float("-inf"), 0.0).to(self.dtype)
        probs = (scores + mask[:, None, :]).softmax(-1)
        o = torch.einsum("sht,thd->shd", probs, V).reshape(S, H * D)
        return self._lin(o, p + "o_proj", c.o_bias)

    def _mlp(self, i, x):
        p = f"model.layers.{i}.mlp."
        return self._lin(F.silu(self._lin(x, p + "gate_proj", False)) * self._lin(x, p + "up_proj", False),
                         p + "down_proj", False)

    def _step(self, tokens, start_pos, caches):
        c = self.c
        h = self._t("model.embed_tokens.weight")[torch.as_tensor(tokens, dtype=torch.long)]
        for i in range(c.n_layers):
            p = f"model.layers.{i}."
            h = h + self._attn(i, rms_norm(h, self._t(p + "input_layernorm.weight"), c.rms_norm_eps), start_pos,
                               caches[i])
            h = h + self._mlp(i, rms_norm(h, self._t(p + "post_attention_layernorm.weight"), c.rms_norm_eps))
        h = rms_norm(h, self._t("model.norm.weight"), c.rms_norm_eps)
        head = self._t("model.embed_tokens.weight") if c.tie_word_embeddings else self._t("lm_head.weight")
        return h @ head.t()

    def forward(self, tokens):
        return self._step(list(tokens), 0, [dict() for _ in range(self.c.n_layers)])

    def forward_incremental(self, tokens):
        caches = [dict() for _ in range(self.c.n_layers)]
        return torch.cat([self._step([t], p, caches) for p, t in enumerate(tokens)], 0)


def _ref_over(c, tensors, dtype):
    """A DenseRef over an existing name -> tensor dict (its forward reads weights only through self.w, so it runs
    on autograd leaves or on weights with LoRA deltas added)."""
    r = DenseRef.__new__(DenseRef)
    r.c = c
    r.dtype = dtype
    r.w = tensors
    return r


PEFT_PREFIX = "base_model.model."


def lora_names(module):
    """PEFT's tensor names for the adapter of module `module` (e.g. model.layers.0.self_attn.q_proj)."""
    return PEFT_PREFIX + module + ".lora_A.weight", PEFT_PREFIX + module + ".lora_B.weight"


class DenseTrainRef:
    """Autograd training reference over HF-layout tensors (converted to dtype).

    lora: None (every tensor trained) or {"scaling": s, "tensors": {peft name: tensor}} (base frozen, only the
    adapter tensors trained; a module is adapted when both its lora_A and lora_B are given)."""

    def __init__(self, cfg_json, tensors, dtype=torch.float64, lora=None):
        self.c = DenseConfig(cfg_json)
        self.dtype = dtype
        self.lora = lora
        base = {k: v.detach().to(dtype).clone() for k, v in sorted(tensors.items())}
        if lora is None:
            self.params = {k: v.requires_grad_(True) for k, v in base.items()}
            self.base = self.params
        else:
            self.base = base
            self.params = {k: v.detach().to(dtype).clone().requires_grad_(True)
                           for k, v in sorted(lora["tensors"].items())}
            self.scaling = float(lora["scaling"])
            self.modules = sorted({k[len(PEFT_PREFIX):].rsplit(".lora_", 1)[0] for k in self.params})
            for m in self.modules:
                a, b = lora_names(m)
                assert a in self.params and b in self.params, m
                assert m + ".weight" in self.base, f"adapter for {m}: no such weight in the base"

    def weights(self):
        """The weights the forward uses: the trained tensors, or the frozen base plus the LoRA deltas."""
        if self.lora is None:
            return self.params
        w = dict(self.base)
        for m in self.modules:
            a, b = lora_names(m)
            w[m + ".weight"] = self.base[m + ".weight"] + self.scaling * (self.params[b] @ self.params[a])
        return w

    def logits(self, tokens):
        return _ref_over(self.c, self.weights(), self.dtype).forward(list(tokens))

    def loss(self, batch):
        """Mean next-token cross-entropy over the B x (T-1) predictions of equal-length sequences."""
        T = len(batch[0])
        assert all(len(s) == T for s in batch)
        total = 0.0
        for seq in batch:
            tok = torch.as_tensor(list(seq), dtype=torch.long)
            total = total + F.cross_entropy(self.logits(seq)[:-1], tok[1:], reduction="sum")
        return total / (len(batch) * (T - 1))

    def grads(self, batch):
        for p in self.params.values():
            p.grad = None
        L = self.loss(batch)
        L.backward()
        g = {k: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p))
             for k, p in self.params.items()}
        for p in self.params.values():
            p.grad = None
        return float(L), g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("tokens", nargs="+", type=int)
    ap.add_argument("--float32", action="store_true")
    a = ap.parse_args()
    m = DenseRef(a.model_dir, torch.float32 if a.float32 else torch.float64)
    for i, row in enumerate(m.forward(a.tokens)):
        top = torch.topk(row, 5)
        print(i, a.tokens[i], "top5", [int(t) for t in top.indices], [round(float(v), 5) for v in top.values])


if __name__ == "__main__":
    main()
