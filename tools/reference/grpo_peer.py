"""PyTorch CPU GRPO-step speed peer: the same objective as grpo_ref.py on train_peer.py's fast model, timed.

    /usr/bin/python3 tools/reference/grpo_peer.py CONFIG [--seq-len 256] [--groups 2] [--group-size 4]
        [--completion 192] [--steps 5] [--warmup 2] [--threads N] [--dtype f32|bf16] [--beta 0.04]
    /usr/bin/python3 tools/reference/grpo_peer.py --check tests/fixtures/grpo-token [--dtype f32|bf16]

CONFIG is a HF config.json (or a folder holding one). Weights are random (float32 masters, train_peer's
init_random). The batch is S = groups x group-size sequences of seq-len tokens; the G rows of a group share their
prompt (the first seq-len - completion tokens) and differ in their completion (the last `completion` tokens).
Tokens and rewards come from splitmix64 (the same values bench_grpo_step draws, so both engines see one batch):
  token[s, t] = splitmix64(seed * 2^32 + stream(s, t)) % vocab,  reward[s] = (splitmix64(...) >> 11) / 2^53.
mask[s, t] = 1 on the rows that predict the completion tokens (t = T-C-1 .. T-2). One step:

  forward of the main model (no MTP, no balance loss) -> logits -> logp of each next token
  old_logp = logp.detach() (one policy update per batch of rollouts: mu = 1, so the ratio is 1 and the clip is
             inactive, but its code still runs)
  ref_logp = the same logp from a frozen copy of the initial model, under no_grad (only when beta > 0)
  loss = grpo_ref.grpo_objective (token-level, group-std advantages, clip eps_low 0.2 / eps_high 0.28, k3 KL)
  backward, clip_grad_norm_(1.0), AdamW (betas 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices, foreach)

The first --warmup steps are not timed. Prints one JSON line {"step_ms", "tokens_per_s", "threads", "dtype",
"phases_ms", ...} with tokens = S x seq-len per step. The per-token entropy (a statistic only, no gradient) is not
computed in the timed step; seek computes it in its fused log-prob pass.

--dtype bf16 runs both forwards under torch.autocast("cpu", bfloat16) as train_peer.py does (master weights,
gradients and optimizer state in float32; router, softmax, norms' statistics and the loss in float32).

--check DIR loads a grpo-* fixture (make_grpo_fixtures.py: config.json, model.safetensors, inputs.safetensors,
grads.safetensors, expected.json) and compares this script's loss, statistics and every gradient with it. Exit
status 1 on mismatch.
"""

import argparse
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if __name__ == "__main__":
    from peer_env import reexec_with_tuned_env  # noqa: E402
    reexec_with_tuned_env(__file__)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from deepseek_ref import DeepSeekConfig  # noqa: E402
import grpo_ref as gr  # noqa: E402
from train_peer import Peer, make_opt, rmsnorm  # noqa: E402

MASK64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def make_batch(S, T, G, C, vocab, seed):
    """tokens [S, T] long, mask [S, T] f32, rewards [S] f32: bench_grpo_step's make_batch, value for value."""
    base = seed << 32
    tokens = []
    for s in range(S):
        g = s // G
        row = []
        for t in range(T):
            # prompt positions are shared within a group; completion positions are the row's own
            key = (g * T + t) if t < T - C else (1 << 24) + s * T + t
            row.append(splitmix64(base + key) % vocab)
        tokens.append(row)
    rewards = [(splitmix64(base + (1 << 28) + s) >> 11) / float(1 << 53) for s in range(S)]
    mask = torch.zeros(S, T)
    mask[:, T - C - 1:T - 1] = 1.0
    return (torch.tensor(tokens, dtype=torch.long), mask, torch.tensor(rewards, dtype=torch.float32))


def main_logits(model, tokens):
    """The main model's logits [S, T, V] (no MTP, no balance loss)."""
    emb = F.embedding(tokens, model.embed)
    h = model.run_blocks(model.layers, emb, [])
    head = model.embed if model.head is None else model.head
    return F.linear(rmsnorm(h, model.norm, model.c.rms_norm_eps), head)


