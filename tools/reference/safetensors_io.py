"""Minimal safetensors reader/writer built on json + struct + torch (+ numpy).

File layout: u64 little-endian header length N, then N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the data section; offsets are relative to the start of the data section.

Supported dtypes: F64, F32, F16, BF16, F8_E4M3 (float8 e4m3fn), I64, I32, I16, I8, U8, BOOL.

torch 1.13 has no float8 type, so F8_E4M3 tensors are handled as raw uint8 codes:
`e4m3_encode` (exact, round-to-nearest-even, saturating at +-448) and `e4m3_decode`
(exact table) convert between codes and float values.

Sharded checkpoints use model.safetensors.index.json:
{"metadata": {"total_size": bytes}, "weight_map": {tensor_name: shard_file}}.
"""

import json
import os
import struct

import numpy as np
import torch

# ----------------------------------------------------------------------------------------------
# float8 e4m3fn: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits, no infinities,
# NaN = S.1111.111. Largest finite magnitude 448 = 1.75 * 2^8, smallest subnormal 2^-9.
# ----------------------------------------------------------------------------------------------

E4M3_MAX = 448.0


def _e4m3_code_value(code):
    """Exact float value of a uint8 e4m3fn code (NaN for 0x7F/0xFF)."""
    sign = -1.0 if code & 0x80 else 1.0
    exp = (code >> 3) & 0xF
    man = code & 0x7
    if exp == 0xF and man == 0x7:
        return float("nan")
    if exp == 0:
        return sign * man * 2.0 ** -9  # subnormal: man/8 * 2^(1-7)
    return sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)


E4M3_TABLE = np.array([_e4m3_code_value(c) for c in range(256)], dtype=np.float64)
# Non-negative finite codes 0x00..0x7E; their values increase strictly with the code.
_E4M3_POS_VALUES = E4M3_TABLE[:0x7F].copy()
assert np.all(np.diff(_E4M3_POS_VALUES) > 0)
assert _E4M3_POS_VALUES[-1] == E4M3_MAX


def e4m3_decode(codes):
    """uint8 codes (numpy array or torch uint8 tensor) -> float64 torch tensor of exact values."""
    if isinstance(codes, torch.Tensor):
        codes = codes.numpy()
    codes = np.asarray(codes, dtype=np.uint8)
    return torch.from_numpy(E4M3_TABLE[codes.astype(np.int64)])


def e4m3_encode(x):
    """float tensor/array -> uint8 torch tensor of e4m3fn codes.

    Round to nearest, ties to even (even = mantissa LSB 0 = even code), magnitudes beyond 448
    saturate to 448. NaN maps to 0x7F. -0.0 keeps its sign bit.
    """
    if isinstance(x, torch.Tensor):
        a = x.detach().to(torch.float64).numpy()
    else:
        a = np.asarray(x, dtype=np.float64)
    shape = a.shape
    a = a.reshape(-1)
    mag = np.abs(a)
    sat = np.minimum(mag, E4M3_MAX)
    # hi = first code whose value >= sat; lo = hi - 1 (or hi when exact / at zero)
    hi = np.searchsorted(_E4M3_POS_VALUES, sat, side="left")
    hi = np.minimum(hi, 0x7E)
    lo = np.maximum(hi - 1, 0)
    vhi = _E4M3_POS_VALUES[hi]
    vlo = _E4M3_POS_VALUES[lo]
    dlo = sat - vlo
    dhi = vhi - sat
    exact = vhi == sat
    pick_hi = (dhi < dlo) | ((dhi == dlo) & (hi % 2 == 0))
    code = np.where(exact, hi, np.where(pick_hi, hi, lo)).astype(np.uint8)
    neg = np.signbit(a)
    code = np.where(neg, code | 0x80, code).astype(np.uint8)
    code = np.where(np.isnan(a), np.uint8(0x7F), code).astype(np.uint8)
    return torch.from_numpy(code.reshape(shape).copy())


def e4m3_round(x):
    """Round to the nearest e4m3fn value (saturating), returned as float64."""
    return e4m3_decode(e4m3_encode(x))


# ----------------------------------------------------------------------------------------------
# Tensor <-> bytes
# ----------------------------------------------------------------------------------------------

_NP_OF = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}
_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "I64": 8, "I32": 4, "I16": 2,
             "I8": 1, "U8": 1, "BOOL": 1}
_TORCH_TO_ST = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


class F8Codes:
    """Marks a uint8 tensor as holding e4m3fn codes, to be written with dtype F8_E4M3."""

    def __init__(self, codes):
        assert isinstance(codes, torch.Tensor) and codes.dtype == torch.uint8
        self.codes = codes


def _to_bytes(t):
    """Returns (dtype string, shape list, raw little-endian bytes)."""
    if isinstance(t, F8Codes):
        c = t.codes.contiguous()
        return "F8_E4M3", list(c.shape), c.numpy().tobytes()
    t = t.detach().contiguous().cpu()
    st = _TORCH_TO_ST[t.dtype]
    if st == "BF16":
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = t.numpy().astype(np.dtype(_NP_OF[st]).newbyteorder("<")).tobytes()
    return st, list(t.shape), raw


