"""Creates the training fixtures tests/fixtures/train-<name>/ from deepseek_train_ref.py (float64).

    /usr/bin/python3 tools/reference/make_train_fixtures.py [--out tests/fixtures] [--only train-v3 ...]

Each folder: config.json, model.safetensors (F32 initial weights, HF names, gate bias F32),
grads.safetensors (F32 gradient of loss_total at the initial weights, every trained tensor),
grads_main.safetensors (the same for L_main alone), params_after.safetensors (F32 weights and biases after
the 10-step AdamW run) and expected.json (layout in tests/fixtures/README.md).

Expert selection is discrete, so a float32 engine must pick the same experts as this float64 reference at
every step. Each fixture's seed is chosen so that, for every token, every MoE layer pass and every one of the
steps, the relative gap between the K-th and (K+1)-th selection score and between the last kept and first
dropped group score is at least MIN_GAP; the search starts at the fixture's recorded seed (so a rerun tries
one seed) and the minimum gap is stored. Deterministic: rerunning writes byte-identical files.
"""

import argparse
import json
import math
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as stio  # noqa: E402
import deepseek_train_ref as tr  # noqa: E402
from deepseek_ref import DeepSeekConfig  # noqa: E402
from make_fixtures import sig  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
MIN_GAP = 1e-3  # relative selection-score gap required everywhere (float32 vs float64 robustness)

# Init standard deviations (float32 N(0, std^2), stored as F32). Small, as in pretraining, so gradients are
# O(1e-3..1e-1); the gate is wider so that routing scores are spread out (robust selections).
INIT = {"embed": 0.1, "linear": 0.08, "head": 0.08, "gate": 0.25, "norm_jitter": 0.1, "bias": 0.05}

HP = {"steps": 10, "warmup_steps": 3, "total_steps": 9, "peak_lr": 3e-3, "min_lr": 3e-4, "betas": [0.9, 0.95],
      "eps": 1e-8, "weight_decay": 0.1, "max_grad_norm": 1.0}


