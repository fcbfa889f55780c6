// GGUF's block-quantized weight formats, in the byte layouts GGUF files store them (little-endian, packed):
//
//   type   elems  bytes  layout of one block                                   value of element j
//   q8_0     32     34   f16 d, i8 q[32]                                        d * q[j]
//   q4_0     32     18   f16 d, u8 qs[16] (low nibbles: j < 16, high: j >= 16)  d * (nibble - 8)
//   q4_1     32     20   f16 d, f16 m, u8 qs[16] (as q4_0)                       d * nibble + m
//   q5_0     32     22   f16 d, u32 qh (bit j: the 5th bit), u8 qs[16]          d * ((nibble | bit << 4) - 16)
//   q5_1     32     24   f16 d, f16 m, u32 qh, u8 qs[16] (as q5_0)               d * (nibble | bit << 4) + m
//   q4_K    256    144   f16 d, f16 dmin, u8 scales[12], u8 qs[128]             d * sc[s] * nibble - dmin * m[s]
//   q5_K    256    176   f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]  as q4_K with a 5th bit from qh
//   q6_K    256    210   u8 ql[128], u8 qh[64], i8 scales[16], f16 d            d * scales[s] * (6-bit q - 32)
//
// The K types split a 256-element super-block into sub-blocks (8 of 32 for q4_K/q5_K, with 6-bit scales and mins
// packed into 12 bytes; 16 of 16 for q6_K with int8 scales). The exact bit positions are in quant_blocks.cpp.
// Dequantization computes what llama.cpp's reference dequantizers compute (checked against them on the same blocks
// by tests/oracle/ggml_oracle.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace seek {

bool is_block_dtype(DType t);
int64_t block_elems(DType t);  // 1 for element types
int64_t block_bytes(DType t);  // dtype_size for element types
// Bytes of one row of n elements. Throws Error naming the type when n is not a multiple of its block.
size_t row_bytes(DType t, int64_t n);

// q4_K/q5_K: the 6-bit scale and min of sub-block s (0..7) from a super-block's 12 packed scale bytes. Sub-blocks
// 0..3 keep theirs in the low 6 bits of bytes s (scale) and s+4 (min); 4..7 split theirs between a nibble of byte
// s+4 and the top 2 bits of bytes s-4 (scale) and s (min).
inline void k_scale_min(int s, const uint8_t* q, int* sc, int* m) {
  if (s < 4) {
    *sc = q[s] & 63, *m = q[s + 4] & 63;
  } else {
    *sc = (q[s + 4] & 0x0f) | ((q[s - 4] >> 6) << 4), *m = (q[s + 4] >> 4) | ((q[s] >> 6) << 4);
  }
}
// The inverse of k_scale_min: packs the 8 scales sc[s] and mins m[s] (each 0..63) into the 12 bytes q.
inline void k_pack_scale_min(const int* sc, const int* m, uint8_t* q) {
  for (int s = 0; s < 4; s++) {
    q[s] = uint8_t(sc[s] | (sc[s + 4] >> 4) << 6);
    q[s + 4] = uint8_t(m[s] | (m[s + 4] >> 4) << 6);
    q[s + 8] = uint8_t((sc[s + 4] & 0x0f) | (m[s + 4] & 0x0f) << 4);
  }
}

// n elements (a multiple of the block) of blocks of type t -> f32. Element types convert as to_f32 does.
void dequantize_row(DType t, const void* src, float* dst, int64_t n);

// f32 -> blocks, writing the bytes llama.cpp's reference quantizers (quantize_row_*_ref, what its model quantizer
// writes without an importance matrix) write. q8_0, q4_0, q5_0: round-to-nearest with one scale per block (max |x|
// maps to the end of the code range). q4_1, q5_1: round-to-nearest over the block's min..max (m = min, the top code
// = max). q4_K, q5_K: a weighted least-squares scale and min per 32-element sub-block, chosen among a few rounding
// grids, then quantized to 6 bits against the super-block's f16 d and dmin. q6_K: a least-squares scale per
// 16-element sub-block from 19 grids, quantized to int8 against d. Throws Error for other types and for n not a
// multiple of the block.
void quantize_row(DType t, const float* src, void* dst, int64_t n);

}  // namespace seek