def _from_bytes(dtype, shape, raw):
    """Returns a torch tensor. F8_E4M3 comes back as uint8 codes (decode with e4m3_decode)."""
    n = int(np.prod(shape)) if len(shape) else 1
    if len(raw) != n * _ITEMSIZE[dtype]:
        raise ValueError(f"byte length {len(raw)} does not match dtype {dtype} shape {shape}")
    if dtype == "BF16":
        a = np.frombuffer(raw, dtype="<i2").copy()
        return torch.from_numpy(a).view(torch.bfloat16).reshape(shape)
    if dtype == "F8_E4M3":
        a = np.frombuffer(raw, dtype=np.uint8).copy()
        return torch.from_numpy(a).reshape(shape)
    a = np.frombuffer(raw, dtype=np.dtype(_NP_OF[dtype]).newbyteorder("<")).astype(_NP_OF[dtype])
    return torch.from_numpy(a.copy()).reshape(shape)


# ----------------------------------------------------------------------------------------------
# Single file
# ----------------------------------------------------------------------------------------------


def save_file(tensors, path, metadata=None):
    """tensors: dict name -> torch tensor or F8Codes. Names written in sorted order."""
    header = {}
    chunks = []
    off = 0
    for name in sorted(tensors):
        dt, shape, raw = _to_bytes(tensors[name])
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    header["__metadata__"] = dict(metadata if metadata is not None else {"format": "pt"})
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # pad to 8-byte alignment with spaces
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)
    return off


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode("utf-8"))
    return n, header


def load_file(path, with_dtypes=False):
    """Returns dict name -> tensor (and, if with_dtypes, dict name -> safetensors dtype string)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out, dtypes = {}, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = _from_bytes(info["dtype"], info["shape"], data[base + b:base + e])
        dtypes[name] = info["dtype"]
    return (out, dtypes) if with_dtypes else out


# ----------------------------------------------------------------------------------------------
# Folder (single file or sharded with index)
# ----------------------------------------------------------------------------------------------


def tensor_nbytes(t):
    if isinstance(t, F8Codes):
        return t.codes.numel()
    return t.numel() * t.element_size()


def save_model_folder(tensors, folder, max_shard_bytes=None, n_shards=None):
    """Writes model.safetensors, or model-0000i-of-0000n.safetensors + model.safetensors.index.json.

    Sharding: names are taken in sorted order and a new shard starts when adding a tensor would exceed
    max_shard_bytes, or, with n_shards, the sorted names are split into n_shards near-equal byte groups.
    """
    os.makedirs(folder, exist_ok=True)
    names = sorted(tensors)
    if not max_shard_bytes and not n_shards:
        save_file(tensors, os.path.join(folder, "model.safetensors"))
        return ["model.safetensors"]
    total = sum(tensor_nbytes(tensors[k]) for k in names)
    groups = []
    if n_shards:
        # contiguous runs of the sorted names, cut where the byte position crosses i*total/n_shards
        buckets = [[] for _ in range(n_shards)]
        pos = 0
        for k in names:
            buckets[min(n_shards - 1, (pos * n_shards) // max(total, 1))].append(k)
            pos += tensor_nbytes(tensors[k])
        groups = [b for b in buckets if b]
    else:
        cur, cur_bytes = [], 0
        for k in names:
            nb = tensor_nbytes(tensors[k])
            if cur and cur_bytes + nb > max_shard_bytes:
                groups.append(cur)
                cur, cur_bytes = [], 0
            cur.append(k)
            cur_bytes += nb
        if cur:
            groups.append(cur)
    files = []
    weight_map = {}
    for i, g in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        save_file({k: tensors[k] for k in g}, os.path.join(folder, fname))
        files.append(fname)
        for k in g:
            weight_map[k] = fname
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return files


def load_model_folder(folder, with_dtypes=False):
    """Loads every tensor of a HF model folder (index-based sharding or a single model.safetensors)."""
    idx = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        files = sorted(set(wm.values()))
    elif os.path.exists(os.path.join(folder, "model.safetensors")):
        wm = None
        files = ["model.safetensors"]
    else:
        raise FileNotFoundError(f"{folder}: no model.safetensors or model.safetensors.index.json")
    out, dts = {}, {}
    for fn in files:
        t, d = load_file(os.path.join(folder, fn), with_dtypes=True)
        for k in t:
            if k in out:
                raise ValueError(f"tensor {k} appears in more than one shard")
            if wm is not None and wm.get(k) != fn:
                raise ValueError(f"tensor {k} found in {fn} but the index says {wm.get(k)}")
        out.update(t)
        dts.update(d)
    if wm is not None:
        missing = set(wm) - set(out)
        if missing:
            raise ValueError(f"index lists tensors not found in shards: {sorted(missing)[:5]}")
    return (out, dts) if with_dtypes else out
