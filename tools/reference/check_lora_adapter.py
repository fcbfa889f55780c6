"""Applies a LoRA adapter folder (PEFT layout: adapter_config.json + adapter_model.safetensors, e.g. one `seek sft`
wrote) to a dense base model with PyTorch, as PEFT computes it (W + scaling * lora_B @ lora_A, scaling =
lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora), and compares the logits with a float32 logits file
(`seek forward --model BASE --adapter DIR --tokens ... --logits-out FILE`).

    /usr/bin/python3 tools/reference/check_lora_adapter.py BASE_DIR ADAPTER_DIR LOGITS.f32 0,5,17,...

Checks on the way what PEFT's loader relies on: peft_type LORA, every tensor named
base_model.model.<module>.lora_{A,B}.weight for a module of the base, lora_A [r, in] and lora_B [out, r].
Prints the max |diff| and exits 1 above 1e-4.
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as stio  # noqa: E402
from dense_ref import PEFT_PREFIX, DenseTrainRef  # noqa: E402


def main():
    base, adapter, logits_file, tokens = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    tokens = [int(t) for t in tokens.split(",")]
    with open(os.path.join(base, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(adapter, "adapter_config.json")) as f:
        ac = json.load(f)
    assert ac["peft_type"] == "LORA", ac["peft_type"]
    r = ac["r"]
    scaling = ac["lora_alpha"] / (math.sqrt(r) if ac.get("use_rslora") else r)
    weights = stio.load_model_folder(base)
    lt = stio.load_file(os.path.join(adapter, "adapter_model.safetensors"))
    for name, t in lt.items():
        assert name.startswith(PEFT_PREFIX) and name.endswith((".lora_A.weight", ".lora_B.weight")), name
        module = name[len(PEFT_PREFIX):].rsplit(".lora_", 1)[0]
        w = weights[module + ".weight"]
        want = (r, w.shape[1]) if ".lora_A." in name else (w.shape[0], r)
        assert tuple(t.shape) == want, f"{name}: shape {tuple(t.shape)}, expected {want}"
    ref = DenseTrainRef(cfg, weights, lora={"scaling": scaling, "tensors": lt})
    with torch.no_grad():
        want = ref.logits(tokens).numpy()
    got = np.fromfile(logits_file, dtype="<f4").reshape(want.shape)
    diff = float(np.abs(got - want).max())
    print(f"{len(lt)} adapter tensors on {len(ref.modules)} projections, scaling {scaling}: "
          f"max |seek - PyTorch| = {diff:.3g} over {want.shape[0]} x {want.shape[1]} logits")
    sys.exit(0 if diff < 1e-4 else 1)


if __name__ == "__main__":
    main()
