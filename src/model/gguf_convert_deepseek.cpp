// DeepSeek (deepseek2) tensors for `seek convert`, both ways. See model/gguf_names.h for the names and
// model/gguf_deepseek.h for the metadata.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "model/weight_source.h"
#include "model/config.h"
#include "model/gguf_convert_rows.h"
#include "model/gguf_model.h"
#include "model/gguf_names.h"
#include "model/schema.h"

namespace seek {

namespace {

// Matrices are read through the WeightSource, which dequantizes any stored dtype (fp8 with its block scales).
void matrix_row(const Linear& l, int64_t r, float* dst) { l.w.row_f32(r, dst, false); }

// One layer's routed experts as three stacked tensors [E, rows, cols] (gate, up, down).
void add_stacked_experts(const MoeSpec& m, WeightSource& src, GgufTensorTypes& types, GgufWriter& w) {
  const int64_t E = int64_t(m.experts.size());
  for (int which = 0; which < 3; which++) {
    std::vector<Linear> t;
    for (const MlpSpec& e : m.experts) t.push_back(src.matrix(which == 0 ? e.gate : which == 1 ? e.up : e.down));
    const TensorSpec& first = which == 0 ? m.experts[0].gate : which == 1 ? m.experts[0].up : m.experts[0].down;
    const int64_t rows = first.shape[0];
    add_gguf_rows(w, gguf_expert_of(first.name)->stacked, types, {E, rows, first.shape[1]}, false,
                  [t, rows](int64_t r, float* dst) { matrix_row(t[size_t(r / rows)], r % rows, dst); });
  }
}

// kv_b_proj [H*(nope+v), L] as attn_k_b [H, L, nope] (W_UK transposed per head) and attn_v_b [H, v, L].
void add_split_kv_b(const DeepSeekConfig& c, const TensorSpec& s, WeightSource& src, GgufTensorTypes& types,
                    GgufWriter& w) {
  const Linear t = src.matrix(s);
  const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, v = c.v_head_dim, L = c.kv_lora_rank;
  const GgufKvBSplit names = *gguf_kv_b_split(s.name);
  add_gguf_rows(w, names.k_b, types, {H, L, nope}, false, [=](int64_t r, float* dst) {
    const int64_t h = r / L, j = r % L;
    std::vector<float> row(static_cast<size_t>(L));
    for (int64_t i = 0; i < nope; i++) {
      matrix_row(t, h * (nope + v) + i, row.data());
      dst[i] = row[size_t(j)];
    }
  });
  add_gguf_rows(w, names.v_b, types, {H, v, L}, false,
                [=](int64_t r, float* dst) { matrix_row(t, (r / v) * (nope + v) + nope + r % v, dst); });
}

}  // namespace

void add_deepseek2_tensors(const DeepSeekConfig& c, WeightSource& src, GgufTensorTypes& types, bool split_kv_b,
                           GgufWriter& w, const std::function<void(const std::string&)>& log) {
  const DeepSeekSchema schema = deepseek_schema(c);
  std::vector<const MoeSpec*> moe;  // the layers whose experts are written (stacked) at their first expert
  for (const BlockSpec& b : schema.blocks)
    if (b.moe) moe.push_back(&*b.moe);
  for (const MtpSpec& m : schema.mtp)
    if (m.block.moe) moe.push_back(&*m.block.moe);
  for (const TensorSpec* s : schema.all()) {
    if (auto e = gguf_expert_of(s->name)) {
      if (e->expert != 0 || s->name.find(".gate_proj.") == std::string::npos) continue;
      for (const MoeSpec* m : moe)
        if (&m->experts[0].gate == s) add_stacked_experts(*m, src, types, w);
      continue;
    }
    if (!s->required && !src.has(*s)) {
      log("no " + s->name + " (optional): not written");
      continue;
    }
    if (split_kv_b && gguf_kv_b_split(s->name)) {
      add_split_kv_b(c, *s, src, types, w);
      continue;
    }
    const std::string g = gguf_name_of(s->name);
    check(!g.empty(), "no GGUF name for " + s->name);
    if (s->shape.size() == 1) {
      const Vec v = src.vector(*s);
      add_gguf_rows(w, g, types, s->shape, true, [v](int64_t, float* dst) { std::copy(v.w, v.w + v.n, dst); });
      continue;
    }
    const Linear l = src.matrix(*s);
    add_gguf_rows(w, g, types, s->shape, s->role == Role::Router,  // llama.cpp keeps the router in f32
                  [l](int64_t r, float* dst) { matrix_row(l, r, dst); });
  }
}

std::vector<std::pair<std::string, Tensor>> deepseek2_hf_tensors(const std::string& gguf_path,
                                                                 const DeepSeekConfig& c) {
  GgufWeights src(GgufFile::open(gguf_path));
  std::vector<std::pair<std::string, Tensor>> out;
  const DeepSeekSchema schema = deepseek_schema(c);
  for (const TensorSpec* s : schema.all()) {
    if (!s->required && !src.has(*s)) continue;
    Tensor t = Tensor::empty(DType::F32, s->shape);
    if (s->shape.size() == 1) {
      const Vec v = src.vector(*s);
      std::copy(v.w, v.w + v.n, t.f32());
    } else {
      const Linear l = src.matrix(*s);
      for (int64_t r = 0; r < l.w.rows; r++) l.w.row_f32(r, t.f32() + r * l.w.cols, false);
    }
    out.emplace_back(s->name, t);
  }
  return out;
}

}  // namespace seek
