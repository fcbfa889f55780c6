"""Self-checks of the Python reference (not part of CI; needs /usr/bin/python3 with torch + numpy).

    /usr/bin/python3 tools/reference/check_reference.py [--shared /work/shared]

1. safetensors I/O round trip (all dtypes, sharded index); the e4m3 encoder against an independent
   scalar encoder (ties to even, subnormals, saturation) and the FP8 block dequantization on ragged blocks.
2. The official fixture (shared/fixtures/deepseek-v3-tiny, produced by the official reference
   implementation) is reproduced in float64 and float32, absorbed and naive, prefill and incremental.
   Then each modelling decision is flipped one at a time and must break the match (so the fixture
   really pins it down), and the HF-style RoPE (rows permuted to [evens; odds] + rotate_half) must agree.
3. Spec numbers for the 671B config (YaRN range 10/23, softmax_scale 0.1352338).
4. Every generated fixture in tests/fixtures: the stored logits equal a fresh float64 recomputation,
   naive == absorbed, prefill == incremental, float32 close; dense GQA head mapping; and regenerating
   all fixtures into a temporary folder reproduces identical bytes (determinism).
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

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as stio  # noqa: E402
import deepseek_ref as dsr  # noqa: E402
import dense_ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
FAILS = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        FAILS.append(what)


# ----------------------------------------------------------------------------------------------
# 1. I/O and e4m3
# ----------------------------------------------------------------------------------------------


def e4m3_scalar(x):
    """Independent scalar encoder (frexp + Python's round-half-even)."""
    if math.isnan(x):
        return 0x7F
    sign = 0x80 if math.copysign(1.0, x) < 0 else 0
    a = min(abs(x), 448.0)
    if a < 2.0 ** -6:
        m = round(a * 2.0 ** 9)  # subnormal units of 2^-9; m == 8 is the smallest normal, code 0x08
        return sign | m
    f, E = math.frexp(a)  # a = f * 2^E, f in [0.5, 1)
    e = E - 1
    m = round((a / 2.0 ** e - 1.0) * 8)
    if m == 8:
        e += 1
        m = 0
    code = ((e + 7) << 3) | m
    return sign | min(code, 0x7E)


def check_io():
    print("[1] safetensors I/O and e4m3")
    vals = [float(v) for v in stio.E4M3_TABLE if not math.isnan(v)]
    check(len(vals) == 254 and max(vals) == 448.0 and min(v for v in vals if v > 0) == 2.0 ** -9,
          "e4m3 table: 254 finite values, max 448, min subnormal 2^-9")
    pos = sorted(set(v for v in vals if v >= 0))
    mids = [(a + b) / 2 for a, b in zip(pos, pos[1:])]
    rng = random.Random(1)
    rand = [rng.uniform(-500, 500) for _ in range(3000)] + [rng.gauss(0, 1) * 2.0 ** rng.randint(-12, 8)
                                                             for _ in range(5000)]
    xs = pos + [-v for v in pos] + mids + [-m for m in mids] + rand + [449.0, 463.9, 464.0, 1e9, -1e9, 0.0, -0.0,
                                                                       2.0 ** -10, 2.0 ** -10 * 3, 1e-30]
    got = stio.e4m3_encode(torch.tensor(xs, dtype=torch.float64)).tolist()
    want = [e4m3_scalar(x) for x in xs]
    bad = [(x, g, w) for x, g, w in zip(xs, got, want) if g != w]
    check(not bad, f"e4m3_encode == independent scalar encoder on {len(xs)} values (incl. {len(mids)} exact ties)"
          + (f"; first mismatch {bad[:3]}" if bad else ""))
    codes = torch.arange(256, dtype=torch.int64).to(torch.uint8)
    dec = stio.e4m3_decode(codes)
    finite = ~torch.isnan(dec)
    rt = stio.e4m3_encode(dec[finite])
    check(torch.equal(rt, codes[finite]), "every finite e4m3 code round-trips through decode/encode")
    check(int(stio.e4m3_encode(torch.tensor([1.0 + 1 / 16]))[0]) == 0x38 and
          int(stio.e4m3_encode(torch.tensor([1.0 + 3 / 16]))[0]) == 0x3A,
          "ties to even: 1+1/16 -> 1.0 (0x38), 1+3/16 -> 1.25 (0x3A)")

    with tempfile.TemporaryDirectory() as d:
        g = torch.Generator().manual_seed(0)
        t = {
            "a.f32": torch.randn(3, 5, generator=g),
            "b.bf16": torch.randn(7, generator=g).to(torch.bfloat16),
            "c.f16": torch.randn(2, 2, 2, generator=g).to(torch.float16),
            "d.f64": torch.randn(4, generator=g).to(torch.float64),
            "e.i64": torch.arange(-3, 3),
            "f.i32": torch.arange(5, dtype=torch.int32),
            "g.u8": torch.arange(9, dtype=torch.uint8),
            "h.scalar": torch.tensor(3.5),
        }
        codes = stio.e4m3_encode(torch.randn(130, 260, generator=g) * 100)
        t2 = dict(t)
        t2["w.fp8"] = stio.F8Codes(codes)
        stio.save_file(t2, os.path.join(d, "x.safetensors"), metadata={"format": "pt", "k": "v"})
        back, dts = stio.load_file(os.path.join(d, "x.safetensors"), with_dtypes=True)
        ok = all(torch.equal(back[k], t[k]) and back[k].dtype == t[k].dtype for k in t)
        check(ok and torch.equal(back["w.fp8"], codes) and dts["w.fp8"] == "F8_E4M3" and dts["b.bf16"] == "BF16",
              "single-file round trip: F32 BF16 F16 F64 I64 I32 U8 scalar F8_E4M3")
        n, hdr = stio.read_header(os.path.join(d, "x.safetensors"))
        check(n % 8 == 0 and hdr["__metadata__"] == {"format": "pt", "k": "v"}, "header 8-aligned, metadata kept")
        t2["z.f32"] = torch.randn(100, 100, generator=g)
        t["z.f32"] = t2["z.f32"]
        files = stio.save_model_folder(t2, os.path.join(d, "m"), max_shard_bytes=30000)
        back2 = stio.load_model_folder(os.path.join(d, "m"))
        with open(os.path.join(d, "m", "model.safetensors.index.json")) as f:
            idx = json.load(f)
        check(len(files) == 3 and set(idx["weight_map"]) == set(t2) and
              idx["metadata"]["total_size"] == sum(stio.tensor_nbytes(v) for v in t2.values()) and
              all(torch.equal(back2[k], t[k]) for k in t), "sharded write (30 kB max -> 3 shards + index) and read back")

    # FP8 block dequant on ragged blocks against a per-element loop
    g = torch.Generator().manual_seed(1)
    w = torch.randn(300, 200, generator=g) * 0.1
    sys.path.insert(0, HERE)
    from make_fixtures import quantize_fp8_blocks
    c, s = quantize_fp8_blocks(w)
    check(tuple(s.shape) == (3, 2), "scale_inv shape for [300,200] is [3,2]")
    deq = dsr.dequant_fp8(c, s)
    vals = stio.e4m3_decode(c)
    i, j = torch.meshgrid(torch.arange(300), torch.arange(200), indexing="ij")
    loop = vals * s.double()[i // 128, j // 128]
    check(torch.equal(deq, loop), "dequant_fp8 == per-element code * scale_inv[i//128, j//128]")
    rel = ((deq - w.double()).abs().max() / w.abs().max()).item()
    check(rel < 2 ** -4, f"fp8 quantization error small (max abs err / max |w| = {rel:.4f})")
    amax_codes = [int(c[a * 128:(a + 1) * 128, b * 128:(b + 1) * 128].view(torch.uint8).bitwise_and(0x7F).max())
                  for a in range(3) for b in range(2)]
    check(all(x == 0x7E for x in amax_codes), "each block's largest |code| is 448 (scale = amax/448)")


# ----------------------------------------------------------------------------------------------
# 2. Official fixture
# ----------------------------------------------------------------------------------------------


def half_split_rope(x, cos, sin):
    """rotate_half convention: pairs (x[i], x[i+D/2])."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    if x1.dim() == 3:
        cos, sin = cos[:, None, :], sin[:, None, :]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def check_official(shared):
    print("[2] official fixture deepseek-v3-tiny")
    d = os.path.join(shared, "fixtures", "deepseek-v3-tiny")
    exp = json.load(open(os.path.join(d, "expected.json")))
    ref = torch.from_numpy(np.fromfile(os.path.join(d, "expected_logits.f32"), dtype="<f4").reshape(exp["shape"]))
    ref = ref.double()
    toks = exp["tokens"]
    for dt in (torch.float64, torch.float32):
        m = dsr.DeepSeekRef(d, dt)
        for impl in ("absorb", "naive"):
            for mode in ("prefill", "incremental"):
                lg = m.forward(toks, impl) if mode == "prefill" else m.forward_incremental(toks, impl)
                err = (lg.double() - ref).abs().max().item()
                check(err < 1e-5, f"{str(dt)[6:]:8s} {impl:6s} {mode:11s} max|diff| = {err:.2e} (every row < 1e-5)")
    m = dsr.DeepSeekRef(d)
    check(m.c.yarn and abs(m.c.softmax_scale - 24 ** -0.5 * (0.1 * math.log(4) + 1) ** 2) < 1e-15,
          f"config read: yarn on (256 > 64), softmax_scale = 24^-0.5*(0.1 ln4+1)^2 = {m.c.softmax_scale:.7f}")

    def err_of(mod):
        mm = dsr.DeepSeekRef(d)
        mod(mm)
        return (mm.forward(toks) - ref).abs().max().item()

    def no_yarn(mm):
        mm.c.yarn = False
        mm.c.softmax_scale = mm.c.qk_head_dim ** -0.5

    def freq_only(mm):
        mm.c.softmax_scale = mm.c.qk_head_dim ** -0.5

    def mscale_only(mm):
        mm.c.yarn = False

    def sm_no_bias(mm):
        for k in list(mm.w):
            if k.endswith("e_score_correction_bias"):
                mm.w[k] = torch.zeros_like(mm.w[k])

    def group_max(mm):
        mm.c.topk_method = "group_limited_greedy"

    def no_groups(mm):
        mm.c.n_group = 1

    def no_renorm(mm):
        mm.c.norm_topk_prob = False

    def bias_in_weights(mm):
        orig = mm.gate

        def gate(i, x):
            w, idx = orig(i, x)
            b = mm.w[f"model.layers.{i}.mlp.gate.e_score_correction_bias"]
            p = mm.w[f"model.layers.{i}.mlp.gate.weight"]
            s = torch.sigmoid(x @ p.t()) + b
            ww = s.gather(1, idx)
            return ww / ww.sum(-1, keepdim=True) * mm.c.route_scale, idx
        mm.gate = gate

    flips = [
        ("no YaRN at all (plain RoPE, scale 24^-0.5)", no_yarn),
        ("YaRN frequencies without the mscale^2 on softmax_scale", freq_only),
        ("mscale^2 on softmax_scale without YaRN frequencies", mscale_only),
        ("bias ignored for selection", sm_no_bias),
        ("group score = max instead of top-2 sum", group_max),
        ("no group-limited routing", no_groups),
        ("no renormalization of sigmoid weights", no_renorm),
        ("bias included in the gate weights", bias_in_weights),
    ]
    for what, mod in flips:
        e = err_of(mod)
        check(e > 1e-2, f"flipping '{what}' breaks the match (max|diff| {e:.3g})")

    # RoPE convention: half-split without re-ordering must fail; HF's way (rows to [evens; odds]) must match.
    saved = dsr.apply_rope_interleaved
    try:
        dsr.apply_rope_interleaved = half_split_rope
        mm = dsr.DeepSeekRef(d)
        e_plain = (mm.forward(toks) - ref).abs().max().item()
        c = mm.c
        dr, dn = c.qk_rope_head_dim, c.qk_nope_head_dim
        perm = torch.cat([torch.arange(0, dr, 2), torch.arange(1, dr, 2)])
        for i in range(c.n_layers):
            p = f"model.layers.{i}.self_attn."
            wq = mm.w[p + "q_b_proj.weight"].view(c.n_heads, dn + dr, -1)
            wq = torch.cat([wq[:, :dn], wq[:, dn:][:, perm]], 1).reshape(c.n_heads * (dn + dr), -1)
            mm.w[p + "q_b_proj.weight"] = wq
            wkv = mm.w[p + "kv_a_proj_with_mqa.weight"]
            r = c.kv_lora_rank
            mm.w[p + "kv_a_proj_with_mqa.weight"] = torch.cat([wkv[:r], wkv[r:][perm]], 0)
        e_hf = (mm.forward(toks) - ref).abs().max().item()
    finally:
        dsr.apply_rope_interleaved = saved
    check(e_plain > 1e-2, f"half-split RoPE on the stored layout breaks the match ({e_plain:.3g})")
    check(e_hf < 1e-5, f"HF convention (rope rows permuted to [evens; odds] + rotate_half) matches ({e_hf:.2e})")

    # Group masking with 0.0 (HF) vs -inf: no difference on this fixture (all biased scores positive)
    mm = dsr.DeepSeekRef(d, group_mask="zero")
    check((mm.forward(toks) - ref).abs().max().item() < 1e-5,
          "HF 0.0 group mask gives the same result here (biased scores all > 0) - see no-yarn fixture for a case "
          "where it does not")


# ----------------------------------------------------------------------------------------------
# 3. Spec numbers
# ----------------------------------------------------------------------------------------------


def check_spec_numbers():
    print("[3] 671B config numbers")
    cfg = {
        "model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432,
        "moe_intermediate_size": 2048, "num_hidden_layers": 61, "first_k_dense_replace": 3,
        "num_attention_heads": 128, "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
        "n_group": 8, "topk_group": 4, "scoring_func": "sigmoid", "routed_scaling_factor": 2.5,
        "topk_method": "noaux_tc", "norm_topk_prob": True, "q_lora_rank": 1536, "kv_lora_rank": 512,
        "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "max_position_embeddings": 163840,
        "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1,
                                              "mscale": 1.0, "mscale_all_dim": 1.0,
                                              "original_max_position_embeddings": 4096}}
    c = dsr.DeepSeekConfig(cfg)
    check(abs(c.softmax_scale - 0.1352338) < 5e-8, f"softmax_scale {c.softmax_scale:.7f} == 0.1352338")
    f = dsr.yarn_freqs(c, torch.float64)
    base = 1.0 / (10000 ** (torch.arange(0, 64, 2, dtype=torch.float64) / 64))
    ratio = base / f
    unchanged = [i for i in range(32) if abs(ratio[i] - 1) < 1e-12]
    div40 = [i for i in range(32) if abs(ratio[i] - 40) < 1e-9]
    check(unchanged == list(range(0, 11)) and div40 == list(range(23, 32)),
          "YaRN: i<=10 unchanged, i>=23 divided by 40 (low 10, high 23)")


# ----------------------------------------------------------------------------------------------
# 4. Generated fixtures
# ----------------------------------------------------------------------------------------------


def check_generated(fixdir, regen):
    print(f"[4] generated fixtures in {fixdir}")
    # train-* folders hold training fixtures (check_train_reference.py), not logits
    names = sorted(n for n in os.listdir(fixdir) if os.path.isfile(os.path.join(fixdir, n, "config.json"))
                   and not n.startswith("train-"))
    for n in names:
        d = os.path.join(fixdir, n)
        exp = json.load(open(os.path.join(d, "expected.json")))
        stored = torch.from_numpy(np.fromfile(os.path.join(d, "expected_logits.f32"), dtype="<f4")
                                  .reshape(exp["shape"])).double()
        toks = exp["tokens"]
        cfg = json.load(open(os.path.join(d, "config.json")))
        size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
        if cfg["model_type"] in ("qwen2", "llama"):
            m = dense_ref.DenseRef(d)
            lg = m.forward(toks)
            e1 = (lg - stored).abs().max().item()
            e2 = (lg - m.forward_incremental(toks)).abs().max().item()
            e3 = (dense_ref.DenseRef(d, torch.float32).forward(toks).double() - stored).abs().max().item()
            check(e1 < 1e-6 and e2 < 1e-10 and e3 < 1e-4,
                  f"{n:16s} {size // 1024:4d} KiB stored-vs-recomputed {e1:.1e}, prefill-vs-incr {e2:.1e}, f32 {e3:.1e}")
        else:
            m = dsr.DeepSeekRef(d)
            lg = m.forward(toks)
            e1 = (lg - stored).abs().max().item()
            e2 = (lg - m.forward(toks, "naive")).abs().max().item()
            e3 = (lg - m.forward_incremental(toks)).abs().max().item()
            e4 = (dsr.DeepSeekRef(d, torch.float32).forward(toks).double() - stored).abs().max().item()
            check(e1 < 1e-6 and e2 < 1e-10 and e3 < 1e-10 and e4 < 1e-4,
                  f"{n:16s} {size // 1024:4d} KiB stored-vs-recomputed {e1:.1e}, naive-vs-absorb {e2:.1e}, "
                  f"prefill-vs-incr {e3:.1e}, f32 {e4:.1e}")
        check(exp["shape"] == [len(toks), cfg["vocab_size"]] and 0 in toks and cfg["vocab_size"] - 1 in toks and
              len(set(toks)) < len(toks) and 20 <= len(toks) <= 32 and size < 1100 * 1024,
              f"{n:16s} tokens {len(toks)} incl. 0, vocab-1 and repeats; size < ~1 MB")
        std = lg.std().item()
        check(0.5 < std < 5 and len(set(lg.argmax(-1).tolist())) > len(toks) // 2,
              f"{n:16s} logits non-trivial: std {std:.2f}, {len(set(lg.argmax(-1).tolist()))} distinct argmax")

    # FP8 file structure: every F8_E4M3 weight has an F32 scale_inv of the block-grid shape, no NaN codes,
    # and each block reaches |code| = 448 (scale = amax/448).
    d = os.path.join(fixdir, "fp8-ragged")
    if os.path.isdir(d):
        raw, dts = stio.load_model_folder(d, with_dtypes=True)
        f8 = [k for k, v in dts.items() if v == "F8_E4M3"]
        ok = len(f8) > 0
        nblocks = 0
        for k in f8:
            s = raw.get(k + "_scale_inv")
            o, i = raw[k].shape
            ok &= s is not None and dts[k + "_scale_inv"] == "F32" and tuple(s.shape) == (-(-o // 128), -(-i // 128))
            codes = raw[k].to(torch.int64)
            ok &= not bool(((codes & 0x7F) == 0x7F).any())
            for a in range(s.shape[0]):
                for b in range(s.shape[1]):
                    nblocks += 1
                    ok &= int((codes[a * 128:(a + 1) * 128, b * 128:(b + 1) * 128] & 0x7F).max()) == 0x7E
        others = sorted(set(v for k, v in dts.items() if not k.endswith("_scale_inv") and k not in f8))
        ragged = sum(1 for k in f8 if raw[k].shape[0] % 128 or raw[k].shape[1] % 128)
        check(ok and ragged == len(f8) and others == ["BF16", "F32"],
              f"fp8-ragged: {len(f8)} F8_E4M3 weights ({ragged} with ragged edges, {nblocks} blocks), F32 "
              f"scale_inv of shape ceil(out/128) x ceil(in/128), no NaN codes, every block max |code| = 448; "
              f"other tensors {others}")

    d = os.path.join(fixdir, "v3-mtp")
    if os.path.isdir(d):
        cfg = json.load(open(os.path.join(d, "config.json")))
        tnames = set(stio.load_model_folder(d))
        L = cfg["num_hidden_layers"]
        want = [f"model.layers.{L}.{x}.weight" for x in ("enorm", "hnorm", "eh_proj", "shared_head.norm",
                                                          "shared_head.head", "embed_tokens", "input_layernorm",
                                                          "post_attention_layernorm", "self_attn.q_a_proj",
                                                          "self_attn.kv_b_proj", "mlp.gate", "mlp.experts.0.up_proj",
                                                          "mlp.shared_experts.down_proj")]
        check(cfg["num_nextn_predict_layers"] == 1 and all(n in tnames for n in want),
              f"v3-mtp: MTP layer model.layers.{L}.* present ({sum(n.startswith(f'model.layers.{L}.') for n in tnames)} "
              f"tensors)")

    # dense GQA mapping: duplicating each KV head (h -> h//rep) into an MHA checkpoint gives identical logits
    d = os.path.join(fixdir, "qwen2-tiny")
    if os.path.isdir(d):
        m = dense_ref.DenseRef(d)
        exp = json.load(open(os.path.join(d, "expected.json")))
        base = m.forward(exp["tokens"])
        c = m.c
        rep = c.n_heads // c.n_kv_heads
        for i in range(c.n_layers):
            for nm in ("k_proj", "v_proj"):
                p = f"model.layers.{i}.self_attn.{nm}."
                w = m.w[p + "weight"].view(c.n_kv_heads, c.head_dim, -1)
                m.w[p + "weight"] = w.repeat_interleave(rep, 0).reshape(c.n_heads * c.head_dim, -1)
                b = m.w[p + "bias"].view(c.n_kv_heads, c.head_dim)
                m.w[p + "bias"] = b.repeat_interleave(rep, 0).reshape(-1)
        c.n_kv_heads = c.n_heads
        e = (m.forward(exp["tokens"]) - base).abs().max().item()
        check(e < 1e-12, f"GQA: qwen2-tiny equals the MHA model with KV heads duplicated h -> h//{rep} ({e:.1e})")
        c.n_kv_heads = c.n_heads // rep
    d = os.path.join(fixdir, "llama-tiny")
    if os.path.isdir(d):
        m = dense_ref.DenseRef(d)
        f = dense_ref.inv_freq(m.c)
        b = 1.0 / (m.c.rope_theta ** (torch.arange(0, 16, 2, dtype=torch.float64) / 16))
        r = (b / f).tolist()
        check(abs(r[0] - 1) < 1e-12 and 1 < r[1] < r[2] < 8 and all(abs(x - 8) < 1e-9 for x in r[3:]),
              "llama3 rope: freq 0 unchanged, 1-2 interpolated, 3-7 divided by 8: ratios "
              + ", ".join(f"{x:.3f}" for x in r))
        # continuity of the llama3 blend at the region boundaries
        wl = 2 * math.pi / b
        s = (64 / wl - 1) / (4 - 1)
        check(all(0 < s[i] < 1 for i in (1, 2)), "llama3 smooth factors of the middle frequencies in (0,1)")

    if regen:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, os.path.join(HERE, "make_fixtures.py"), "--out", tmp], check=True,
                           stdout=subprocess.DEVNULL)
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
            check(same, "regenerating all fixtures reproduces identical bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.environ.get("SEEK_SHARED", "/work/shared"))
    ap.add_argument("--fixtures", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--no-regen", action="store_true", help="skip the byte-for-byte regeneration check")
    a = ap.parse_args()
    torch.set_num_threads(1)
    check_io()
    check_official(a.shared)
    check_spec_numbers()
    check_generated(a.fixtures, not a.no_regen)
    print(f"\n{len(FAILS)} failure(s)")
    for f in FAILS:
        print("  FAIL", f)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