class Gen:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, std=1.0):
        return torch.randn(*shape, generator=self.g, dtype=torch.float32) * std

    def norm(self, n):
        return 1.0 + self.randn(n, std=INIT["norm_jitter"])

    def tokens(self, vocab, B, T):
        """B sequences of T tokens: 0 and vocab-1 appear, and a token repeats within each sequence."""
        out = []
        for b in range(B):
            r = torch.randint(1, vocab - 1, (T,), generator=self.g).tolist()
            r[1 + b] = 0
            r[T // 2 + b] = vocab - 1
            r[T - 2] = r[2]
            out.append([int(t) for t in r])
        return out


def init_tensors(cfg, g):
    """Random HF-layout tensors (F32). MTP layers hold their own shared_head.head (drawn independently of
    lm_head) and no embed_tokens copy: the MTP modules use model.embed_tokens."""
    c = DeepSeekConfig(cfg)
    L, std = INIT["linear"], INIT
    t = {"model.embed_tokens.weight": g.randn(c.vocab_size, c.dim, std=std["embed"])}
    for i in range(c.n_layers + c.num_nextn_predict_layers):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = g.norm(c.dim)
        t[p + "post_attention_layernorm.weight"] = g.norm(c.dim)
        a = p + "self_attn."
        if c.q_lora_rank:
            t[a + "q_a_proj.weight"] = g.randn(c.q_lora_rank, c.dim, std=L)
            t[a + "q_a_layernorm.weight"] = g.norm(c.q_lora_rank)
            t[a + "q_b_proj.weight"] = g.randn(c.n_heads * c.qk_head_dim, c.q_lora_rank, std=L)
        else:
            t[a + "q_proj.weight"] = g.randn(c.n_heads * c.qk_head_dim, c.dim, std=L)
        t[a + "kv_a_proj_with_mqa.weight"] = g.randn(c.kv_lora_rank + c.qk_rope_head_dim, c.dim, std=L)
        t[a + "kv_a_layernorm.weight"] = g.norm(c.kv_lora_rank)
        t[a + "kv_b_proj.weight"] = g.randn(c.n_heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank, std=L)
        t[a + "o_proj.weight"] = g.randn(c.dim, c.n_heads * c.v_head_dim, std=L)
        m = p + "mlp."
        if not c.is_moe_layer(i):
            t[m + "gate_proj.weight"] = g.randn(c.inter_dim, c.dim, std=L)
            t[m + "up_proj.weight"] = g.randn(c.inter_dim, c.dim, std=L)
            t[m + "down_proj.weight"] = g.randn(c.dim, c.inter_dim, std=L)
        else:
            t[m + "gate.weight"] = g.randn(c.n_routed_experts, c.dim, std=std["gate"])
            if c.topk_method == "noaux_tc":
                t[m + "gate.e_score_correction_bias"] = g.randn(c.n_routed_experts, std=std["bias"])
            for e in range(c.n_routed_experts):
                q = m + f"experts.{e}."
                t[q + "gate_proj.weight"] = g.randn(c.moe_inter_dim, c.dim, std=L)
                t[q + "up_proj.weight"] = g.randn(c.moe_inter_dim, c.dim, std=L)
                t[q + "down_proj.weight"] = g.randn(c.dim, c.moe_inter_dim, std=L)
            if c.n_shared_experts:
                si = c.n_shared_experts * c.moe_inter_dim
                q = m + "shared_experts."
                t[q + "gate_proj.weight"] = g.randn(si, c.dim, std=L)
                t[q + "up_proj.weight"] = g.randn(si, c.dim, std=L)
                t[q + "down_proj.weight"] = g.randn(c.dim, si, std=L)
        if i >= c.n_layers:
            t[p + "enorm.weight"] = g.norm(c.dim)
            t[p + "hnorm.weight"] = g.norm(c.dim)
            t[p + "eh_proj.weight"] = g.randn(c.dim, 2 * c.dim, std=L)
            t[p + "shared_head.norm.weight"] = g.norm(c.dim)
            t[p + "shared_head.head.weight"] = g.randn(c.vocab_size, c.dim, std=std["head"])
    t["model.norm.weight"] = g.norm(c.dim)
    if not c.tie_word_embeddings:
        t["lm_head.weight"] = g.randn(c.vocab_size, c.dim, std=std["head"])
    return t


# ----------------------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------------------


def v3_config(**kw):
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        "vocab_size": 80,
        "hidden_size": 32,
        "intermediate_size": 48,
        "moe_intermediate_size": 8,
        "num_hidden_layers": 3,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "n_routed_experts": 8,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "n_group": 2,
        "topk_group": 1,
        "scoring_func": "sigmoid",
        "routed_scaling_factor": 2.5,
        "topk_method": "noaux_tc",
        "norm_topk_prob": True,
        "q_lora_rank": 16,
        "kv_lora_rank": 16,
        "qk_nope_head_dim": 8,
        "qk_rope_head_dim": 8,
        "v_head_dim": 8,
        "rms_norm_eps": 1e-06,
        "rope_theta": 10000.0,
        "max_position_embeddings": 256,
        "tie_word_embeddings": False,
        "num_nextn_predict_layers": 1,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "hidden_act": "silu",
        "attention_bias": False,
        "torch_dtype": "float32",
    }
    cfg.update(kw)
    return cfg


