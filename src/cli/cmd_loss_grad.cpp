// seek loss-grad: the mean next-token cross-entropy of one token sequence and the gradient of every parameter,
// written under its Hugging Face name — for checking the training math against another implementation.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "formats/checkpoint.h"
#include "core/parallel.h"
#include "formats/safetensors_write.h"
#include "model/config.h"
#include "model/deepseek_train.h"
#include "train/memory_budget.h"

namespace seek::cli {

namespace {
struct LossGradArgs {
  std::string model, tokens, out;
  double mtp_lambda = 0, balance_alpha = 0;
  int threads = 0;
};

void run_loss_grad(const LossGradArgs& a) {
  set_num_threads(a.threads);
  std::vector<int32_t> tokens = parse_token_list(a.tokens, "--tokens");
  check(tokens.size() >= 2, "--tokens: need at least 2 tokens (positions 0..n-2 predict 1..n-1)");
  check(std::isfinite(a.mtp_lambda) && a.mtp_lambda >= 0, "--mtp-lambda must be a finite number >= 0");
  check(std::isfinite(a.balance_alpha) && a.balance_alpha >= 0, "--balance-alpha must be a finite number >= 0");
  const double t0 = now_seconds();
  const std::string dir = resolve_model_dir(a.model);  // a training run: its latest checkpoint
  const DeepSeekConfig c = load_deepseek_config(dir);
  check_model_fits(c, {"computing the gradients", 8, "f32 weights and gradients", 0, ""}, dir + "/config.json");
  TrainableDeepSeek m(c);
  m.load(dir);
  LossOptions opt;
  opt.mtp_lambda = a.mtp_lambda;
  opt.mtp_depth = a.mtp_lambda > 0 ? -1 : 0;
  opt.balance_alpha = a.balance_alpha;
  const double t1 = now_seconds();
  const Losses L = m.step(tokens.data(), 1, int64_t(tokens.size()), opt);
  const double t2 = now_seconds();
  std::vector<std::pair<std::string, Tensor>> grads;
  for (auto& p : m.params().all())
    if (p.trainable) grads.emplace_back(p.name, Tensor::view_of(DType::F32, p.shape, p.grad.data(), nullptr));
  save_safetensors(a.out, grads);
  nlohmann::json mtp = L.mtp;
  nlohmann::json summary = {
      {"loss", L.main},          {"tokens", tokens.size()},   {"predictions", L.main_tokens}, {"total_loss", L.total},
      {"mtp_losses", mtp},       {"balance_loss", L.balance}, {"gradients", grads.size()},    {"out", a.out},
      {"load_seconds", t1 - t0}, {"step_seconds", t2 - t1}};
  std::printf("%s\n", summary.dump().c_str());
}
}  // namespace

void register_loss_grad(CLI::App& app) {
  auto a = std::make_shared<LossGradArgs>();
  auto* cmd =
      app.add_subcommand("loss-grad", "next-token cross-entropy of a token sequence and every parameter's gradient");
  cmd->add_option("--model", a->model, "model folder (config.json + safetensors), model_type deepseek_v3/v2")
      ->required();
  cmd->add_option("--tokens", a->tokens, "comma-separated token ids, e.g. 0,17,200,5")->required();
  cmd->add_option("--out", a->out, "safetensors file for the gradients (f32, Hugging Face names)")->required();
  cmd->add_option("--mtp-lambda", a->mtp_lambda,
                  "also include the MTP losses with this weight (default 0: main loss only)");
  cmd->add_option("--balance-alpha", a->balance_alpha, "also include the sequence-wise balance loss (default 0)");
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_loss_grad(*a); });
}

}  // namespace seek::cli
