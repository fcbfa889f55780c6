"""Self-checks of the training reference and its fixtures (not CI; /usr/bin/python3 with torch + numpy).

    /usr/bin/python3 tools/reference/check_train_reference.py [--fixtures tests/fixtures] [--no-regen] [--quick]

For every tests/fixtures/train-* folder:
 1. Stored files: names (grads = every weight but e_score_correction_bias; params_after = every weight),
    F32 everywhere, folder < 1 MB; expected.json losses equal a fresh float64 recomputation.
 2. The training forward's main logits equal deepseek_ref.py's inference logits (absorbed and naive MLA).
 3. grads_main equals the gradient of the mean next-token cross-entropy taken through deepseek_ref.py's own
    inference forward (absorbed MLA, its MoE loop) with autograd leaves swapped in.
 4. Autograd gradients of loss_total equal central finite differences (4th order, float64) on random
    coordinates of every trained tensor (1e-6 relative), with the expert selection unchanged by the probe;
    stored grads.safetensors equal the fresh autograd gradients to F32 rounding.
 5. Causal alignment of MTP: module k's row i depends on tokens t_0..t_{i+k} and on nothing later.
 6. The balance loss recomputed with plain loops from the routing scores; the selection recomputed with a
    plain per-token loop (bias, groups, top-k) from the same scores.
 7. The 10-step run replayed with a hand-written AdamW / clip / lr schedule / bias update that follows the
    formulas written into expected.json (not torch.optim): params_after, losses, grad norms and lrs agree.
 8. A float32 run of the reference selects exactly the same experts as float64 at every step.
 9. The dead expert of train-v3 is only decayed: params_after = initial * prod_s (1 - lr_s * wd).
10. train_peer.py (the PyTorch speed peer) gives the same step-0 losses (1e-5) and gradients, and the same
    10-step run, in float32.
11. Regenerating the fixtures reproduces identical bytes.
"""

import argparse
import filecmp
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as stio  # noqa: E402
import deepseek_ref as dsr  # noqa: E402
import deepseek_train_ref as tr  # noqa: E402
import make_train_fixtures as mtf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
FAILS = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        FAILS.append(what)


