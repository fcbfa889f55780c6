"""Writes tests/fixtures/optimizer/: what PyTorch's AdamW, gradient clipping and LR schedules compute, for the C++
optimizer tests (tests/unit/test_adamw.cpp, test_lr_schedule.cpp). Deterministic: reruns write identical files.

    /usr/bin/python3 tools/reference/make_optimizer_fixture.py

adamw.safetensors (f32):
    init.<param>          the parameters before the first step (HF names and shapes)
    grad.<k>.<param>      the gradient fed to step k (k = 0..STEPS-1), before clipping
    param.<k>.<param>     the parameters after step k
    m.<param>, v.<param>  exp_avg and exp_avg_sq after the last step
adamw.json: the AdamW hyper-parameters, max_norm, the schedule (seek's JSON form), the parameter list with its
    decay flag, and per step the learning rate used and the pre-clip total norm clip_grad_norm_ returned.
schedules.json: for several schedules, lr(s) for s = 0..total_steps+3, from the formulas below.

The run is torch.optim.AdamW with two parameter groups (weight_decay on / off) driven by LambdaLR, and
torch.nn.utils.clip_grad_norm_ before each step: exactly what seek's trainer does with AdamW::step(lr) and
clip_grad_norm.

Reference LR formulas (s = LambdaLR's step index = updates already taken; P peak, M min, W warmup, T total,
D decay steps) -- the usual "linear warmup then cosine to a floor" and "warmup-stable-decay" schedules:
    s < W:   P * s / W
    cosine:  M + (P - M) * 0.5 * (1 + cos(pi * (s - W) / (T - W)))  for W <= s <= T, M after
    wsd:     P for W <= s < T - D; then with q = (s - (T - D)) / D: M + (P - M) * (1 - q)  (linear)
             or M + (P - M) * 0.5 * (1 + cos(pi * q))  (cosine), M for s >= T
    constant: P after warmup
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "optimizer")

STEPS = 10
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1
MAX_NORM = 1.0
SCHEDULE = {"type": "cosine", "peak_lr": 0.01, "min_lr": 0.001, "warmup_steps": 3, "total_steps": 8}

# Odd sizes, so vector loops have tails; decay off for 1-D tensors (norm scales, biases), as seek's default rule.
PARAMS = [
    ("model.embed_tokens.weight", [37, 11], True),
    ("model.layers.0.input_layernorm.weight", [11], False),
    ("model.layers.0.mlp.gate.e_score_correction_bias", [5], False),
    ("model.layers.0.mlp.gate_proj.weight", [29, 11], True),
    ("model.layers.0.self_attn.q_proj.weight", [33, 67], True),
    ("lm_head.bias", [37], False),
]


def lr_at(sched, s):
    """The reference formula above, written independently of the C++ code."""
    P, M = sched["peak_lr"], sched.get("min_lr", 0.0)
    W = sched.get("warmup_steps", 0)
    if s < W:
        return P * s / W
    t = sched["type"]
    if t == "constant":
        return P
    T = sched["total_steps"]
    if s >= T:
        return M
    if t == "cosine":
        return M + (P - M) * 0.5 * (1.0 + math.cos(math.pi * (s - W) / (T - W)))
    D = sched["decay_steps"]
    if s < T - D:
        return P
    q = (s - (T - D)) / D
    f = 1.0 - q if sched.get("decay", "linear") == "linear" else 0.5 * (1.0 + math.cos(math.pi * q))
    return M + (P - M) * f


def optimizer_run():
    g = torch.Generator().manual_seed(1234)
    params = []
    for name, shape, _ in PARAMS:
        p = torch.nn.Parameter(torch.randn(shape, generator=g, dtype=torch.float32) * 0.5)
        params.append(p)
    tensors = {f"init.{n}": p.detach().clone() for (n, _, _), p in zip(PARAMS, params)}
    groups = [
        {"params": [p for p, (_, _, d) in zip(params, PARAMS) if d], "weight_decay": WEIGHT_DECAY},
        {"params": [p for p, (_, _, d) in zip(params, PARAMS) if not d], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=SCHEDULE["peak_lr"], betas=BETAS, eps=EPS)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(SCHEDULE, s) / SCHEDULE["peak_lr"])
    # Gradient scales chosen so the total norm (about 55 * scale) is above max_norm on some steps, below on others.
    scales = [0.004, 0.05, 0.01, 0.1, 0.002, 0.03, 0.008, 0.2, 0.015, 0.001]
    lrs, norms, clipped = [], [], []
    for k in range(STEPS):
        for (n, shape, _), p in zip(PARAMS, params):
            gk = torch.randn(shape, generator=g, dtype=torch.float32) * scales[k]
            gk[..., 0] += 0.3 * scales[k]  # a bias in the gradient, so m does not average out to ~0
            p.grad = gk
            tensors[f"grad.{k}.{n}"] = gk.clone()
        lrs.append(opt.param_groups[0]["lr"])
        assert opt.param_groups[1]["lr"] == lrs[-1]
        assert abs(lrs[-1] - lr_at(SCHEDULE, k)) <= 1e-15 * SCHEDULE["peak_lr"]
        norm = float(torch.nn.utils.clip_grad_norm_(params, MAX_NORM))
        norms.append(norm)
        clipped.append(norm > MAX_NORM)
        opt.step()
        sched.step()
        for (n, _, _), p in zip(PARAMS, params):
            tensors[f"param.{k}.{n}"] = p.detach().clone()
    assert any(clipped) and not all(clipped)
    for (n, _, _), p in zip(PARAMS, params):
        st = opt.state[p]
        tensors[f"m.{n}"] = st["exp_avg"].clone()
        tensors[f"v.{n}"] = st["exp_avg_sq"].clone()
        assert int(st["step"]) == STEPS
    save_file(tensors, os.path.join(OUT, "adamw.safetensors"), metadata={"format": "pt"})
    meta = {
        "steps": STEPS,
        "beta1": BETAS[0],
        "beta2": BETAS[1],
        "eps": EPS,
        "weight_decay": WEIGHT_DECAY,
        "max_norm": MAX_NORM,
        "schedule": SCHEDULE,
        "params": [{"name": n, "shape": s, "decay": d} for n, s, d in PARAMS],
        "lr": lrs,
        "grad_norm": norms,
        "clipped": clipped,
        "torch": torch.__version__,
    }
    with open(os.path.join(OUT, "adamw.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def schedules():
    cases = [
        {"type": "cosine", "peak_lr": 3e-4, "min_lr": 3e-5, "warmup_steps": 10, "total_steps": 50},
        {"type": "cosine", "peak_lr": 1e-3, "warmup_steps": 0, "total_steps": 17},
        {"type": "wsd", "peak_lr": 2.2e-4, "min_lr": 2.2e-5, "warmup_steps": 7, "total_steps": 60,
         "decay_steps": 20},
        {"type": "wsd", "peak_lr": 1e-3, "min_lr": 0.0, "warmup_steps": 5, "total_steps": 40, "decay_steps": 13,
         "decay": "cosine"},
        {"type": "constant", "peak_lr": 5e-4, "warmup_steps": 4},
        {"type": "constant", "peak_lr": 5e-4},
    ]
    out = []
    for c in cases:
        n = c.get("total_steps", 20) + 4
        out.append({"schedule": c, "lr": [lr_at(c, s) for s in range(n)]})
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    np.random.seed(0)
    optimizer_run()
    schedules()
    print("wrote", OUT)


if __name__ == "__main__":
    main()
