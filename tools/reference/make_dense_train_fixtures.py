"""Creates the dense-model training fixtures tests/fixtures/train-{qwen2,qwen2-tied,llama}/ and the LoRA fixture
tests/fixtures/lora-qwen2/ from dense_ref.DenseTrainRef (float64 autograd).

    /usr/bin/python3 tools/reference/make_dense_train_fixtures.py [--out tests/fixtures] [--only NAME ...]

train-*: config.json, model.safetensors (F32 initial weights, HF names), grads.safetensors (F32 d loss / d weight
at the initial weights, every tensor), params_after.safetensors (F32, after the AdamW steps) and expected.json
(tokens [B][T], loss, losses_per_step, grad_norm_per_step, lr_per_step, hyperparameters).

lora-qwen2: a PEFT-layout adapter for the base tests/fixtures/qwen2-tiny (its BF16 weights as stored, frozen):
adapter_config.json + adapter_model.safetensors (F32 lora_A / lora_B under PEFT's names), expected_logits.f32
(float32 [B*T, vocab], the adapted model's logits for every row of the batch), grads.safetensors (d loss / d lora
tensor, PEFT names), params_after.safetensors (the adapter after the AdamW steps) and expected.json.

The loss is the mean next-token cross-entropy over the batch's B x (T-1) predictions; the optimizer loop is
deepseek_train_ref's definitions (torch.optim.AdamW, decay on 2-D tensors only, global-norm clipping, warmup +
cosine lr(s)). Deterministic: rerunning writes byte-identical files.
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
from dense_ref import DenseTrainRef, lora_names  # noqa: E402
from make_train_fixtures import r12, to_json, f32  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
HP = {"steps": 4, "warmup_steps": 1, "total_steps": 3, "peak_lr": 3e-3, "min_lr": 3e-4, "betas": [0.9, 0.95],
      "eps": 1e-8, "weight_decay": 0.1, "max_grad_norm": 1.0}
INIT = {"embed": 0.1, "linear": 0.08, "head": 0.08, "norm_jitter": 0.1, "bias": 0.1}


def dense_cfg(model_type, **kw):
    cfg = {
        "architectures": ["Qwen2ForCausalLM" if model_type == "qwen2" else "LlamaForCausalLM"],
        "model_type": model_type,
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "max_position_embeddings": 256,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "torch_dtype": "float32",
    }
    cfg.update(kw)
    return cfg


FIXTURES = {
    "train-qwen2": {
        "cfg": dense_cfg("qwen2"), "B": 2, "T": 10, "seed": 501,
        "notes": "Qwen2ForCausalLM, untied head, GQA 4 query / 2 KV heads (head_dim 8), q/k/v biases (drawn "
                 "non-zero so their gradients are checked), rope_theta 1e6. B=2, T=10.",
    },
    "train-qwen2-tied": {
        "cfg": dense_cfg("qwen2", tie_word_embeddings=True, rope_theta=10000.0), "B": 2, "T": 10, "seed": 502,
        "notes": "Qwen2ForCausalLM with tie_word_embeddings: the embedding is also the head (no lm_head.weight); "
                 "its gradient sums the lookup's and the head's. GQA 4/2, biases, theta 1e4. B=2, T=10.",
    },
    "train-llama": {
        "cfg": dense_cfg("llama", rms_norm_eps=1e-05, rope_theta=10000.0, head_dim=12, attention_bias=False,
                         mlp_bias=False,
                         rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
        "B": 2, "T": 10, "seed": 504,
        "notes": "LlamaForCausalLM, no biases, explicit head_dim 12 (q_proj 48 x 32, not hidden / heads), GQA 4/2, "
                 "rope_scaling llama3 (factor 8, low 1, high 4, original 64) over theta 1e4: of the 6 frequencies 1 "
                 "is unchanged, 1 interpolated and 4 divided by 8. B=2, T=10.",
    },
}

LORA = {
    "name": "lora-qwen2", "base": "qwen2-tiny", "B": 2, "T": 12, "seed": 601, "r": 4, "alpha": 8,
    "targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    "notes": "LoRA rank 4, alpha 8 (scaling alpha / r = 2) on every projection of every layer of the BF16 base "
             "tests/fixtures/qwen2-tiny (frozen, read as stored). lora_A drawn N(0, 1/in), lora_B N(0, 0.02^2) "
             "(not PEFT's zero init, so the adapter changes the logits and both factors get gradients).",
}


class Gen:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, std=1.0):
        return torch.randn(*shape, generator=self.g, dtype=torch.float32) * std

    def tokens(self, vocab, B, T):
        out = []
        for b in range(B):
            r = torch.randint(1, vocab - 1, (T,), generator=self.g).tolist()
            r[1 + b] = 0
            r[T // 2 + b] = vocab - 1
            r[T - 2] = r[2]
            out.append([int(t) for t in r])
        return out


def init_tensors(cfg, g):
    D, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or D // H
    L = INIT["linear"]
    bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    t = {"model.embed_tokens.weight": g.randn(V, D, std=INIT["embed"])}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = 1.0 + g.randn(D, std=INIT["norm_jitter"])
        a = p + "self_attn."
        t[a + "q_proj.weight"] = g.randn(H * hd, D, std=L)
        t[a + "k_proj.weight"] = g.randn(KV * hd, D, std=L)
        t[a + "v_proj.weight"] = g.randn(KV * hd, D, std=L)
        t[a + "o_proj.weight"] = g.randn(D, H * hd, std=L)
        if bias:
            t[a + "q_proj.bias"] = g.randn(H * hd, std=INIT["bias"])
            t[a + "k_proj.bias"] = g.randn(KV * hd, std=INIT["bias"])
            t[a + "v_proj.bias"] = g.randn(KV * hd, std=INIT["bias"])
        t[p + "post_attention_layernorm.weight"] = 1.0 + g.randn(D, std=INIT["norm_jitter"])
        m = p + "mlp."
        t[m + "gate_proj.weight"] = g.randn(I, D, std=L)
        t[m + "up_proj.weight"] = g.randn(I, D, std=L)
        t[m + "down_proj.weight"] = g.randn(D, I, std=L)
    t["model.norm.weight"] = 1.0 + g.randn(D, std=INIT["norm_jitter"])
    if not cfg.get("tie_word_embeddings"):
        t["lm_head.weight"] = g.randn(V, D, std=INIT["head"])
    return t


def train(model, batch, hp):
    """The AdamW loop: forward + backward of the loss, clip, AdamW step with lr(s). Returns per-step records."""
    params = list(model.params.values())
    dec = [p for p in params if tr.decays(p)]
    nodec = [p for p in params if not tr.decays(p)]
    opt = torch.optim.AdamW([{"params": dec, "weight_decay": hp["weight_decay"]},
                             {"params": nodec, "weight_decay": 0.0}],
                            lr=hp["peak_lr"], betas=tuple(hp["betas"]), eps=hp["eps"], foreach=False)
    hist = []
    for s in range(hp["steps"]):
        lr = tr.lr_at(s, hp)
        for grp in opt.param_groups:
            grp["lr"] = lr
        for p in params:
            p.grad = None
        L = model.loss(batch)
        L.backward()
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        norm = float(torch.nn.utils.clip_grad_norm_(params, hp["max_grad_norm"]))
        opt.step()
        hist.append({"loss": float(L), "grad_norm": norm, "lr": lr})
    return hist


def float32_spread(cfg, t0, tokens, after, lora=None):
    """How far a float32 run of the same reference lands from float64 after the AdamW steps (max abs over every
    trained tensor). Seeds are chosen so this stays small: a gradient element near 0 makes AdamW's first update
    +-lr on a sign that float32 rounding can flip."""
    m32 = DenseTrainRef(cfg, t0, torch.float32, lora=lora)
    train(m32, tokens, HP)
    return float(f"{max(float((m32.params[k].double() - after[k].double()).abs().max()) for k in after):.3g}")


def hp_json(hp):
    return {**{k: hp[k] for k in ("steps", "warmup_steps", "total_steps", "peak_lr", "min_lr", "betas", "eps",
                                  "weight_decay", "max_grad_norm")},
            "lr_schedule": {"type": "cosine", "peak_lr": hp["peak_lr"], "min_lr": hp["min_lr"],
                            "warmup_steps": hp["warmup_steps"], "total_steps": hp["total_steps"]},
            "lr_formula": tr.LR_FORMULA, "clip": tr.CLIP_FORMULA, "adamw": tr.ADAMW_FORMULA,
            "no_decay": "tensors with 1 dim (RMSNorm weights, biases)", "batch": "the same tokens every step"}


def fresh(folder):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


def write_json(path, obj):
    with open(path, "w") as f:
        f.write(to_json(obj) + "\n")


def build_train(name, out_root):
    spec = FIXTURES[name]
    cfg = spec["cfg"]
    g = Gen(spec["seed"])
    t0 = init_tensors(cfg, g)
    tokens = g.tokens(cfg["vocab_size"], spec["B"], spec["T"])
    loss0, grads = DenseTrainRef(cfg, t0).grads(tokens)
    model = DenseTrainRef(cfg, t0)
    hist = train(model, tokens, HP)
    folder = os.path.join(out_root, name)
    fresh(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    stio.save_file(f32(t0), os.path.join(folder, "model.safetensors"))
    stio.save_file(f32(grads), os.path.join(folder, "grads.safetensors"))
    stio.save_file(f32(model.params), os.path.join(folder, "params_after.safetensors"))
    exp = {"fixture": name, "notes": spec["notes"], "tokens": tokens, "batch": spec["B"], "seq_len": spec["T"],
           "loss": r12(loss0),
           "grad_norm_step0": r12(math.sqrt(sum(float((x * x).sum()) for x in grads.values()))),
           "hyperparameters": hp_json(HP),
           "losses_per_step": [r12(h["loss"]) for h in hist],
           "grad_norm_per_step": [r12(h["grad_norm"]) for h in hist],
           "lr_per_step": [r12(h["lr"]) for h in hist],
           "init": {"seed": spec["seed"], "std": dict(INIT)},
           "params_after_float32_reference_max_abs_diff": float32_spread(cfg, t0, tokens, model.params),
           "definition": "loss = mean next-token cross-entropy over the B x (T-1) predictions, each sequence from "
                         "rope position 0; the forward is dense_ref.DenseRef's"}
    write_json(os.path.join(folder, "expected.json"), exp)
    return folder, exp


def modules_of(cfg, targets):
    mods = []
    for i in range(cfg["num_hidden_layers"]):
        for t in targets:
            sub = "mlp." if t in ("gate_proj", "up_proj", "down_proj") else "self_attn."
            mods.append(f"model.layers.{i}.{sub}{t}")
    return mods


def build_lora(out_root):
    spec = LORA
    base_dir = os.path.join(out_root, spec["base"])
    with open(os.path.join(base_dir, "config.json")) as f:
        cfg = json.load(f)
    base = stio.load_model_folder(base_dir)  # BF16 as stored
    g = Gen(spec["seed"])
    lt = {}
    for m in modules_of(cfg, spec["targets"]):
        w = base[m + ".weight"]
        a, b = lora_names(m)
        lt[a] = g.randn(spec["r"], w.shape[1], std=1.0 / math.sqrt(w.shape[1]))
        lt[b] = g.randn(w.shape[0], spec["r"], std=0.02)
    tokens = g.tokens(cfg["vocab_size"], spec["B"], spec["T"])
    lora = {"scaling": spec["alpha"] / spec["r"], "tensors": lt}
    ref = DenseTrainRef(cfg, base, lora=lora)
    with torch.no_grad():
        logits = torch.cat([ref.logits(s) for s in tokens], 0)
        base_logits = torch.cat([DenseTrainRef(cfg, base).logits(s) for s in tokens], 0)
    loss0, grads = ref.grads(tokens)
    model = DenseTrainRef(cfg, base, lora=lora)
    hist = train(model, tokens, HP)
    folder = os.path.join(out_root, spec["name"])
    fresh(folder)
    adapter_config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "../" + spec["base"],
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "lora_alpha": spec["alpha"], "lora_dropout": 0.0,
        "modules_to_save": None, "peft_type": "LORA", "r": spec["r"], "rank_pattern": {}, "revision": None,
        "target_modules": sorted(spec["targets"]), "task_type": "CAUSAL_LM", "use_dora": False,
        "use_rslora": False}
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump(adapter_config, f, indent=2, sort_keys=True)
        f.write("\n")
    stio.save_file(f32(lt), os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    stio.save_file(f32(grads), os.path.join(folder, "grads.safetensors"))
    stio.save_file(f32(model.params), os.path.join(folder, "params_after.safetensors"))
    with open(os.path.join(folder, "expected_logits.f32"), "wb") as f:
        f.write(logits.to(torch.float32).contiguous().numpy().tobytes())
    exp = {"fixture": spec["name"], "notes": spec["notes"], "base": spec["base"], "tokens": tokens,
           "batch": spec["B"], "seq_len": spec["T"], "r": spec["r"], "lora_alpha": spec["alpha"],
           "scaling": spec["alpha"] / spec["r"], "shape": [spec["B"] * spec["T"], cfg["vocab_size"]],
           "loss": r12(loss0), "hyperparameters": hp_json(HP),
           "losses_per_step": [r12(h["loss"]) for h in hist],
           "grad_norm_per_step": [r12(h["grad_norm"]) for h in hist],
           "lr_per_step": [r12(h["lr"]) for h in hist],
           "adapter_changes_logits_by": r12(float((logits - base_logits).abs().max())),
           "params_after_float32_reference_max_abs_diff": float32_spread(cfg, base, tokens, model.params, lora),
           "definition": "logits of the base with W + scaling * lora_B @ lora_A for every adapted projection "
                         "(peft.tuners.lora.Linear's forward), rows of sequence 0 then sequence 1; loss as train-*"}
    write_json(os.path.join(folder, "expected.json"), exp)
    return folder, exp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--only", nargs="*", help="build only these fixtures")
    a = ap.parse_args()
    torch.set_num_threads(1)
    names = a.only or list(FIXTURES) + [LORA["name"]]
    for n in names:
        folder, exp = build_lora(a.out) if n == LORA["name"] else build_train(n, a.out)
        size = sum(os.path.getsize(os.path.join(folder, x)) for x in os.listdir(folder))
        print(f"{n:18s} {size / 1024:7.1f} KiB loss {exp['loss']:.6f} -> {exp['losses_per_step'][-1]:.6f}")


if __name__ == "__main__":
    main()
