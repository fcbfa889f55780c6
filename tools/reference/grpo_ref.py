"""GRPO reference: the loss of a fixed batch of rollouts and its gradient (autograd), float64.

The model is deepseek_train_ref.TrainRef (the DeepSeek-V3/V2 training forward written from the spec); this file
adds the GRPO objective on top of its main-model logits (no MTP, no balance loss). The definitions, which the C++
side implements exactly, are in README.md, section "GRPO":

  S = P x G sequences (groups are G consecutive rows), right-padded to T; tokens [S, T]; mask [S, T] with
  mask[s, t] = 1 iff the prediction at row t (of tokens[s, t+1]) is a completion token that counts (so
  mask[:, T-1] = 0); old_logp, ref_logp [S, T]; rewards [S].
  A_s = (r_s - mean_g) / (std_g + 1e-4), std with N - 1 ("group"), or A_s = r_s - mean_g ("none").
  logp[s, t] = log_softmax(logits[s, t])[tokens[s, t+1]] (logp[s, T-1] = 0).
  ratio = exp(logp - old_logp); surrogate = min(ratio A, clip(ratio, 1 - eps_low, 1 + eps_high) A)
  kl = exp(ref_logp - logp) - (ref_logp - logp) - 1; l = -(surrogate - beta kl)
  token: sum(l m) / sum(m); sequence: mean_s [sum_t(l m) / max(sum_t m, 1)]; dr_grpo: sum(l m) / (S L_max).

Usage as a library (make_grpo_fixtures.py): grpo_loss(model, batch, hp) -> dict of autograd scalars and tensors.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepseek_train_ref as tr  # noqa: E402

LOSS_TYPES = ("token", "sequence", "dr_grpo")
SCALE_REWARDS = ("group", "none")
STD_EPS = 1e-4

OBJECTIVE = {
    "advantages": "A_s = (r_s - mean_g) / (std_g + 1e-4) with the sample std (N - 1) over the G rewards of s's "
                  "group (scale_rewards group), or A_s = r_s - mean_g (scale_rewards none); groups are G "
                  "consecutive rows",
    "logp": "logp[s, t] = log_softmax(logits[s, t])[tokens[s, t + 1]] for t < T - 1 (main model logits of the "
            "current parameters, natural log); logp[s, T - 1] = 0",
    "mask": "mask[s, t] = 1 iff the prediction at row t (of tokens[s, t + 1]) is a completion token that counts; "
            "mask[s, T - 1] = 0",
    "ratio": "ratio = exp(logp - old_logp)",
    "surrogate": "min(ratio * A_s, clip(ratio, 1 - eps_low, 1 + eps_high) * A_s)",
    "kl": "k3: exp(ref_logp - logp) - (ref_logp - logp) - 1",
    "per_token_loss": "l = -(surrogate - beta * kl)",
    "loss_token": "sum(l * mask) / sum(mask)",
    "loss_sequence": "mean over all S sequences of sum_t(l * mask) / max(sum_t(mask), 1)",
    "loss_dr_grpo": "sum(l * mask) / (S * L_max)",
    "kl_mean": "sum(kl * mask) / sum(mask) (whatever the loss type)",
    "clip_fraction": "sum(clipped * mask) / sum(mask), clipped = (ratio < 1 - eps_low and A < 0) or "
                     "(ratio > 1 + eps_high and A > 0): the tokens where the min takes the clipped term, whose "
                     "gradient is 0; clip_low_fraction / clip_high_fraction count the two cases apart",
    "entropy_mean": "sum(H * mask) / sum(mask), H[s, t] = -sum_v p log p of softmax(logits[s, t])",
}


def advantages(rewards, G, scale):
    """rewards [S] -> A [S]."""
    assert scale in SCALE_REWARDS
    r = rewards.reshape(-1, G)
    a = r - r.mean(dim=1, keepdim=True)
    if scale == "group":
        a = a / (r.std(dim=1, unbiased=True, keepdim=True) + STD_EPS)
    return a.reshape(-1)


def policy_logp(model, tokens):
    """Per-token log-probs and entropies [S, T] of the current parameters (row T-1: 0) and routing records."""
    S, T = tokens.shape
    rows, ents, records = [], [], []
    for s in range(S):
        rec = []
        logits, _ = model.sequence(tokens[s].tolist(), rec)  # [T, V]; MTP logits unused
        lsm = torch.log_softmax(logits, dim=-1)
        nxt = tokens[s, 1:].long()
        lp = lsm[:-1].gather(1, nxt[:, None])[:, 0]
        rows.append(torch.cat([lp, lp.new_zeros(1)]))
        ents.append(-(lsm.exp() * lsm).sum(-1))
        records.append(rec)
    return torch.stack(rows), torch.stack(ents), records


def grpo_objective(logp, batch, hp):
    """The objective from per-token logp [S, T] (autograd) and the batch. Returns a dict."""
    mask = batch["mask"]
    A = advantages(batch["rewards"], hp["G"], hp["scale_rewards"])
    ratio = torch.exp(logp - batch["old_logp"])
    clipped_ratio = ratio.clamp(1.0 - hp["eps_low"], 1.0 + hp["eps_high"])
    surrogate = torch.minimum(ratio * A[:, None], clipped_ratio * A[:, None])
    d = batch["ref_logp"] - logp
    kl = torch.exp(d) - d - 1.0
    per_token = -(surrogate - hp["beta"] * kl)
    S = mask.shape[0]
    if hp["loss_type"] == "token":
        loss = (per_token * mask).sum() / mask.sum()
    elif hp["loss_type"] == "sequence":
        loss = ((per_token * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)).mean()
    elif hp["loss_type"] == "dr_grpo":
        loss = (per_token * mask).sum() / (S * hp["L_max"])
    else:
        raise ValueError(f"loss_type {hp['loss_type']}")
    with torch.no_grad():
        low = ((ratio < 1.0 - hp["eps_low"]) & (A[:, None] < 0)).to(mask.dtype)
        high = ((ratio > 1.0 + hp["eps_high"]) & (A[:, None] > 0)).to(mask.dtype)
        n = mask.sum()
        stats = {"kl_mean": float((kl * mask).sum() / n),
                 "clip_low_fraction": float((low * mask).sum() / n),
                 "clip_high_fraction": float((high * mask).sum() / n),
                 "clip_fraction": float(((low + high).clamp(max=1.0) * mask).sum() / n),
                 "n_tokens": int(n)}
    return {"loss": loss, "advantages": A, "ratio": ratio, "kl": kl, "per_token": per_token, **stats}


def grpo_loss(model, batch, hp):
    """model: tr.TrainRef; batch: tokens [S,T] long, mask/old_logp/ref_logp [S,T], rewards [S] in model.dtype;
    hp: G, eps_low, eps_high, beta, loss_type, scale_rewards, L_max (dr_grpo)."""
    assert hp["loss_type"] in LOSS_TYPES
    assert batch["tokens"].shape[0] % hp["G"] == 0 and hp["G"] >= 2
    assert bool((batch["mask"][:, -1] == 0).all()), "mask[:, T-1] must be 0 (no next token)"
    logp, ent, records = policy_logp(model, batch["tokens"])
    out = grpo_objective(logp, batch, hp)
    m = batch["mask"]
    out["logp"] = logp
    out["entropy_mean"] = float((ent.detach() * m).sum() / m.sum())
    out["records"] = records
    return out


def grpo_loss_loops(logp, batch, hp):
    """The same objective written with Python loops and math (a second implementation for the self-check)."""
    S, T = batch["mask"].shape
    G = hp["G"]
    r = [float(x) for x in batch["rewards"]]
    A = []
    for g in range(S // G):
        grp = r[g * G:(g + 1) * G]
        mean = sum(grp) / G
        std = math.sqrt(sum((x - mean) ** 2 for x in grp) / (G - 1))
        A += [(x - mean) / (std + STD_EPS) if hp["scale_rewards"] == "group" else x - mean for x in grp]
    total, count, seq_terms = 0.0, 0.0, []
    for s in range(S):
        ssum, scount = 0.0, 0.0
        for t in range(T):
            m = float(batch["mask"][s, t])
            if m == 0:
                continue
            lp, old, ref = float(logp[s, t]), float(batch["old_logp"][s, t]), float(batch["ref_logp"][s, t])
            ratio = math.exp(lp - old)
            clipped = min(max(ratio, 1 - hp["eps_low"]), 1 + hp["eps_high"])
            sur = min(ratio * A[s], clipped * A[s])
            kl = math.exp(ref - lp) - (ref - lp) - 1
            lt = -(sur - hp["beta"] * kl)
            ssum += lt * m
            scount += m
        total += ssum
        count += scount
        seq_terms.append(ssum / max(scount, 1.0))
    if hp["loss_type"] == "token":
        return total / count, A
    if hp["loss_type"] == "sequence":
        return sum(seq_terms) / S, A
    return total / (S * hp["L_max"]), A


def grads(model, batch, hp):
    """d loss / d every trained parameter (zeros where none flows: MTP modules, unchosen experts)."""
    for p in model.params.values():
        p.grad = None
    out = grpo_loss(model, batch, hp)
    out["loss"].backward()
    g = {n: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)) for n, p in model.params.items()}
    for p in model.params.values():
        p.grad = None
    return g, out
