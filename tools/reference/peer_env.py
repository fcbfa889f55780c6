"""The environment the PyTorch CPU speed peers run under (train_peer.py, grpo_peer.py), set before torch loads.

Call reexec_with_tuned_env(__file__) at the top of a peer script, before `import torch`: the script re-executes
itself once with
- glibc malloc keeping freed memory instead of returning it to the kernel every step (otherwise each step
  page-faults its activations and optimizer temporaries again; the usual advice is jemalloc/tcmalloc);
- OpenBLAS, which PyTorch uses for float32 GEMM here, given the thread count asked for (--threads) and, on AVX-512
  CPUs that this OpenBLAS version does not know (Zen 4 gets its Haswell/AVX2 kernels, and this environment pins
  OPENBLAS_CORETYPE=Haswell), its AVX-512 kernels (about 2x float32 GEMM measured here; --openblas-core keep to
  leave it);
- OpenMP's idle threads sleeping instead of spinning (OMP_WAIT_POLICY=PASSIVE unless set): PyTorch's OpenMP
  threads and OpenBLAS's own pthreads are 2 x --threads busy threads on --threads cores, and spinning OpenMP
  workers take the cores from the GEMM threads. Measured here (2 cores, another job running): the GRPO step of
  grpo_peer.py went from 0.9-3.0 s to 0.16 s with it, the same step time each run.
--no-env-tuning on the command line skips all of it.
"""

import os
import sys

TUNED_ENV = "SEEK_TRAIN_PEER_ENV"


def _opt(name, default):
    for i, x in enumerate(sys.argv):
        if x == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if x.startswith(name + "="):
            return x.split("=", 1)[1]
    return default


def reexec_with_tuned_env(script):
    if os.environ.get(TUNED_ENV) == "1" or "--no-env-tuning" in sys.argv:
        return
    threads = _opt("--threads", str(os.cpu_count()))
    core = _opt("--openblas-core", "auto")
    env = dict(os.environ)
    env[TUNED_ENV] = "1"
    env.setdefault("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=68719476736")
    env["OPENBLAS_NUM_THREADS"] = threads
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        flags = ""
    if core == "auto":
        if " avx512f " in flags or " avx512f\n" in flags:
            env["OPENBLAS_CORETYPE"] = "SKYLAKEX"  # overrides a pinned Haswell: measured ~2x float32 GEMM here
    elif core != "keep":
        env["OPENBLAS_CORETYPE"] = core
    os.execve(sys.executable, [sys.executable, os.path.abspath(script)] + sys.argv[1:], env)
