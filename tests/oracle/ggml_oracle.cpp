// llama.cpp's own quantization code as an oracle, loaded at run time from the prebuilt library in node-llama-cpp's
// npm package (tests/oracle/llama; the C functions its libggml-base.so and libllama.so export).
//
//   seek_ggml_oracle blocks LIBDIR
//       For every block type seek reads (q8_0 q4_0 q4_1 q5_0 q5_1 q4_K q5_K q6_K): rows of varied data are
//       quantized by llama.cpp's quantizer (ggml_quantize_chunk, what its model quantizer calls), then dequantized
//       by llama.cpp (dequantize_row_*) and by seek (dequantize_row): the floats must be bit-identical. seek's own
//       quantizer must write the bytes llama.cpp's reference quantizer (quantize_row_*_ref) writes, on those rows
//       and on harder ones (zeros, outliers, f16 overflow, subnormals, rounding ties). seek's matmul over the
//       quantized rows (GEMV and GEMM sizes) must match a float64 product of x with llama.cpp's dequantized rows.
//       Exit 1 on any mismatch.
//   seek_ggml_oracle quantize LIBDIR IN.gguf OUT.gguf FTYPE
//       llama_model_quantize with FTYPE one of f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_K_M q5_K_M q6_K.
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/quant_blocks.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/quant_decode.h"

namespace {

using namespace seek;

void* open_lib(const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name;
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    std::fprintf(
        stderr,
        "cannot load %s: %s\n(install the oracle: cd tests/oracle/llama && npm install --omit=optional --no-save)\n",
        path.c_str(), dlerror());
    std::exit(2);
  }
  return h;
}
void* sym(void* lib, const std::string& name) {
  void* p = dlsym(lib, name.c_str());
  if (!p) {
    std::fprintf(stderr, "llama.cpp's library has no symbol %s\n", name.c_str());
    std::exit(2);
  }
  return p;
}

struct TypeCase {
  DType seek;
  int ggml;  // the ggml_type number
  const char* suffix;
};
const TypeCase kTypes[] = {{DType::Q8_0, 8, "q8_0"},  {DType::Q4_0, 2, "q4_0"}, {DType::Q4_1, 3, "q4_1"},
                           {DType::Q5_0, 6, "q5_0"},  {DType::Q5_1, 7, "q5_1"}, {DType::Q4_K, 12, "q4_K"},
                           {DType::Q5_K, 13, "q5_K"}, {DType::Q6_K, 14, "q6_K"}};

// Rows with different shapes of data: normal, uniform, heavy outliers, all one sign, tiny, exact zeros, constant.
std::vector<float> test_rows(int64_t rows, int64_t n) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_real_distribution<float> uni(-1.f, 1.f);
  std::vector<float> x(size_t(rows * n));
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < n; j++) {
      float v = 0;
      switch (r % 7) {
        case 0: v = normal(rng) * 0.02f; break;
        case 1: v = uni(rng); break;
        case 2: v = normal(rng) * (j % 97 == 0 ? 50.f : 0.5f); break;
        case 3: v = std::fabs(normal(rng)) + 0.1f; break;
        case 4: v = normal(rng) * 1e-6f; break;
        case 5: v = (j / 32) % 3 == 0 ? 0.f : normal(rng); break;
        default: v = 0.37f; break;
      }
      x[size_t(r * n + j)] = v;
    }
  return x;
}

