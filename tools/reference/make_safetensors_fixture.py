"""Writes tests/fixtures/safetensors-write/ with the reference writer (safetensors_io.save_file), for
tests/unit/test_safetensors_write.cpp: seek's writer must produce the same bytes for the same tensors, and seek's
reader must read these files back to the values below. Deterministic.

    /usr/bin/python3 tools/reference/make_safetensors_fixture.py

Every tensor's values follow a closed form that the C++ test rebuilds on its own (index i over the flattened
tensor):
    "a.f32"        F32  [3, 5]   i * 0.25 - 1.5
    "b.bf16"       BF16 [7]      (i - 3) * 0.5
    "c.f16"        F16  [2, 3]   i * 0.125 - 0.25
    "d.i64"        I64  [4]      -3, 0, 2^40, 2^63 - 1
    "e.i32"        I32  [2, 2]   -7, 2, 100000, -2^31
    "f.u8"         U8   [3]      0, 127, 255
    "g.i8"         I8   [3]      -128, 0, 127
    "h.f8"         F8_E4M3 [4]   codes 0x00, 0x38 (1.0), 0x7e (448), 0xfe (-448)
    "scalar"       F32  []       3.5
    "empty"        F32  [0, 4]
    "zé.ü"         F32  [2]      1, -1          (non-ASCII name: escaped as \\uXXXX)
    "x\\"q\\\\\\t😀"    F32  [1]      42             (quote, backslash, tab, a surrogate pair)
    "round.f32"    F32  [8]      the f32 bit patterns ROUND_BITS (ties, max, -0, denormal, -inf)
metadata {"format": "pt", "note": "ünïcode \\"q\\""}.

reference.safetensors holds them as listed; reference_bf16.safetensors holds the same with every F32 tensor
converted to BF16 by torch (round to nearest even), what seek writes with f32_to_bf16.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import F8Codes, save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "safetensors-write")

ROUND_BITS = [0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF, 0x7F7FFFFF, 0x80000000, 0x00000001, 0xFF800000]
METADATA = {"format": "pt", "note": "ünïcode \"q\""}


def tensors():
    ar = lambda n: torch.arange(n, dtype=torch.float64)  # noqa: E731
    return {
        "a.f32": (ar(15) * 0.25 - 1.5).to(torch.float32).reshape(3, 5),
        "b.bf16": ((ar(7) - 3) * 0.5).to(torch.bfloat16),
        "c.f16": (ar(6) * 0.125 - 0.25).to(torch.float16).reshape(2, 3),
        "d.i64": torch.tensor([-3, 0, 2**40, 2**63 - 1], dtype=torch.int64),
        "e.i32": torch.tensor([-7, 2, 100000, -2**31], dtype=torch.int32).reshape(2, 2),
        "f.u8": torch.tensor([0, 127, 255], dtype=torch.uint8),
        "g.i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "h.f8": F8Codes(torch.tensor([0x00, 0x38, 0x7E, 0xFE], dtype=torch.uint8)),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        "zé.ü": torch.tensor([1.0, -1.0], dtype=torch.float32),
        "x\"q\\\t😀": torch.tensor([42.0], dtype=torch.float32),
        "round.f32": torch.from_numpy(np.array(ROUND_BITS, dtype=np.uint32).view(np.float32).copy()),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    t = tensors()
    save_file(t, os.path.join(OUT, "reference.safetensors"), metadata=METADATA)
    bf = {k: (v.to(torch.bfloat16) if isinstance(v, torch.Tensor) and v.dtype == torch.float32 else v)
          for k, v in t.items()}
    save_file(bf, os.path.join(OUT, "reference_bf16.safetensors"), metadata=METADATA)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
