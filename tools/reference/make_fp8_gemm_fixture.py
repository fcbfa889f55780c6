"""Writes tests/fixtures/fp8-gemm/: what DeepSeek-V3's FP8 GEMMs compute for a Linear layer, from the V3 report's
recipe, in PyTorch (float64 arithmetic), for tests/unit/test_fp8_gemm.cpp. Deterministic: reruns write identical files.

    /usr/bin/python3 tools/reference/make_fp8_gemm_fixture.py

The recipe (DeepSeek-V3 technical report, section 3.3 "FP8 training"):
  - quantization to e4m3 (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; largest finite value 448; no inf),
    round to nearest, ties to even, with a scale per group: scale = max |x| over the group / 448 (1 for an all-zero
    group), q = round_e4m3(x / scale), so that x ~ q * scale;
  - groups: activations (and activation gradients) per 1 x 128 tile along the GEMM's inner dimension K, one row and
    128 consecutive K elements; weights per 128 x 128 block;
  - the product accumulated with "promotion" every N_C = 128 elements of K: each 128-element partial sum of q products
    is multiplied by its two scales and added to an FP32 accumulator:
        C[m, n] = sum_kb  sa[m, kb] * sb[n, kb] * sum_{k in kb} qa[m, k] * qb[n, k].
  - Fprop  y  = x W^T      : x tiles along in, W blocks;
    Dgrad  dx = dy W       : dy tiles along out, W^T blocks (W's blocks, transposed);
    Wgrad  dW = dy^T x     : both activations, tiles along the token dimension (K = tokens), dy^T and x^T rows.
Here every step is float64 except the e4m3 rounding of x / scale, done on the f32 quotient as a GPU kernel would.

fp8_gemm.safetensors (f32):
    x [M, IN], w [OUT, IN], dy [M, OUT]     the inputs (OUT, IN, M not multiples of 128: ragged last tiles/blocks)
    x_q [M, IN], x_scale [M, ceil(IN/128)]   the tile quantization of x
    w_q [OUT, IN], w_scale [ceil(OUT/128), ceil(IN/128)]   the block quantization of w
    y [M, OUT], dx [M, IN], dw [OUT, IN]    the three FP8 GEMMs
    y_exact, dx_exact, dw_exact              the same products without quantization (float64), for scale
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "fp8-gemm")
M, IN, OUT = 200, 300, 170
G = 128
E4M3_MAX = 448.0


def round_e4m3(v):
    """v (float32 tensor, |v| <= 448) to the nearest e4m3 value, ties to even, from the format's definition."""
    a = v.abs().to(torch.float64)
    # exponent of the binade (normal numbers: 2^e <= a < 2^(e+1), e >= -6); below 2^-6 the subnormal step 2^-9
    e = torch.floor(torch.log2(torch.where(a > 0, a, torch.ones_like(a))))
    e = torch.clamp(e, min=-6)
    step = torch.pow(2.0, e - 3)  # 3 mantissa bits
    q = torch.round(a / step) * step  # torch.round: half to even
    assert float(q.max()) <= E4M3_MAX
    return (torch.sign(v.to(torch.float64)) * q)


def quantize_tiles(x):
    """x [R, K] -> q [R, K] (float64 e4m3 values), scale [R, ceil(K/128)] (float32), per 1 x 128 tile."""
    R, K = x.shape
    KB = (K + G - 1) // G
    q = torch.zeros(R, K, dtype=torch.float64)
    s = torch.zeros(R, KB, dtype=torch.float32)
    for kb in range(KB):
        t = x[:, kb * G:(kb + 1) * G]
        amax = t.abs().amax(dim=1)
        sc = torch.where(amax > 0, amax / E4M3_MAX, torch.ones_like(amax))  # float32, as the kernel computes it
        s[:, kb] = sc
        q[:, kb * G:(kb + 1) * G] = round_e4m3(t / sc[:, None])
    return q, s


def quantize_blocks(w):
    """w [R, K] -> q [R, K], scale [ceil(R/128), ceil(K/128)] per 128 x 128 block."""
    R, K = w.shape
    RB, KB = (R + G - 1) // G, (K + G - 1) // G
    q = torch.zeros(R, K, dtype=torch.float64)
    s = torch.zeros(RB, KB, dtype=torch.float32)
    for rb in range(RB):
        for kb in range(KB):
            t = w[rb * G:(rb + 1) * G, kb * G:(kb + 1) * G]
            amax = t.abs().amax()
            sc = amax / E4M3_MAX if amax > 0 else torch.tensor(1.0, dtype=torch.float32)
            s[rb, kb] = sc
            q[rb * G:(rb + 1) * G, kb * G:(kb + 1) * G] = round_e4m3(t / sc)
    return q, s


def block_scaled(qa, sa, qb, sb):
    """C[m, n] = sum_kb sa[m, kb] sb[n, kb] sum_{k in kb} qa[m, k] qb[n, k]; sa [M, KB], sb [N, KB] per row."""
    Mr, K = qa.shape
    N = qb.shape[0]
    C = torch.zeros(Mr, N, dtype=torch.float64)
    for kb in range((K + G - 1) // G):
        part = qa[:, kb * G:(kb + 1) * G] @ qb[:, kb * G:(kb + 1) * G].T
        C += sa[:, kb].to(torch.float64)[:, None] * sb[:, kb].to(torch.float64)[None, :] * part
    return C


def per_row(block_scale, rows):
    """[RB, KB] block scales -> [rows, KB], each row with its block's value."""
    return block_scale.repeat_interleave(G, dim=0)[:rows]


def main():
    g = torch.Generator().manual_seed(20250101)
    x = torch.randn(M, IN, generator=g) * 2.0
    x[:, 5] *= 40.0  # an outlier channel, as activations have: its tiles get a larger scale
    w = torch.randn(OUT, IN, generator=g) * 0.05
    dy = torch.randn(M, OUT, generator=g) * 1e-3
    dy[7, :] = 0.0  # an all-zero row: its tiles get scale 1
    x_q, x_s = quantize_tiles(x)
    w_q, w_s = quantize_blocks(w)
    y = block_scaled(x_q, x_s, w_q, per_row(w_s, OUT))
    dy_q, dy_s = quantize_tiles(dy)
    wt_q, wt_s = quantize_blocks(w.T.contiguous())
    dx = block_scaled(dy_q, dy_s, wt_q, per_row(wt_s, IN))
    dyt_q, dyt_s = quantize_tiles(dy.T.contiguous())
    xt_q, xt_s = quantize_tiles(x.T.contiguous())
    dw = block_scaled(dyt_q, dyt_s, xt_q, xt_s)
    x64, w64, dy64 = x.double(), w.double(), dy.double()
    f32 = lambda t: t.to(torch.float32).contiguous()  # noqa: E731
    os.makedirs(OUT_DIR, exist_ok=True)
    save_file({"x": f32(x), "w": f32(w), "dy": f32(dy), "x_q": f32(x_q), "x_scale": f32(x_s), "w_q": f32(w_q),
               "w_scale": f32(w_s), "y": f32(y), "dx": f32(dx), "dw": f32(dw), "y_exact": f32(x64 @ w64.T),
               "dx_exact": f32(dy64 @ w64), "dw_exact": f32(dy64.T @ x64)},
              os.path.join(OUT_DIR, "fp8_gemm.safetensors"), metadata={"format": "pt"})
    print(f"wrote {OUT_DIR}")


if __name__ == "__main__":
    main()