def token_logp(logits, tokens, entropy=False):
    """logp [S, T] of tokens[s, t+1] (row T-1: 0), float32; with entropy, also H [S, T] (no gradient)."""
    S, T, V = logits.shape
    lsm = torch.log_softmax(logits.float(), dim=-1)
    lp = lsm[:, :-1].gather(2, tokens[:, 1:, None])[..., 0]
    lp = torch.cat([lp, lp.new_zeros(S, 1)], dim=1)
    if not entropy:
        return lp
    with torch.no_grad():
        ent = -(lsm.exp() * lsm).sum(-1)
    return lp, ent


def fill_missing_grads(model):
    for p in model.parameters():  # experts no token chose: zero gradient, still decayed (as train_peer)
        if p.grad is None:
            p.grad = torch.zeros_like(p)


def grpo_step(model, ref_model, opt, tokens, batch, hp, autocast, times):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        if hp["beta"] > 0:
            with torch.no_grad():
                batch["ref_logp"] = token_logp(main_logits(ref_model, tokens), tokens)
        t1 = time.perf_counter()
        logp = token_logp(main_logits(model, tokens), tokens)
        batch["old_logp"] = logp.detach()
        out = gr.grpo_objective(logp, batch, hp)
    t2 = time.perf_counter()
    out["loss"].backward()
    fill_missing_grads(model)
    t3 = time.perf_counter()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    t4 = time.perf_counter()
    opt.step()
    t5 = time.perf_counter()
    # ref_forward includes zero_grad (as bench_grpo_step's)
    for k, v in zip(("ref_forward", "forward_loss", "backward", "clip", "adamw"), (t1 - t0, t2 - t1, t3 - t2,
                                                                                  t4 - t3, t5 - t4)):
        times.setdefault(k, []).append(v)
    return float(out["loss"]), float(norm)