// Harder rows for the quantizers alone (some overflow f16 scales, so their values are not checked elsewhere): all
// zero, all negative, one outlier, magnitudes near and past f16's range, below the K quantizers' zero threshold and
// subnormal, sub-blocks of very different magnitudes, all above zero, constant negative, exact rounding ties,
// sparse, super-blocks of different kinds in one row, magnitudes at the K quantizers' zero threshold, and many rows
// of groups with random magnitudes and offsets.
std::vector<float> edge_rows(int64_t n) {
  std::mt19937 rng(99);
  std::normal_distribution<float> normal(0.f, 1.f);
  const int kinds = 14, mixed = 64;
  std::uniform_real_distribution<float> expo(-3.f, 3.f);
  std::vector<float> x(size_t((kinds + mixed) * n));
  for (int r = 0; r < kinds; r++)
    for (int64_t j = 0; j < n; j++) {
      const float g = normal(rng);
      float v = 0;
      switch (r) {
        case 0: v = 0; break;
        case 1: v = -std::fabs(g) - 0.05f; break;
        case 2: v = j == n / 2 + 5 ? 40.f : g * 0.1f; break;
        case 3: v = g * 3e4f; break;
        case 4: v = g * 1e30f; break;
        case 5: v = g * 1e-20f; break;
        case 6: v = g * 1e-39f; break;
        case 7: v = g * std::ldexp(1.f, int(j / 32 % 16) - 8); break;
        case 8: v = 5 + g * 0.1f; break;
        case 9: v = -1.5f; break;
        case 10: v = float(int(j * 7 % 17) - 8) * 0.125f; break;
        case 11: v = j % 61 == 0 ? g : 0.f; break;
        case 12: v = j < 256 ? 0.f : j < 512 ? g : g * 1e5f; break;
        default: v = g * 3e-15f; break;  // group maxima around the threshold
      }
      x[size_t(r * n + j)] = v;
    }
  // many rows whose 32-element groups each have their own magnitude and offset, for breadth
  for (int64_t r = kinds; r < kinds + mixed; r++)
    for (int64_t j0 = 0; j0 < n; j0 += 32) {
      const float scale = std::pow(10.f, expo(rng)), offset = normal(rng) * scale;
      for (int64_t j = j0; j < j0 + 32; j++) x[size_t(r * n + j)] = offset + normal(rng) * scale;
    }
  return x;
}

int run_blocks(const std::string& dir) {
  void* base = open_lib(dir, "libggml-base.so");
  using QuantizeChunk = size_t (*)(int, const float*, void*, int64_t, int64_t, int64_t, const float*);
  using Dequant = void (*)(const void*, float*, int64_t);
  using QuantRef = void (*)(const float*, void*, int64_t);
  auto quantize_chunk = reinterpret_cast<QuantizeChunk>(sym(base, "ggml_quantize_chunk"));
  const int64_t rows = 21, n = 768;  // 3 super-blocks per row
  const std::vector<float> x = test_rows(rows, n);
  std::vector<float> xq = x;  // the quantizers' rows
  const std::vector<float> edges = edge_rows(n);
  xq.insert(xq.end(), edges.begin(), edges.end());
  int failures = 0;
  for (const TypeCase& tc : kTypes) {
    auto dequant = reinterpret_cast<Dequant>(sym(base, std::string("dequantize_row_") + tc.suffix));
    const size_t rb = row_bytes(tc.seek, n);
    std::vector<uint8_t> q(rb * rows);
    const size_t wrote = quantize_chunk(tc.ggml, x.data(), q.data(), 0, rows, n, nullptr);
    if (wrote != q.size()) {
      std::printf("%s: llama.cpp wrote %zu bytes, seek expects %zu\n", tc.suffix, wrote, q.size());
      failures++;
      continue;
    }
    std::vector<float> ref(size_t(rows * n)), ours(size_t(rows * n)), fast(size_t(rows * n));
    for (int64_t r = 0; r < rows; r++) {
      dequant(q.data() + r * rb, ref.data() + r * n, n);
      dequantize_row(tc.seek, q.data() + r * rb, ours.data() + r * n, n);
      cpu::decode_blocks(tc.seek, q.data() + r * rb, fast.data() + r * n, n);
    }
    int64_t differ = 0, differ_fast = 0;
    for (size_t i = 0; i < ref.size(); i++) {
      differ += std::memcmp(&ref[i], &ours[i], 4) != 0;
      differ_fast += std::memcmp(&ref[i], &fast[i], 4) != 0;
    }
    std::printf("%-5s dequantize: %lld (reference) and %lld (kernel decoder) of %lld values differ from llama.cpp's\n",
                tc.suffix, (long long)differ, (long long)differ_fast, (long long)ref.size());
    failures += differ != 0;
    failures += differ_fast != 0;

    {  // seek's quantizer vs llama.cpp's reference one
      auto qref = reinterpret_cast<QuantRef>(sym(base, std::string("quantize_row_") + tc.suffix + "_ref"));
      const int64_t qrows = int64_t(xq.size()) / n;
      std::vector<uint8_t> a(rb * size_t(qrows)), b(a.size());
      qref(xq.data(), a.data(), qrows * n);
      for (int64_t r = 0; r < qrows; r++) quantize_row(tc.seek, xq.data() + r * n, b.data() + r * rb, n);
      size_t bytes_differ = 0, first = a.size();
      for (size_t i = 0; i < a.size(); i++)
        if (a[i] != b[i]) bytes_differ++, first = std::min(first, i);
      std::printf("%-5s quantize:   %zu of %zu bytes differ from llama.cpp's reference quantizer", tc.suffix,
                  bytes_differ, a.size());
      if (bytes_differ) std::printf(" (first: row %zu, byte %zu)", first / rb, first % rb);
      std::printf("\n");
      failures += bytes_differ != 0;
    }

    // matmul over the blocks vs float64 over llama.cpp's dequantized values, at decode and prefill sizes
    WeightRef w;
    w.dtype = tc.seek;
    w.data = q.data();
    w.rows = rows;
    w.cols = n;
    for (int64_t M : {1, 3, 8, 20}) {
      std::vector<float> xs(size_t(M * n)), y(size_t(M * rows));
      std::mt19937 rng{uint32_t(M)};
      std::normal_distribution<float> nd(0.f, 1.f);
      for (float& v : xs) v = nd(rng);
      cpu::matmul(y.data(), xs.data(), M, w, Precision::F32);
      double worst = 0;
      for (int64_t m = 0; m < M; m++)
        for (int64_t r = 0; r < rows; r++) {
          double s = 0, mag = 0;
          for (int64_t k = 0; k < n; k++) {
            s += double(xs[size_t(m * n + k)]) * ref[size_t(r * n + k)];
            mag += std::fabs(double(xs[size_t(m * n + k)]) * ref[size_t(r * n + k)]);
          }
          worst = std::max(worst, std::fabs(y[size_t(m * rows + r)] - s) / (mag + 1e-30));
        }
      const bool ok = worst < 1e-5;  // f32 accumulation over 768 terms
      if (!ok) std::printf("%-5s matmul M=%lld: relative error %.3g\n", tc.suffix, (long long)M, worst);
      failures += !ok;
    }
  }
  std::printf(failures ? "FAILED: %d checks\n" : "all block types agree with llama.cpp\n", failures);
  return failures ? 1 : 0;
}