def load(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    exp = json.load(open(os.path.join(d, "expected.json")))
    w, dts = stio.load_file(os.path.join(d, "model.safetensors"), with_dtypes=True)
    return cfg, exp, w, dts


def rel(a, b):
    return abs(float(a) - float(b)) / max(abs(float(b)), 1e-300)


def check_files(n, d, cfg, exp, w, dts):
    size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
    files = sorted(os.listdir(d))
    want = sorted(["config.json", "model.safetensors", "grads.safetensors", "grads_main.safetensors",
                   "params_after.safetensors", "expected.json"])
    g, gd = stio.load_file(os.path.join(d, "grads.safetensors"), with_dtypes=True)
    gm, gmd = stio.load_file(os.path.join(d, "grads_main.safetensors"), with_dtypes=True)
    pa, pad = stio.load_file(os.path.join(d, "params_after.safetensors"), with_dtypes=True)
    trained = sorted(k for k in w if tr.is_trained(k))
    ok = (files == want and set(dts.values()) == {"F32"} and set(gd.values()) == {"F32"}
          and set(gmd.values()) == {"F32"} and set(pad.values()) == {"F32"}
          and sorted(g) == trained and sorted(gm) == trained and sorted(pa) == sorted(w)
          and all(g[k].shape == w[k].shape and pa[k].shape == w[k].shape for k in g))
    L = cfg["num_hidden_layers"]
    mtp_extra = all(f"model.layers.{L + k}.{x}.weight" in w for k in range(cfg.get("num_nextn_predict_layers", 0))
                    for x in ("enorm", "hnorm", "eh_proj", "shared_head.norm", "shared_head.head"))
    no_copy = not any(k.endswith("embed_tokens.weight") and k != "model.embed_tokens.weight" for k in w)
    check(ok and mtp_extra and no_copy and size < 1024 * 1024,
          f"{n}: {len(w)} tensors ({len(trained)} trained), all F32, grads/params_after names match, MTP tensors "
          f"present (no embed_tokens copy), {size // 1024} KiB")
    toks = exp["tokens"]
    V = cfg["vocab_size"]
    flat = [t for s in toks for t in s]
    check(len(toks) == exp["batch"] and all(len(s) == exp["seq_len"] for s in toks) and 0 in flat and V - 1 in flat
          and all(0 <= t < V for t in flat), f"{n}: tokens {exp['batch']} x {exp['seq_len']} incl. 0 and vocab-1")
    return g, gm, pa


def check_losses_and_logits(n, d, cfg, exp, w):
    m = tr.TrainRef(cfg, w)
    with torch.no_grad():
        out = m.losses(exp["tokens"], exp["lambda"], exp["alpha"])
    e = max(rel(out["total"], exp["loss_total"]), rel(out["main"], exp["loss_main"]),
            rel(out["balance"], exp["loss_balance"]),
            max([rel(a, b) for a, b in zip(out["mtp"], exp["loss_mtp"])], default=0.0))
    lp = exp["losses_per_step"][0]
    check(e < 1e-11 and lp["total"] == exp["loss_total"] and len(exp["loss_mtp"]) == exp["mtp_depth"],
          f"{n}: losses recomputed from the stored F32 weights: total {float(out['total']):.6f} main "
          f"{float(out['main']):.6f} mtp {[round(float(x), 6) for x in out['mtp']]} bal {float(out['balance']):.6f} "
          f"(rel diff {e:.1e}; expected.json keeps 12 significant digits)")
    tot = float(out["main"]) + float(out["mtp_total"]) + float(out["balance"])
    D = exp["mtp_depth"]
    mtp_w = exp["lambda"] / D * sum(exp["loss_mtp"]) if D else 0.0
    check(abs(tot - float(out["total"])) < 1e-12 and rel(mtp_w, exp["loss_mtp_weighted"]) < 1e-11,
          f"{n}: total = main + (lambda/D) sum_k L^k + balance")
    ref = dsr.DeepSeekRef(d)
    worst = 0.0
    for b, toks in enumerate(exp["tokens"]):
        for impl in ("absorb", "naive"):
            worst = max(worst, float((ref.forward(toks, impl) - out["logits"][b]).abs().max()))
    check(worst < 1e-12, f"{n}: training forward logits == deepseek_ref inference logits (absorb and naive): "
                         f"{worst:.1e}")
    return m, out


def check_grads_main_via_inference(n, d, cfg, exp, gm_stored):
    """grads_main through deepseek_ref.DeepSeekRef's own forward (absorbed MLA, in-place MoE accumulation)."""
    ref = dsr.DeepSeekRef(d)
    leaves = {k: v.clone().requires_grad_(tr.is_trained(k)) for k, v in ref.w.items()}
    ref.w = leaves
    B = len(exp["tokens"])
    T = len(exp["tokens"][0])
    loss = 0.0
    for toks in exp["tokens"]:
        lg = ref.forward(toks, "absorb")
        loss = loss + F.cross_entropy(lg[:-1], torch.tensor(toks[1:]), reduction="sum")
    (loss / (B * (T - 1))).backward()
    worst = 0.0
    for k, g in gm_stored.items():
        mine = leaves[k].grad if leaves[k].grad is not None else torch.zeros_like(leaves[k])
        worst = max(worst, float((mine.float() - g).abs().max() / max(float(g.abs().max()), 1e-30)))
    check(worst < 1e-6, f"{n}: grads_main == gradient through the inference reference's forward (absorbed MLA): "
                        f"max rel {worst:.1e}")


def check_fd(n, cfg, exp, w, g_stored, coords_per_tensor, seed):
    m = tr.TrainRef(cfg, w)
    g, out0 = tr.grads_of(m, exp["tokens"], "total", exp["lambda"], exp["alpha"])
    e = max(float((g[k].float() - g_stored[k]).abs().max() / max(float(g[k].abs().max()), 1e-30)) for k in g)
    check(e < 1e-6, f"{n}: stored grads.safetensors == fresh float64 autograd (F32 rounding): {e:.1e}")
    base_sel = [[r["idx"].clone() for r in rec] for rec in out0["records"]]
    rng = random.Random(seed)
    worst, worst_name, count, zeros_ok, sel_ok = 0.0, "", 0, True, True

    def loss_at(p, i, delta):
        with torch.no_grad():
            old = float(p.view(-1)[i])
            p.view(-1)[i] = old + delta
            o = m.losses(exp["tokens"], exp["lambda"], exp["alpha"])
            p.view(-1)[i] = old
        same = all(torch.equal(r["idx"], s) for rec, srec in zip(o["records"], base_sel) for r, s in zip(rec, srec))
        return float(o["total"]), same

    for name, p in m.params.items():
        gf = g[name].view(-1)
        gmax = float(gf.abs().max())
        if gmax == 0.0:
            # an expert no token chose: the loss must not move at all
            i = rng.randrange(gf.numel())
            lp, s1 = loss_at(p, i, 1e-3)
            lm, s2 = loss_at(p, i, -1e-3)
            zeros_ok &= lp == lm == float(out0["total"])
            sel_ok &= s1 and s2
            continue
        cand = torch.where(gf.abs() >= max(1e-4, 1e-2 * gmax))[0].tolist()
        if not cand:
            cand = [int(gf.abs().argmax())]
        for i in rng.sample(cand, min(coords_per_tensor, len(cand))):
            h = 1e-4
            f1, a = loss_at(p, i, h)
            f_1, b = loss_at(p, i, -h)
            f2, c = loss_at(p, i, 2 * h)
            f_2, d = loss_at(p, i, -2 * h)
            sel_ok &= a and b and c and d
            fd = (8 * (f1 - f_1) - (f2 - f_2)) / (12 * h)
            err = abs(fd - float(gf[i])) / abs(float(gf[i]))
            count += 1
            if err > worst:
                worst, worst_name = err, name
    check(worst < 1e-6 and zeros_ok and sel_ok,
          f"{n}: autograd == finite differences on {count} coordinates of {len(m.params)} tensors: max rel "
          f"{worst:.1e} ({worst_name}); zero-gradient tensors do not move the loss; no probe changed a selection")


def check_mtp_alignment(n, cfg, exp, w):
    """Module k row i must depend on tokens t_0..t_{i+k} only (h^0_i sees t_0..t_i, Emb(t_{i+k}))."""
    if not cfg.get("num_nextn_predict_layers"):
        return
    m = tr.TrainRef(cfg, w)
    toks = list(exp["tokens"][0])
    T = len(toks)
    V = cfg["vocab_size"]
    ok = True
    with torch.no_grad():
        _, base = m.sequence(toks, [])
        for j in (3, T // 2, T - 1):
            alt = list(toks)
            alt[j] = (alt[j] + 7) % V
            _, mt = m.sequence(alt, [])
            for k, (a, b) in enumerate(zip(base, mt), start=1):
                diff = (a - b).abs().amax(-1)  # per row i
                for i in range(T - k):
                    changed = float(diff[i]) > 1e-12
                    ok &= changed == (i + k >= j)
    check(ok, f"{n}: MTP module k row i depends exactly on tokens t_0..t_(i+k) (perturbing t_j changes rows i >= j-k)")


def check_balance_and_selection(n, cfg, exp, out, model):
    c = model.c
    worst, sel_ok = 0.0, True
    B = len(exp["tokens"])
    total = 0.0
    for rec in out["records"]:
        for r in rec:
            s = r["scores"].detach().tolist()
            Ts, E = len(s), len(s[0])
            K = c.n_activated_experts
            bias = None
            if c.topk_method == "noaux_tc":
                bias = model.w[f"model.layers.{r['layer']}.{tr.BIAS_SUFFIX}"].tolist()
            chosen = []
            for t in range(Ts):
                sel = [s[t][e] + (bias[e] if bias else 0.0) for e in range(E)]
                allowed = list(range(E))
                if c.n_group > 1 and c.topk_method != "greedy":
                    gsz = E // c.n_group
                    gsc = []
                    for gi in range(c.n_group):
                        v = sorted(sel[gi * gsz:(gi + 1) * gsz], reverse=True)
                        gsc.append(v[0] + v[1] if bias else v[0])
                    keep = sorted(range(c.n_group), key=lambda x: -gsc[x])[:c.topk_group]
                    allowed = [e for e in range(E) if e // gsz in keep]
                top = sorted(allowed, key=lambda e: -sel[e])[:K]
                chosen.append(set(top))
                sel_ok &= set(top) == set(r["idx"][t].tolist())
            f = [E / (K * Ts) * sum(1 for t in range(Ts) if e in chosen[t]) for e in range(E)]
            P = [sum(s[t][e] / sum(s[t]) for t in range(Ts)) / Ts for e in range(E)]
            lay = sum(fi * pi for fi, pi in zip(f, P))
            worst = max(worst, abs(lay - float(r["balance"])))
            total += lay
    lbal = exp["alpha"] * total / B
    check(worst < 1e-12 and sel_ok and rel(lbal, exp["loss_balance"]) < 1e-11,
          f"{n}: balance loss and expert selection recomputed with plain loops (per layer {worst:.1e}, "
          f"L_bal rel {rel(lbal, exp['loss_balance']):.1e})")


def replay(cfg, exp, w):
    """The run with a hand-written optimizer following the formulas in expected.json."""
    hp = exp["hyperparameters"]
    S, W, T, peak, lo = hp["steps"], hp["warmup_steps"], hp["total_steps"], hp["peak_lr"], hp["min_lr"]
    b1, b2 = hp["betas"]
    eps, wd, maxn = hp["eps"], hp["weight_decay"], hp["max_grad_norm"]
    m = tr.TrainRef(cfg, w)
    mom = {k: torch.zeros_like(p) for k, p in m.params.items()}
    vel = {k: torch.zeros_like(p) for k, p in m.params.items()}
    losses, norms, lrs = [], [], []
    for s in range(S):
        lr = peak * s / W if s < W else lo + (peak - lo) * 0.5 * (1 + math.cos(math.pi * (s - W) / (T - W)))
        g, out = tr.grads_of(m, exp["tokens"], "total", exp["lambda"], exp["alpha"])
        norm = math.sqrt(sum(float((x * x).sum()) for x in g.values()))
        scale = min(1.0, maxn / (norm + 1e-6))
        t = s + 1
        with torch.no_grad():
            for k, p in m.params.items():
                gg = g[k] * scale
                if p.dim() >= 2:
                    p.mul_(1 - lr * wd)
                mom[k] = b1 * mom[k] + (1 - b1) * gg
                vel[k] = b2 * vel[k] + (1 - b2) * gg * gg
                p.sub_((lr / (1 - b1 ** t)) * mom[k] / (vel[k].sqrt() / math.sqrt(1 - b2 ** t) + eps))
            if m.c.topk_method == "noaux_tc":
                for layer in m.moe_layer_ids():
                    load = torch.zeros(m.c.n_routed_experts, dtype=torch.float64)
                    for rec in out["records"]:
                        for r in rec:
                            if r["layer"] == layer:
                                for e in r["idx"].flatten().tolist():
                                    load[e] += 1
                    mean = float(load.mean())
                    bias = m.w[f"model.layers.{layer}.{tr.BIAS_SUFFIX}"]
                    for e in range(len(load)):
                        d = mean - float(load[e])
                        bias[e] += exp["gamma"] * (1.0 if d > 0 else -1.0 if d < 0 else 0.0)
        losses.append(float(out["total"]))
        norms.append(norm)
        lrs.append(lr)
    return m, losses, norms, lrs


def check_replay(n, cfg, exp, w, pa):
    m, losses, norms, lrs = replay(cfg, exp, w)
    after = m.tensors()
    ep = max(float((after[k].float() - pa[k]).abs().max()) for k in pa)
    el = max(rel(a, b["total"]) for a, b in zip(losses, exp["losses_per_step"]))
    en = max(rel(a, b) for a, b in zip(norms, exp["grad_norm_per_step"]))
    elr = max(abs(a - b) / exp["hyperparameters"]["peak_lr"] for a, b in zip(lrs, exp["lr_per_step"]))
    hp = exp["hyperparameters"]
    W, S = hp["warmup_steps"], hp["steps"]
    lrs_e = exp["lr_per_step"]
    shape_ok = (lrs_e[0] == 0.0 and abs(lrs_e[W] - hp["peak_lr"]) < 1e-15 and abs(lrs_e[-1] - hp["min_lr"]) < 1e-15
                and hp["total_steps"] == S - 1 and all(a < b for a, b in zip(lrs_e[:W], lrs_e[1:W + 1]))
                and all(a > b for a, b in zip(lrs_e[W:], lrs_e[W + 1:])))
    clip_ok = exp["clipped_per_step"] == [x > hp["max_grad_norm"] for x in exp["grad_norm_per_step"]]
    bias_moved = [k for k in pa if not tr.is_trained(k) and not torch.equal(pa[k], w[k])]
    check(ep < 1e-6 and el < 1e-11 and en < 1e-11 and elr < 1e-11 and shape_ok and clip_ok,
          f"{n}: hand-written AdamW/clip/lr/bias replay == fixture: params_after {ep:.1e} (F32 rounding), losses "
          f"{el:.1e}, grad norms {en:.1e}, lr {elr:.1e}; lr 0 at step 0, rises to peak at step {W} and falls to "
          f"min_lr at step {S - 1}; clipped on {sum(exp['clipped_per_step'])}/{S} steps; {len(bias_moved)} biases "
          f"moved")
    return m


def check_float32_routing(n, cfg, exp, w):
    """Run float64 and float32 references step by step; the selections must agree everywhere."""
    hp = exp["hyperparameters"]
    hp = {**hp, "lambda": exp["lambda"], "alpha": exp["alpha"], "gamma": exp["gamma"]}
    sels = {}
    for dt in (torch.float64, torch.float32):
        m = tr.TrainRef(cfg, w, dt)
        sels[dt] = []
        tr.train(m, exp["tokens"], hp, lambda s, out, rec: sels[dt].append(
            [r["idx"].clone() for rec_ in out["records"] for r in rec_]))
    same = all(torch.equal(a, b) for s64, s32 in zip(sels[torch.float64], sels[torch.float32])
               for a, b in zip(s64, s32))
    npass = len(sels[torch.float64][0])
    check(same, f"{n}: a float32 run selects the same experts as float64 at all {hp['steps']} steps x {npass} MoE "
                f"passes (min relative gap {exp['routing_margin']['min_expert_gap_relative']}, group "
                f"{exp['routing_margin']['min_group_gap_relative']})")


def check_dead_expert(n, exp, w, pa):
    spec = mtf.FIXTURES.get(n, {})
    if "dead_expert" not in spec:
        return
    layer, e = spec["dead_expert"]
    wd = exp["hyperparameters"]["weight_decay"]
    fac = 1.0
    for lr in exp["lr_per_step"]:
        fac *= 1 - lr * wd
    p = f"model.layers.{layer}.mlp.experts.{e}."
    err = max(float((pa[p + x] .double() - w[p + x].double() * fac).abs().max()) for x in
              ("gate_proj.weight", "up_proj.weight", "down_proj.weight"))
    never = all(e not in sum(seq, []) for seq in exp["routing_step0"][str(layer)])
    row_moved = float((pa[f"model.layers.{layer}.mlp.gate.weight"][e] - w[f"model.layers.{layer}.mlp.gate.weight"][e])
                      .abs().max())
    check(err < 1e-7 and never and row_moved > 1e-4,
          f"{n}: dead expert {e} of layer {layer}: never selected, weights only decayed by prod(1 - lr*wd) = {fac:.6f} "
          f"({err:.1e}), its gate row still trained (moved {row_moved:.1e})")


def check_peer(n, d):
    """train_peer.py (the speed peer) computes the same losses, gradients and 10-step run in float32."""
    r = subprocess.run([sys.executable, os.path.join(HERE, "train_peer.py"), "--check", d, "--threads", "1"],
                       capture_output=True, text=True)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {"ok": False, "error": r.stderr[-500:]}
    check(r.returncode == 0 and res.get("ok"), f"{n}: train_peer.py float32 matches: {json.dumps(res)}")


def check_regen(fixdir, names):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(HERE, "make_train_fixtures.py"), "--out", tmp, "--only", *names],
                       check=True, stdout=subprocess.DEVNULL)
        same = True
        for n in names:
            a, b = os.path.join(fixdir, n), os.path.join(tmp, n)
            files = sorted(os.listdir(a))
            if files != sorted(os.listdir(b)):
                same = False
                continue
            _, mism, errs = filecmp.cmpfiles(a, b, files, shallow=False)
            if mism or errs:
                same = False
                print("    differs:", n, mism, errs)
        check(same, "regenerating the training fixtures reproduces identical bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--no-regen", action="store_true")
    ap.add_argument("--quick", action="store_true", help="1 finite-difference coordinate per tensor instead of 2")
    a = ap.parse_args()
    torch.set_num_threads(1)
    names = sorted(x for x in os.listdir(a.fixtures) if x.startswith("train-"))
    for i, n in enumerate(names):
        d = os.path.join(a.fixtures, n)
        print(f"[{n}]")
        cfg, exp, w, dts = load(d)
        g, gm, pa = check_files(n, d, cfg, exp, w, dts)
        model, out = check_losses_and_logits(n, d, cfg, exp, w)
        check_grads_main_via_inference(n, d, cfg, exp, gm)
        check_fd(n, cfg, exp, w, g, 1 if a.quick else 2, 100 + i)
        check_mtp_alignment(n, cfg, exp, w)
        check_balance_and_selection(n, cfg, exp, out, model)
        check_replay(n, cfg, exp, w, pa)
        check_float32_routing(n, cfg, exp, w)
        check_dead_expert(n, exp, w, pa)
        check_peer(n, d)
    if not a.no_regen:
        check_regen(a.fixtures, names)
    print(f"\n{len(FAILS)} failure(s)")
    for f in FAILS:
        print("  FAIL", f)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
