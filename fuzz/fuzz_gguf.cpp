// libFuzzer target: the GGUF parser must turn any byte string into either a valid file or a seek::Error — never
// a crash, a hang, an out-of-bounds read or any other exception. Every metadata value it accepts is read through
// the typed getters, and every tensor of a type seek reads is read end to end: element types through its view,
// block types (q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K) dequantized row by row.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/quant_blocks.h"
#include "formats/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    seek::GgufFile f = seek::GgufFile::parse(nullptr, data, size, "fuzz-input");
    volatile float sink = 0;
    for (const auto& [key, v] : f.metadata()) {
      try {
        if (v.is_array()) {
          if (v.elem_type() == seek::GgufType::STRING)
            sink = sink + float(v.to_strings(key).size());
          else if (v.elem_type() != seek::GgufType::ARRAY)
            sink = sink + float(v.to_floats(key).size());
        } else if (v.type() != seek::GgufType::STRING) {
          sink = sink + float(v.to_float(key));
        }
      } catch (const seek::Error&) {
      }
    }
    for (const seek::GgufTensorInfo& t : f.tensors()) {
      seek::DType dt;
      try {
        dt = f.dtype(t);
      } catch (const seek::Error&) {
        continue;  // a type seek does not read: named in the error, nothing to read
      }
      // dims[0] is bounded by the data only when no other dimension is 0 (numel 0 holds no bytes): skip rows the
      // data cannot hold before sizing anything by them (every type seek reads takes >= 1/2 byte per element).
      const uint64_t cols = t.dims.empty() ? 1 : t.dims[0];
      if (cols == 0 || cols > 2 * t.nbytes) continue;
      const size_t row = seek::row_bytes(dt, int64_t(cols));
      std::vector<float> out(static_cast<size_t>(cols));
      const uint8_t* p = f.tensor_data(t);
      for (size_t off = 0; off + row <= t.nbytes; off += row) {
        seek::dequantize_row(dt, p + off, out.data(), int64_t(cols));
        sink = sink + out[0];
      }
    }
  } catch (const seek::Error&) {
  }
  return 0;
}