FIXTURES = {
    "train-v3": {
        "cfg": v3_config(),
        "B": 2, "T": 12, "lambda": 0.3, "alpha": 0.01, "gamma": 0.001, "seed": 1057, "dead_expert": [2, 7],
        "notes": "deepseek_v3: q_lora_rank 16, sigmoid scoring + e_score_correction_bias (noaux_tc), 8 routed "
                 "experts in 2 groups of 4 (group score = sum of the top-2 biased scores, keep 1 group), top-2, "
                 "renormalized, x2.5, 1 shared expert; layer 0 dense, layers 1-2 MoE; MTP depth 1 (layer 3, an "
                 "MoE block); no rope_scaling (plain interleaved RoPE, softmax_scale = 16^-0.5). B=2, T=12. "
                 "Expert 7 of layer 2 "
                 "is dead: its e_score_correction_bias starts at -1, so no token ever selects it; its weights get "
                 "zero gradients and AdamW only decays them (params_after = initial * prod_s (1 - lr_s * 0.1)), "
                 "while its gate row still gets a gradient from the balance loss (s' normalizes over all experts).",
    },
    "train-v2": {
        "cfg": v3_config(
            architectures=["DeepseekV2ForCausalLM"], model_type="deepseek_v2", vocab_size=64, q_lora_rank=None,
            scoring_func="softmax", topk_method="greedy", norm_topk_prob=False, n_group=1, topk_group=1,
            num_experts_per_tok=2, n_shared_experts=1, routed_scaling_factor=1.0, num_nextn_predict_layers=0,
            max_position_embeddings=128,
            rope_scaling={"type": "yarn", "factor": 4, "original_max_position_embeddings": 32, "beta_fast": 32,
                          "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}),
        "B": 1, "T": 16, "lambda": 0.0, "alpha": 0.01, "gamma": 0.0, "seed": 2001, "hp": {"max_grad_norm": 2.5},
        "notes": "deepseek_v2 as V2-Lite: plain q_proj (q_lora_rank null), softmax scoring, topk_method greedy "
                 "(top-2 of 8, no groups, no bias, so no bias update), weights not renormalized, x1.0, 1 shared "
                 "expert; layer 0 dense, layers 1-2 MoE; no MTP. YaRN factor 4 over original 32 "
                 "(max_position_embeddings 128), mscale_all_dim 0.707. B=1, T=16: grads_main.safetensors is "
                 "what a one-sequence loss-and-gradient command outputs. max_grad_norm 2.5 (not 1.0) so that some "
                 "steps are clipped and some are not (clipped_per_step).",
    },
    "train-mtp2": {
        "cfg": v3_config(
            vocab_size=64, num_hidden_layers=2, num_nextn_predict_layers=2, max_position_embeddings=256,
            rope_scaling={"type": "yarn", "factor": 4, "original_max_position_embeddings": 64, "beta_fast": 32,
                          "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}),
        "B": 2, "T": 12, "lambda": 0.3, "alpha": 0.01, "gamma": 0.001, "seed": 3147,
        "notes": "deepseek_v3 with MTP depth 2: main layers 0 (dense) and 1 (MoE), MTP modules at layers 2 and 3 "
                 "(both MoE blocks); module 2 reads module 1's block output. Routing as train-v3 (sigmoid + bias, "
                 "2 groups keep 1, top-2 of 8, x2.5, 1 shared). YaRN factor 4 over original 64 "
                 "(max_position_embeddings 256), mscale_all_dim 1.0. B=2, T=12.",
    },
}


# ----------------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------------


class TooClose(Exception):
    pass


def hyper(spec):
    hp = dict(HP)
    hp.update(spec.get("hp", {}))
    hp.update({"lambda": spec["lambda"], "alpha": spec["alpha"], "gamma": spec["gamma"]})
    return hp


def run(spec, seed, dtype=torch.float64, check_gap=True):
    """Draws weights + tokens for seed, trains. Returns (tensors0, tokens, model, hist, step0) or raises TooClose."""
    cfg = spec["cfg"]
    g = Gen(seed)
    t0 = init_tensors(cfg, g)
    tokens = g.tokens(cfg["vocab_size"], spec["B"], spec["T"])
    if "dead_expert" in spec:
        layer, e = spec["dead_expert"]
        t0[f"model.layers.{layer}.{tr.BIAS_SUFFIX}"][e] = -1.0
    hp = hyper(spec)
    model = tr.TrainRef(cfg, t0, dtype)
    step0 = {}

    def on_step(s, out, rec):
        gaps = [rec["min_expert_gap"]] + ([rec["min_group_gap"]] if rec["min_group_gap"] is not None else [])
        if check_gap and min(gaps) < MIN_GAP:
            raise TooClose(f"step {s}: gap {min(gaps):.2e}")
        if s == 0:
            step0["out"] = {k: out[k] for k in ("balance_per_layer", "loads", "records", "logits")}
        rec["unused_experts"] = {str(k): [int(e) for e in torch.where(v == 0)[0]]
                                 for k, v in sorted(out["loads"].items()) if bool((v == 0).any())}

    hist = tr.train(model, tokens, hp, on_step)
    return t0, tokens, model, hist, step0["out"]


def r12(x):
    """12 significant digits: float64 values that do not depend on the BLAS build's last bits."""
    return float(f"{float(x):.12g}")


def to_json(obj, indent=0):
    """Indented JSON whose lists without objects inside stay on one line (deterministic, floats as repr)."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and any(isinstance(x, dict) for x in obj):
        return "[\n" + ",\n".join(pad + to_json(x, indent + 1) for x in obj) + "\n" + " " * indent + "]"
    return json.dumps(obj, separators=(", ", ": "))


def f32(d):
    return {k: v.detach().to(torch.float32).contiguous() for k, v in d.items()}


def build(name, out_root, max_tries=500):
    spec = FIXTURES[name]
    cfg = spec["cfg"]
    hp = hyper(spec)
    seed = spec["seed"]
    tried = 0
    while True:
        tried += 1
        try:
            t0, tokens, model, hist, step0 = run(spec, seed)
            break
        except TooClose as e:
            print(f"  {name}: seed {seed} rejected ({e})")
            seed += 1
            if tried >= max_tries:
                raise SystemExit(f"{name}: no seed with selection gaps >= {MIN_GAP} in {max_tries} tries")
    if seed != spec["seed"]:
        print(f"  {name}: NOTE set FIXTURES['{name}']['seed'] = {seed} to skip the search next time")

    # gradients at the initial weights
    m0 = tr.TrainRef(cfg, t0)
    g_total, out0 = tr.grads_of(m0, tokens, "total", spec["lambda"], spec["alpha"])
    g_main, _ = tr.grads_of(m0, tokens, "main", spec["lambda"], spec["alpha"])

    # float32 run of the same reference: how far a correct float32 engine can be expected to land
    _, _, m32, hist32, _ = run(spec, seed, torch.float32, check_gap=False)
    m32g = tr.TrainRef(cfg, t0, torch.float32)
    g32, _ = tr.grads_of(m32g, tokens, "total", spec["lambda"], spec["alpha"])
    after = model.tensors()
    after32 = m32.tensors()

    def rel_max(a, b):
        return max(float((a[k].double() - b[k].double()).abs().max() / max(b[k].abs().max(), 1e-30)) for k in b)

    folder = os.path.join(out_root, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    stio.save_file(f32(t0), os.path.join(folder, "model.safetensors"))
    stio.save_file(f32(g_total), os.path.join(folder, "grads.safetensors"))
    stio.save_file(f32(g_main), os.path.join(folder, "grads_main.safetensors"))
    stio.save_file(f32(after), os.path.join(folder, "params_after.safetensors"))

    c = model.c
    routing = {}
    for b, rec in enumerate(step0["records"]):
        for r in rec:
            routing.setdefault(str(r["layer"]), []).append([sorted(x) for x in r["idx"].tolist()])
    D = c.num_nextn_predict_layers
    exp = {
        "fixture": name,
        "notes": spec["notes"],
        "tokens": tokens,
        "batch": spec["B"],
        "seq_len": spec["T"],
        "lambda": spec["lambda"],
        "alpha": spec["alpha"],
        "gamma": spec["gamma"],
        "mtp_depth": D,
        "moe_layers": model.moe_layer_ids(),
        "loss_total": r12(out0["total"]),
        "loss_main": r12(out0["main"]),
        "loss_mtp": [r12(x) for x in out0["mtp"]],
        "loss_mtp_weighted": r12(out0["mtp_total"]),
        "loss_balance": r12(out0["balance"]),
        "balance_per_layer": {str(k): r12(v) for k, v in sorted(step0["balance_per_layer"].items())},
        "expert_load_step0": {str(k): v.tolist() for k, v in sorted(step0["loads"].items())},
        "routing_step0": routing,
        "grad_norm_step0": r12(math.sqrt(sum(float((x * x).sum()) for x in g_total.values()))),
        "hyperparameters": {
            **{k: hp[k] for k in ("steps", "warmup_steps", "total_steps", "peak_lr", "min_lr", "betas", "eps",
                                  "weight_decay", "max_grad_norm")},
            "lr_schedule": {"type": "cosine", "peak_lr": hp["peak_lr"], "min_lr": hp["min_lr"],
                            "warmup_steps": hp["warmup_steps"], "total_steps": hp["total_steps"]},
            "lr_formula": tr.LR_FORMULA,
            "clip": tr.CLIP_FORMULA,
            "adamw": tr.ADAMW_FORMULA,
            "no_decay": "tensors with 1 dim (every RMSNorm weight); e_score_correction_bias is not trained",
            "bias_update": ("noaux_tc only, after each optimizer step, per MoE layer (main layers and MTP blocks "
                            "separately): load_i = number of (token, slot) assignments to expert i in that step's "
                            "forward over all sequences and positions the layer processed; b_i += gamma * "
                            "sign(mean(load) - load_i), sign(0) = 0"),
            "batch": "the same tokens every step",
        },
        "losses_per_step": [{"total": r12(h["total"]), "main": r12(h["main"]), "mtp": [r12(x) for x in h["mtp"]],
                             "balance": r12(h["balance"])} for h in hist],
        "grad_norm_per_step": [r12(h["grad_norm"]) for h in hist],
        "lr_per_step": [r12(h["lr"]) for h in hist],
        "clipped_per_step": [h["grad_norm"] > hp["max_grad_norm"] for h in hist],
        "routing_margin": {
            "required_min_relative_gap": MIN_GAP,
            "min_expert_gap_relative": sig(min(h["min_expert_gap"] for h in hist)),
            "min_group_gap_relative": (sig(min(h["min_group_gap"] for h in hist))
                                       if hist[0]["min_group_gap"] is not None else None),
            "definition": "over every token, MoE layer pass (main and MTP) and step: (a - b) / max(|a|, |b|) for "
                          "a, b the K-th and (K+1)-th selection scores among the kept groups' experts, and for the "
                          "topk_group-th and next group score; selection scores include the bias",
        },
        "init": {"seed": seed,
                 "std": dict(INIT),
                 "how": "F32 N(0, std^2): embed for model.embed_tokens; linear for every projection, expert, "
                        "shared expert and eh_proj; gate for mlp.gate.weight; head for lm_head and each MTP "
                        "shared_head.head (drawn independently, not a copy); norms 1 + N(0, norm_jitter^2); "
                        "e_score_correction_bias N(0, bias^2)"},
        "diagnostics": {
            "float32_reference_vs_float64": {
                "loss_total_rel_step0": sig(abs(hist32[0]["total"] - hist[0]["total"]) / hist[0]["total"]),
                "loss_total_rel_last": sig(abs(hist32[-1]["total"] - hist[-1]["total"]) / hist[-1]["total"]),
                "grads_max_rel_to_tensor_max": sig(rel_max(g32, g_total)),
                "params_after_max_rel_to_tensor_max": sig(rel_max(after32, after)),
            },
            "loss_drop_over_run": sig(hist[0]["total"] - hist[-1]["total"]),
            "experts_used_step0": {str(k): int((v > 0).sum()) for k, v in sorted(step0["loads"].items())},
            "unused_experts_per_step": [h["unused_experts"] for h in hist],
            "params_after_float32_max_abs_diff": sig(max(float((after32[k].double() - after[k]).abs().max())
                                                         for k in after)),
        },
        "files": {
            "model.safetensors": "initial weights, F32, HF names (e_score_correction_bias F32)",
            "grads.safetensors": "d loss_total / d weight at the initial weights, F32, every trained tensor (all "
                                 "names of model.safetensors except e_score_correction_bias), zeros for experts "
                                 "no token chose; before clipping",
            "grads_main.safetensors": "d loss_main / d weight, same names",
            "params_after.safetensors": "weights and e_score_correction_bias after the steps (AdamW + bias update), "
                                        "F32, same names as model.safetensors",
        },
    }
    with open(os.path.join(folder, "expected.json"), "w") as f:
        f.write(to_json(exp) + "\n")
    size = sum(os.path.getsize(os.path.join(folder, x)) for x in os.listdir(folder))
    return size, seed, exp


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
        size, seed, exp = build(n, a.out)
        print(f"{n:12s} {size / 1024:7.1f} KiB seed {seed} loss {exp['loss_total']:.6f} -> "
              f"{exp['losses_per_step'][-1]['total']:.6f} gap {exp['routing_margin']} "
              f"{json.dumps(exp['diagnostics'])}")


if __name__ == "__main__":
    main()
