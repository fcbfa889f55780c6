// decode_blocks: whole rows of blocks through the chunk decoders of quant_chunks_avx2.h (built with
// -ffp-contract=off, see there), or through dequantize_row where the build has no AVX2.
#include "kernels/cpu/quant_decode.h"

#include <algorithm>
#include <vector>

#include "core/quant_blocks.h"
#include "kernels/cpu/quant_chunks_avx2.h"

namespace seek::cpu {

#if defined(SEEK_MATMUL_AVX2)
namespace {

template <DType T>
void decode_row(const uint8_t* b, float* y, int64_t n) {
  using C = detail::Chunks<T>;
  for (int64_t i = 0; i < n; i += C::kElems, b += C::kBytes) {
    const typename C::Scales s = C::scales(b);
    for (int c = 0; c < C::kElems / 32; c++) {
      __m256 w[4];
      C::decode(b, c, s, w);
      for (int k = 0; k < 4; k++) _mm256_storeu_ps(y + i + 32 * c + 8 * k, w[k]);
    }
  }
}

template <DType T>
void decode_cols(const uint8_t* row, int64_t k0, int64_t n, float* y) {
  using C = detail::Chunks<T>;
  for (int64_t k = k0; k < k0 + n; k += 32) {
    const uint8_t* b = row + (k / C::kElems) * C::kBytes;
    __m256 w[4];
    C::decode(b, int(k % C::kElems) / 32, C::scales(b), w);
    for (int v = 0; v < 4; v++) _mm256_storeu_ps(y + (k - k0) + 8 * v, w[v]);
  }
}

}  // namespace

void decode_range(DType t, const void* src, int64_t k0, int64_t n, float* dst) {
  auto b = static_cast<const uint8_t*>(src);
  switch (t) {
    case DType::Q8_0: return decode_cols<DType::Q8_0>(b, k0, n, dst);
    case DType::Q4_0: return decode_cols<DType::Q4_0>(b, k0, n, dst);
    case DType::Q4_1: return decode_cols<DType::Q4_1>(b, k0, n, dst);
    case DType::Q5_0: return decode_cols<DType::Q5_0>(b, k0, n, dst);
    case DType::Q5_1: return decode_cols<DType::Q5_1>(b, k0, n, dst);
    case DType::Q4_K: return decode_cols<DType::Q4_K>(b, k0, n, dst);
    case DType::Q5_K: return decode_cols<DType::Q5_K>(b, k0, n, dst);
    default: return decode_cols<DType::Q6_K>(b, k0, n, dst);
  }
}

void decode_blocks(DType t, const void* src, float* dst, int64_t n) {
  (void)row_bytes(t, n);  // whole blocks, or Error
  auto b = static_cast<const uint8_t*>(src);
  switch (t) {
    case DType::Q8_0: return decode_row<DType::Q8_0>(b, dst, n);
    case DType::Q4_0: return decode_row<DType::Q4_0>(b, dst, n);
    case DType::Q4_1: return decode_row<DType::Q4_1>(b, dst, n);
    case DType::Q5_0: return decode_row<DType::Q5_0>(b, dst, n);
    case DType::Q5_1: return decode_row<DType::Q5_1>(b, dst, n);
    case DType::Q4_K: return decode_row<DType::Q4_K>(b, dst, n);
    case DType::Q5_K: return decode_row<DType::Q5_K>(b, dst, n);
    case DType::Q6_K: return decode_row<DType::Q6_K>(b, dst, n);
    default: return dequantize_row(t, src, dst, n);
  }
}

#else

void decode_blocks(DType t, const void* src, float* dst, int64_t n) { dequantize_row(t, src, dst, n); }
void decode_range(DType t, const void* src, int64_t k0, int64_t n, float* dst) {
  const int64_t be = block_elems(t), first = k0 / be * be, len = (k0 + n + be - 1) / be * be - first;
  std::vector<float> tmp(static_cast<size_t>(len));
  dequantize_row(t, static_cast<const uint8_t*>(src) + row_bytes(t, first), tmp.data(), len);
  std::copy(tmp.begin() + (k0 - first), tmp.begin() + (k0 - first + n), dst);
}

#endif

}  // namespace seek::cpu