// llama_model_quantize_params as llama.h (llama.cpp b-release bundled with node-llama-cpp 3.22.1) declares it.
struct QuantizeParams {
  int32_t nthread;
  int32_t ftype;
  int32_t output_tensor_type;
  int32_t token_embedding_type;
  bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
  const void* imatrix;
  const void* kv_overrides;
  const void* tt_overrides;
  const int32_t* prune_layers;
  size_t max_buf_size;
};

int run_quantize(const std::string& dir, const char* in, const char* out, const std::string& type) {
  const std::map<std::string, int> ftypes = {{"f32", 0},     {"f16", 1},     {"bf16", 32}, {"q8_0", 7},
                                             {"q4_0", 2},    {"q4_1", 3},    {"q5_0", 8},  {"q5_1", 9},
                                             {"q4_K_M", 15}, {"q5_K_M", 17}, {"q6_K", 18}};
  auto it = ftypes.find(type);
  if (it == ftypes.end()) {
    std::fprintf(stderr, "unknown file type '%s'\n", type.c_str());
    return 2;
  }
  open_lib(dir, "libggml-base.so");
  open_lib(dir, "libggml.v0.5.0.so");
  void* llama = open_lib(dir, "libllama.v0.5.0.so");
  using Defaults = QuantizeParams (*)();
  using Quantize = uint32_t (*)(const char*, const char*, const QuantizeParams*);
  QuantizeParams p = reinterpret_cast<Defaults>(sym(llama, "llama_model_quantize_default_params"))();
  p.nthread = 2;
  p.ftype = it->second;
  const uint32_t rc = reinterpret_cast<Quantize>(sym(llama, "llama_model_quantize"))(in, out, &p);
  if (rc != 0) std::fprintf(stderr, "llama_model_quantize failed (%u)\n", rc);
  return rc == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "blocks" && argc == 3) return run_blocks(argv[2]);
  if (cmd == "quantize" && argc == 6) return run_quantize(argv[2], argv[3], argv[4], argv[5]);
  std::fprintf(stderr, "usage: %s blocks LIBDIR | quantize LIBDIR IN.gguf OUT.gguf FTYPE\n", argv[0]);
  return 2;
}
