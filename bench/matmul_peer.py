#!/usr/bin/python3
"""The PyTorch CPU peer for bench_matmul: torch.matmul(x, W^T) on the same shapes.

    /usr/bin/python3 bench/matmul_peer.py [--pool-mb 1024] [--reps 5] [--threads 2] MxNxK:dtype ...

dtype is bf16 (x and W bf16, as the PyTorch CPU path runs a bf16 Linear) or f32. Like bench_matmul, each call reads
a different copy of W from a pool of at least --pool-mb, so decode rates are memory rates, not cache rates.
Prints one line per case: "M N K dtype best_seconds_per_call median_seconds_per_call".
"""
import argparse
import math
import sys
import time

import torch


_pools = {}


def pool_for(dtype, nbytes):
    """A flat random tensor of at least nbytes, one per dtype, shared by all shapes (as in bench_matmul)."""
    dt = {"bf16": torch.bfloat16, "f32": torch.float32}[dtype]
    esize = torch.tensor([], dtype=dt).element_size()
    numel = math.ceil(nbytes / esize)
    p = _pools.get(dtype)
    if p is None or p.numel() < numel:
        gen = torch.Generator().manual_seed(42)
        chunk = (torch.rand(1 << 20, generator=gen) * 2 - 1).to(dt)
        p = chunk.repeat(math.ceil(numel / chunk.numel()))
        _pools[dtype] = p
    return p


def run_case(m, n, k, dtype, pool_bytes, reps):
    pool = pool_for(dtype, max(pool_bytes, n * k * 4))
    copies = max(1, pool.numel() // (n * k))
    ws = [pool[i * n * k:(i + 1) * n * k].view(n, k) for i in range(copies)]
    gen = torch.Generator().manual_seed(7)
    x = (torch.rand(m, k, generator=gen) * 2 - 1).to(pool.dtype)
    flops = 2.0 * m * n * k
    calls = max(copies, int(1e8 / flops) + 1)
    with torch.inference_mode():
        for i in range(min(calls, copies)):  # warm-up pass
            torch.matmul(x, ws[i].t())
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for i in range(calls):
                torch.matmul(x, ws[i % copies].t())
            times.append((time.perf_counter() - t0) / calls)
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool-mb", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("cases", nargs="+", help="MxNxK:dtype, dtype bf16 or f32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for case in a.cases:
        shape, dtype = case.split(":")
        m, n, k = (int(v) for v in shape.split("x"))
        best, median = run_case(m, n, k, dtype, a.pool_mb << 20, a.reps)
        print(f"{m} {n} {k} {dtype} {best:.9f} {median:.9f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