def check(fixture, dtype):
    import safetensors_io as stio
    cfg = json.load(open(os.path.join(fixture, "config.json")))
    exp = json.load(open(os.path.join(fixture, "expected.json")))
    hp = dict(exp["hyperparameters"])
    inp = stio.load_file(os.path.join(fixture, "inputs.safetensors"))
    g_ref = stio.load_file(os.path.join(fixture, "grads.safetensors"))
    model = Peer(DeepSeekConfig(cfg))
    model.load_hf(stio.load_file(os.path.join(fixture, "model.safetensors")))
    tokens = inp["tokens"].long()
    batch = {k: inp[k].float() for k in ("mask", "old_logp", "ref_logp", "rewards")}
    ac = dtype == "bf16"
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=ac):
        logp, ent = token_logp(main_logits(model, tokens), tokens, entropy=True)
        out = gr.grpo_objective(logp, batch, hp)
    out["loss"].backward()
    m = batch["mask"]
    got = {"loss": float(out["loss"]), "kl_mean": out["kl_mean"], "clip_fraction": out["clip_fraction"],
           "clip_low_fraction": out["clip_low_fraction"], "clip_high_fraction": out["clip_high_fraction"],
           "entropy_mean": float((ent * m).sum() / m.sum()), "n_tokens": out["n_tokens"]}
    rel = {k: abs(got[k] - exp[k]) / max(abs(exp[k]), 1e-12) for k in ("loss", "kl_mean", "entropy_mean")}
    adv_err = max(abs(float(a) - b) for a, b in zip(out["advantages"], exp["advantages"]))
    grads = model.hf_grads()
    missing = sorted(set(g_ref) - set(grads))
    grad_err, worst = 0.0, ""
    for k, g in g_ref.items():
        if k in grads:
            e = float((grads[k].double() - g.double()).abs().max() / g.double().abs().max().clamp_min(1e-6))
            if e > grad_err:
                grad_err, worst = e, k
    # the same tokens clipped: the fractions as counts (the float32 sums round the fraction itself)
    n = exp["n_tokens"]
    same_clip = all(round(got[k] * n) == round(exp[k] * n)
                    for k in ("clip_fraction", "clip_low_fraction", "clip_high_fraction"))
    loss_ok = abs(got["loss"] - exp["loss"]) <= 1e-5 * abs(exp["loss"]) + 1e-7  # as tests/unit/test_grpo.cpp
    if dtype == "f32":
        ok = (loss_ok and rel["kl_mean"] < 1e-5 and rel["entropy_mean"] < 1e-5 and adv_err < 1e-6
              and grad_err < 1e-4 and same_clip and got["n_tokens"] == n and not missing)
    else:  # bf16 matmuls: the loss (a small difference of terms) and the gradients only to a loose tolerance
        ok = rel["loss"] < 5e-2 and rel["entropy_mean"] < 1e-3 and grad_err < 0.25 and adv_err < 1e-6 and not missing
    print(json.dumps({"fixture": os.path.basename(fixture.rstrip("/")), "dtype": dtype, "ok": ok,
                      "loss": got["loss"], "loss_expected": exp["loss"],
                      "loss_rel": float(f"{rel['loss']:.3g}"), "kl_mean_rel": float(f"{rel['kl_mean']:.3g}"),
                      "entropy_mean_rel": float(f"{rel['entropy_mean']:.3g}"),
                      "advantages_max_abs": float(f"{adv_err:.3g}"), "clip_fractions_equal": same_clip,
                      "grads_max_rel_to_tensor_max": float(f"{grad_err:.3g}"), "worst_grad": worst,
                      "grads_checked": len(g_ref) - len(missing), "missing": missing[:5]}))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", nargs="?", help="HF config.json or a folder with one")
    ap.add_argument("--seq-len", type=int, default=256, help="T: prompt + completion tokens per sequence")
    ap.add_argument("--groups", type=int, default=2, help="P: prompts per batch")
    ap.add_argument("--group-size", type=int, default=4, help="G: samples per prompt")
    ap.add_argument("--completion", type=int, default=192, help="C: completion tokens (the masked predictions)")
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--beta", type=float, default=0.04, help="KL weight (0: no reference model forward)")
    ap.add_argument("--init-std", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-6)
    ap.add_argument("--check", metavar="FIXTURE_DIR", help="compare loss and gradients with a grpo-* fixture")
    ap.add_argument("--openblas-core", default="auto",
                    help="OPENBLAS_CORETYPE: auto (SKYLAKEX on AVX-512 CPUs), keep (as in the environment) or a name")
    ap.add_argument("--no-env-tuning", action="store_true",
                    help="run with the environment as given (no malloc / OpenBLAS settings)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.check:
        sys.exit(0 if check(a.check, a.dtype) else 1)
    if not a.config:
        ap.error("CONFIG is required (or --check)")
    T, G, P, C = a.seq_len, a.group_size, a.groups, a.completion
    if G < 2 or P < 1 or not 1 <= C <= T - 1 or a.steps < 1 or a.warmup < 0:
        ap.error("need --group-size >= 2, --groups >= 1, 1 <= --completion <= seq-len - 1, --steps >= 1")
    path = os.path.join(a.config, "config.json") if os.path.isdir(a.config) else a.config
    c = DeepSeekConfig(json.load(open(path)))
    gen = torch.Generator().manual_seed(a.seed)
    model = Peer(c)
    model.init_random(a.init_std, gen)
    ref_model = None
    if a.beta > 0:
        ref_model = copy.deepcopy(model)
        for p in ref_model.parameters():
            p.requires_grad_(False)
    S = P * G
    tokens, mask, rewards = make_batch(S, T, G, C, c.vocab_size, a.seed)
    batch = {"mask": mask, "rewards": rewards, "ref_logp": torch.zeros(S, T)}  # zeros stay when beta = 0
    hp = {"G": G, "eps_low": 0.2, "eps_high": 0.28, "beta": a.beta, "loss_type": "token", "scale_rewards": "group"}
    opt = make_opt(model, {"peak_lr": a.lr, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.1})
    ac = a.dtype == "bf16"
    losses, times, phases = [], [], {}
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        ph = {} if s < a.warmup else phases
        loss, _ = grpo_step(model, ref_model, opt, tokens, batch, hp, ac, ph)
        dt = time.perf_counter() - t0
        losses.append(loss)
        if s >= a.warmup:
            times.append(dt)
    step_s = sum(times) / len(times)
    print(json.dumps({"step_ms": round(step_s * 1e3, 3), "tokens_per_s": round(S * T / step_s, 2),
                      "threads": a.threads, "dtype": a.dtype, "beta": a.beta, "S": S, "T": T, "G": G,
                      "completion": C, "steps": a.steps, "step_ms_min": round(min(times) * 1e3, 3),
                      "phases_ms": {k: round(1e3 * sum(v) / len(v), 3) for k, v in phases.items()},
                      "params": sum(p.numel() for p in model.parameters()),
                      "loss_first": round(losses[0], 6), "loss_last": round(losses[-1], 6),
                      "peer": f"pytorch {torch.__version__}",
                      "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "GLIBC_TUNABLES",
                                                 "OMP_WAIT_POLICY")
                              if k in os.environ}}))


if __name__ == "__main__":
    main()
