"""Training reference for DeepSeek-V3/V2-style models: losses, gradients (autograd), bias update, AdamW.

The forward is deepseek_ref.py's (its MLA in the naive form, its gate, RMSNorm, RoPE and SwiGLU are
imported, not copied); this file adds what training needs on top (definitions in README.md, section
"Training reference"):

- L_main: mean cross-entropy of positions 0..T-2 predicting 1..T-1 over the batch's B x (T-1) predictions.
- MTP (depth D): module k reads h^{k-1} (h^0 = the main model's last block output BEFORE the final norm),
  h'_i = eh_proj([enorm(Emb(t_{i+k})) ; hnorm(h^{k-1}_i)]) for i = 0..T-1-k, h^k = Block_k(h') causal with
  rope positions 0..T-k-1, logits = shared_head.head(shared_head.norm(h^k_i)) predict t_{i+k+1}
  (i = 0..T-2-k). L^k = mean CE over the B x (T-1-k) predictions; L_MTP = (lambda / D) sum_k L^k.
- Sequence-wise balance loss for every MoE layer pass (main layers and MTP blocks):
  loss_layer = sum_i f_i P_i per sequence; L_bal = alpha * mean over sequences of sum over layers.
- Total = L_main + L_MTP + L_bal.
- Bias update (noaux_tc only) after each optimizer step: b_i += gamma * sign(mean(load) - load_i).
- AdamW (torch.optim.AdamW) with decay only on tensors of 2+ dims, global-norm clipping, warmup + cosine lr.

Everything runs in float64 by default. Usage as a library (make_train_fixtures.py, check_train_reference.py,
train_peer.py); `python3 deepseek_train_ref.py MODEL_DIR` prints the losses of a fixture folder.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepseek_ref as dsr  # noqa: E402
from deepseek_ref import DeepSeekConfig, linear, rms_norm, swiglu_mlp  # noqa: E402

BIAS_SUFFIX = "mlp.gate.e_score_correction_bias"

LR_FORMULA = ("lr(s) for the 0-based optimizer step s (s = number of updates already taken), peak P, min M, warmup "
              "W, total T (= steps - 1): s < W: P * s / W (0 at the first step); W <= s <= T: "
              "M + (P - M) * 0.5 * (1 + cos(pi * (s - W) / (T - W))); s > T: M. Step W uses P, the last step "
              "(s = T) uses M. The same as src/train/lr_schedule.h type cosine.")

CLIP_FORMULA = ("n = sqrt(sum over every trained tensor of sum(g^2)) (pre-clip, what grad_norm_per_step records); "
                "every gradient is multiplied by min(1, max_grad_norm / (n + 1e-6)) (torch.nn.utils.clip_grad_norm_)")

ADAMW_FORMULA = ("torch.optim.AdamW, per element, t = s + 1: p -= lr * wd * p (decoupled, before the update; wd = 0 "
                 "for 1-D tensors); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
                 "p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). Every trained tensor is updated "
                 "every step; a tensor that got no gradient (an expert no token chose) has g = 0 (its moments "
                 "decay, weight decay applies).")


def lr_at(s, hp):
    """Learning rate of the 0-based optimizer step s (LR_FORMULA)."""
    W, T, peak, lo = hp["warmup_steps"], hp["total_steps"], hp["peak_lr"], hp["min_lr"]
    if s < W:
        return peak * s / W
    if s >= T:
        return lo if s > W or T > W else peak
    return lo + (peak - lo) * 0.5 * (1.0 + math.cos(math.pi * (s - W) / (T - W)))


def is_trained(name):
    """e_score_correction_bias is a buffer (updated by the balance rule, never by the optimizer)."""
    return not name.endswith(BIAS_SUFFIX)


def decays(t):
    """Weight decay only on matrices (embeddings, projections, gate, heads); none on norms / biases."""
    return t.dim() >= 2


def _ref_shell(c, dtype, tensors):
    """A deepseek_ref.DeepSeekRef over an existing tensor dict (the inference reference reads weights only
    through self.w / self.c, so its _mla and gate run on our autograd leaves)."""
    r = dsr.DeepSeekRef.__new__(dsr.DeepSeekRef)
    r.cfg_json = c.raw
    r.c = c
    r.dtype = dtype
    r.group_mask = "-inf"
    r.w = tensors
    return r


def gate_scores(c, x, w_gate):
    """Unbiased affinities s [S, E]: sigmoid or softmax of x W^T (spec 1.6 step 1)."""
    logits = linear(x, w_gate)
    return logits.softmax(dim=-1) if c.score_func == "softmax" else logits.sigmoid()


def routing_margins(c, scores, bias):
    """How far each token's selection is from a tie. scores [S,E] (detached), bias [E] or None.

    Returns (selected index sets [S] of frozensets, min relative expert gap, min relative group gap or None).
    Expert gap: between the K-th and (K+1)-th selection score among the experts of the kept groups.
    Group gap: between the topk_group-th and the next group score. Relative = gap / max(|a|, |b|).
    """
    sel = scores + bias if bias is not None else scores
    S, E = sel.shape
    K = c.n_activated_experts
    ggap = None
    grouped = c.n_group > 1 and c.topk_method in ("group_limited_greedy", "noaux_tc")
    if grouped:
        g = sel.view(S, c.n_group, -1)
        gs = g.topk(2, dim=-1)[0].sum(-1) if bias is not None else g.amax(-1)
        srt = gs.sort(dim=-1, descending=True)[0]
        a, b = srt[:, c.topk_group - 1], srt[:, c.topk_group]
        ggap = float(((a - b) / torch.maximum(a.abs(), b.abs())).min())
        keep = torch.zeros(S, c.n_group, dtype=torch.bool).scatter_(1, gs.topk(c.topk_group, dim=-1)[1], True)
        sel = g.masked_fill(~keep[..., None], float("-inf")).flatten(1)
    srt, order = sel.sort(dim=-1, descending=True)
    a, b = srt[:, K - 1], srt[:, K]
    finite = torch.isfinite(b)
    egap = float(((a - b) / torch.maximum(a.abs(), b.abs()))[finite].min()) if bool(finite.any()) else float("inf")
    sets = [frozenset(order[t, :K].tolist()) for t in range(S)]
    return sets, egap, ggap


class TrainRef:
    """Autograd model over a name -> tensor dict in the HF layout (F32/BF16 tensors are converted to dtype).

    params: trained leaves (requires_grad); buffers: the e_score_correction_bias tensors.
    """

    def __init__(self, cfg_json, tensors, dtype=torch.float64):
        self.c = DeepSeekConfig(cfg_json)
        self.dtype = dtype
        self.params = {}
        self.buffers = {}
        for name in sorted(tensors):
            t = tensors[name].detach().to(dtype).clone()
            if is_trained(name):
                self.params[name] = t.requires_grad_(True)
            else:
                self.buffers[name] = t
        self.w = {**self.params, **self.buffers}
        self.ref = _ref_shell(self.c, dtype, self.w)
        self.mtp_layers = [self.c.n_layers + k for k in range(self.c.num_nextn_predict_layers)]

    def tensors(self):
        """Current weights and biases (detached), HF names."""
        return {k: v.detach().clone() for k, v in self.w.items()}

    def moe_layer_ids(self):
        return [i for i in list(range(self.c.n_layers)) + self.mtp_layers if self.c.is_moe_layer(i)]

    # -- pieces ----------------------------------------------------------------------------------
    def _moe(self, layer, x, rec):
        """MoE with routing record. x [S, dim] -> [S, dim]."""
        c = self.c
        p = f"model.layers.{layer}.mlp."
        w, idx = self.ref.gate(layer, x)  # [S,K] weights (autograd through the selected scores), [S,K] ids
        s = gate_scores(c, x, self.w[p + "gate.weight"])  # [S,E] unbiased, for the balance loss
        y = torch.zeros_like(x)
        for e in range(c.n_routed_experts):
            rows, slot = torch.where(idx == e)
            if rows.numel() == 0:
                continue
            q = p + f"experts.{e}."
            out = swiglu_mlp(x[rows], self.w[q + "gate_proj.weight"], self.w[q + "down_proj.weight"],
                             self.w[q + "up_proj.weight"])
            y = y.index_add(0, rows, out * w[rows, slot, None])
        if c.n_shared_experts:
            q = p + "shared_experts."
            y = y + swiglu_mlp(x, self.w[q + "gate_proj.weight"], self.w[q + "down_proj.weight"],
                               self.w[q + "up_proj.weight"])
        bias = self.w.get(p + "gate.e_score_correction_bias") if c.topk_method == "noaux_tc" else None
        sets, egap, ggap = routing_margins(c, s.detach(), bias)
        assert all(sets[t] == frozenset(idx[t].tolist()) for t in range(x.shape[0])), "selection mismatch"
        rec.append({"layer": layer, "scores": s, "idx": idx, "egap": egap, "ggap": ggap})
        return y

    def _block(self, layer, h, rec):
        """One transformer block over a whole sequence from rope position 0. h [S, dim]."""
        c = self.c
        p = f"model.layers.{layer}."
        h = h + self.ref._mla(layer, rms_norm(h, self.w[p + "input_layernorm.weight"], c.rms_norm_eps), 0, {},
                              "naive")
        x = rms_norm(h, self.w[p + "post_attention_layernorm.weight"], c.rms_norm_eps)
        if c.is_moe_layer(layer):
            return h + self._moe(layer, x, rec)
        return h + swiglu_mlp(x, self.w[p + "mlp.gate_proj.weight"], self.w[p + "mlp.down_proj.weight"],
                              self.w[p + "mlp.up_proj.weight"])

    def _head(self):
        return self.w["model.embed_tokens.weight"] if self.c.tie_word_embeddings else self.w["lm_head.weight"]

    def sequence(self, tokens, rec):
        """One sequence. Returns (main logits [T, V], [MTP logits of module k: [T-k, V]]).

        rec collects one routing record per MoE layer pass (main layers in order, then MTP blocks)."""
        c = self.c
        tok = torch.as_tensor(list(tokens), dtype=torch.long)
        T = tok.numel()
        emb = self.w["model.embed_tokens.weight"]
        h = emb[tok]
        for i in range(c.n_layers):
            h = self._block(i, h, rec)
        logits = linear(rms_norm(h, self.w["model.norm.weight"], c.rms_norm_eps), self._head())
        mtp = []
        for k, layer in enumerate(self.mtp_layers, start=1):
            p = f"model.layers.{layer}."
            n = T - k  # positions i = 0..T-1-k
            e = rms_norm(emb[tok[k:]], self.w[p + "enorm.weight"], c.rms_norm_eps)
            hh = rms_norm(h[:n], self.w[p + "hnorm.weight"], c.rms_norm_eps)
            h = linear(torch.cat([e, hh], dim=-1), self.w[p + "eh_proj.weight"])
            h = self._block(layer, h, rec)
            lg = linear(rms_norm(h, self.w[p + "shared_head.norm.weight"], c.rms_norm_eps),
                        self.w[p + "shared_head.head.weight"])
            mtp.append(lg)
        return logits, mtp

    # -- losses ----------------------------------------------------------------------------------
    def losses(self, batch, lam=0.3, alpha=0.01):
        """batch: B token lists of equal length T. Returns a dict of autograd scalars and routing data."""
        c = self.c
        B = len(batch)
        T = len(batch[0])
        assert all(len(s) == T for s in batch)
        D = len(self.mtp_layers)
        main_sum = 0.0
        mtp_sum = [0.0] * D
        bal_seq = []
        records = []
        logits_all = []
        per_layer = {}
        for tokens in batch:
            tok = torch.as_tensor(list(tokens), dtype=torch.long)
            rec = []
            logits, mtp = self.sequence(tokens, rec)
            logits_all.append(logits)
            main_sum = main_sum + F.cross_entropy(logits[:-1], tok[1:], reduction="sum")
            for k in range(1, D + 1):
                lg = mtp[k - 1]  # row i predicts t_{i+k+1}, i = 0..T-2-k
                mtp_sum[k - 1] = mtp_sum[k - 1] + F.cross_entropy(lg[:T - 1 - k], tok[k + 1:], reduction="sum")
            bal = 0.0
            for r in rec:
                r["balance"] = balance_loss(c, r["scores"], r["idx"])
                bal = bal + r["balance"]
                per_layer[r["layer"]] = per_layer.get(r["layer"], 0.0) + float(r["balance"]) / B
            bal_seq.append(bal)
            records.append(rec)
        main = main_sum / (B * (T - 1))
        mtp_k = [mtp_sum[k - 1] / (B * (T - 1 - k)) for k in range(1, D + 1)]
        mtp_total = (lam / D) * sum(mtp_k) if D else torch.zeros((), dtype=self.dtype)
        balance = alpha * sum(bal_seq) / B
        total = main + mtp_total + balance
        loads = {}
        for rec in records:
            for r in rec:
                cnt = torch.bincount(r["idx"].flatten(), minlength=c.n_routed_experts)
                loads[r["layer"]] = loads.get(r["layer"], 0) + cnt
        egap = min((r["egap"] for rec in records for r in rec), default=float("inf"))
        ggaps = [r["ggap"] for rec in records for r in rec if r["ggap"] is not None]
        return {"total": total, "main": main, "mtp": mtp_k, "mtp_total": mtp_total, "balance": balance,
                "balance_per_layer": per_layer,
                "loads": loads, "records": records, "logits": logits_all,
                "min_expert_gap": egap, "min_group_gap": min(ggaps) if ggaps else None}

    # -- balance rule ----------------------------------------------------------------------------
    def update_bias(self, loads, gamma):
        """b_i += gamma * sign(mean(load) - load_i) for every noaux_tc MoE layer (loads from losses())."""
        if self.c.topk_method != "noaux_tc":
            return
        for layer, load in loads.items():
            b = self.w[f"model.layers.{layer}.{BIAS_SUFFIX}"]
            ld = load.to(self.dtype)
            b += gamma * torch.sign(ld.mean() - ld)


def balance_loss(c, scores, idx):
    """Sequence-wise balance loss of one MoE layer pass over one sequence: sum_i f_i P_i.

    scores [T_s, E] unbiased affinities (autograd); idx [T_s, K] selected experts (no gradient)."""
    Ts, E = scores.shape
    K = idx.shape[1]
    sprime = scores / scores.sum(dim=-1, keepdim=True)
    P = sprime.mean(dim=0)  # [E]
    counts = torch.bincount(idx.flatten(), minlength=E).to(scores.dtype)
    f = counts * (E / (K * Ts))
    return (f * P).sum()


# ----------------------------------------------------------------------------------------------
# Optimizer loop
# ----------------------------------------------------------------------------------------------


def make_optimizer(model, hp):
    dec = [p for n, p in model.params.items() if decays(p)]
    nodec = [p for n, p in model.params.items() if not decays(p)]
    return torch.optim.AdamW([{"params": dec, "weight_decay": hp["weight_decay"]},
                              {"params": nodec, "weight_decay": 0.0}],
                             lr=hp["peak_lr"], betas=tuple(hp["betas"]), eps=hp["eps"], foreach=False)


def train(model, batch, hp, on_step=None):
    """hp: steps, warmup_steps, total_steps, peak_lr, min_lr, betas, eps, weight_decay, max_grad_norm, lambda,
    alpha, gamma.

    Each step: forward + backward of the total loss at the current weights and biases, every missing
    gradient set to zero, clip, AdamW step with lr_at(s), then the bias update from that forward's loads.
    Returns per-step records."""
    opt = make_optimizer(model, hp)
    params = list(model.params.values())
    hist = []
    for s in range(hp["steps"]):
        lr = lr_at(s, hp)
        for g in opt.param_groups:
            g["lr"] = lr
        for p in params:
            p.grad = None
        out = model.losses(batch, hp["lambda"], hp["alpha"])
        out["total"].backward()
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        norm = float(torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"]))
        opt.step()
        with torch.no_grad():
            model.update_bias(out["loads"], hp["gamma"])
        rec = {"total": float(out["total"]), "main": float(out["main"]), "mtp": [float(x) for x in out["mtp"]],
               "balance": float(out["balance"]), "grad_norm": norm, "lr": lr,
               "min_expert_gap": out["min_expert_gap"], "min_group_gap": out["min_group_gap"]}
        hist.append(rec)
        if on_step:
            on_step(s, out, rec)
    return hist


def grads_of(model, batch, which="total", lam=0.3, alpha=0.01):
    """Gradient of one loss ("total" or "main") at the current weights: name -> tensor (zeros where unused)."""
    for p in model.params.values():
        p.grad = None
    out = model.losses(batch, lam, alpha)
    out[which].backward()
    g = {n: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)) for n, p in model.params.items()}
    for p in model.params.values():
        p.grad = None
    return g, out


def main():
    import safetensors_io as stio
    d = sys.argv[1]
    cfg = json.load(open(os.path.join(d, "config.json")))
    exp = json.load(open(os.path.join(d, "expected.json")))
    m = TrainRef(cfg, stio.load_model_folder(d))
    out = m.losses(exp["tokens"], exp["lambda"], exp["alpha"])
    print(json.dumps({"total": float(out["total"]), "main": float(out["main"]), "mtp": [float(x) for x in out["mtp"]],
                      "balance": float(out["balance"])}))


if __name__ == "__main__":
    main()
