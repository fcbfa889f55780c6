// seek forward: logits for a token sequence, for checking against a reference.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "model/language_model.h"
#include "model/lora.h"

namespace seek::cli {

namespace {
struct ForwardArgs {
  std::string model, adapter, tokens, logits_out, mode = "prefill", attn = "absorb", dtype = "f32";
  int threads = 0;
};

void run_forward(const ForwardArgs& a) {
  set_num_threads(a.threads);
  std::vector<int32_t> tokens = parse_token_list(a.tokens, "--tokens");
  Precision prec = parse_precision(a.dtype);
  AttnForm form = parse_attn(a.attn);
  if (a.mode != "prefill" && a.mode != "incremental")
    throw Error("--mode: '" + a.mode + "' is not a mode (expected prefill or incremental)");
  double t0 = now_seconds();
  auto model = load_model_with_adapter(a.model, a.adapter);
  const int64_t V = model->vocab_size(), T = int64_t(tokens.size());
  double t1 = now_seconds();
  std::vector<float> logits(size_t(T * V));
  auto cache = model->new_sequence(form);
  ForwardOptions opt;
  opt.precision = prec;
  if (a.mode == "prefill") {
    model->forward(tokens.data(), T, *cache, opt, logits.data());
  } else {
    for (int64_t t = 0; t < T; t++) model->forward(&tokens[size_t(t)], 1, *cache, opt, &logits[size_t(t * V)]);
  }
  double t2 = now_seconds();
  // NaN or infinite weights would otherwise give NaN logits, argmax 0 and exit 0: fail, naming the layer.
  if (!all_finite(logits.data(), int64_t(logits.size())))
    explain_nonfinite_logits(*model, tokens, form, opt, a.mode == "incremental");
  write_file_atomic(a.logits_out, logits.data(), logits.size() * sizeof(float));
  nlohmann::json argmax = nlohmann::json::array();
  for (int64_t t = 0; t < T; t++) {
    const float* row = &logits[size_t(t * V)];
    int64_t best = 0;
    for (int64_t v = 1; v < V; v++)
      if (row[v] > row[best]) best = v;
    argmax.push_back(best);
  }
  nlohmann::json summary = {{"tokens", T},
                            {"vocab", V},
                            {"mode", a.mode},
                            {"attn", a.attn},
                            {"dtype", a.dtype},
                            {"logits_out", a.logits_out},
                            {"argmax", argmax},
                            {"load_seconds", t1 - t0},
                            {"forward_seconds", t2 - t1}};
  std::printf("%s\n", summary.dump().c_str());
}
}  // namespace

void register_forward(CLI::App& app) {
  auto a = std::make_shared<ForwardArgs>();
  auto* cmd = app.add_subcommand("forward", "compute logits for a token sequence and write them as float32");
  cmd->add_option("--model", a->model, "model folder (config.json + safetensors)")->required();
  cmd->add_option("--adapter", a->adapter, "LoRA adapter folder (PEFT layout, e.g. from seek sft) to apply");
  cmd->add_option("--tokens", a->tokens, "comma-separated token ids, e.g. 0,17,200")->required();
  cmd->add_option("--logits-out", a->logits_out, "output file: float32 little-endian [n_tokens x vocab]")->required();
  cmd->add_option("--mode", a->mode, "prefill (all tokens in one pass) or incremental (one token per step)")
      ->capture_default_str();
  cmd->add_option("--attn", a->attn, "attention form: naive (per-head K/V) or absorb (latent cache)")
      ->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "compute precision: f32 or bf16")->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_forward(*a); });
}

}  // namespace seek::cli
