// seek sft: supervised fine-tuning on chat-format JSONL (full, or LoRA with --lora-rank), see rl/sft.h.
#include <cstdio>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "rl/sft.h"

namespace seek::cli {

namespace {
struct SftArgs {
  rl::SftConfig c;
  std::string targets = "q_proj,k_proj,v_proj,o_proj";
  bool resume = false;
};

std::vector<std::string> split_targets(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string t; std::getline(ss, t, ',');) {
    if (t.empty()) throw Error("--lora-targets: empty module name in '" + s + "' (e.g. q_proj,v_proj)");
    out.push_back(t);
  }
  return out;
}
}  // namespace

void register_sft(CLI::App& app) {
  auto a = std::make_shared<SftArgs>();
  rl::SftConfig& c = a->c;
  auto* cmd = app.add_subcommand(
      "sft", "supervised fine-tuning on JSONL (chat messages: loss on the last assistant turn; prompt/completion; text)");
  cmd->add_option("--model", c.model, "base model folder (Qwen2, Llama, DeepSeek V3/V2)")->required();
  cmd->add_option("--data", c.data,
                  "JSONL, one {\"messages\": [...]}, {\"prompt\", \"completion\"} or {\"text\"} per line")
      ->required();
  cmd->add_option("--out", c.out, "output folder: checkpoints, metrics.jsonl, report.html, the adapter")->required();
  cmd->add_option("--lr", c.lr, "peak learning rate (warmup, then cosine)")->capture_default_str();
  cmd->add_option("--min-lr-ratio", c.min_lr_ratio, "final learning rate / peak")->capture_default_str();
  cmd->add_option("--warmup-steps", c.warmup_steps, "warmup steps (-1: 3% of the run)")->capture_default_str();
  cmd->add_option("--epochs", c.epochs, "passes over the data")->capture_default_str();
  cmd->add_option("--batch", c.batch, "packed rows per optimizer step")->capture_default_str();
  cmd->add_option(
      "--seq-len", c.seq_len,
      "tokens per packed row (default: 2048, or the model's context if shorter); a longer sample is an error");
  cmd->add_option("--weight-decay", c.weight_decay, "AdamW weight decay (matrices only)")->capture_default_str();
  cmd->add_option("--grad-clip", c.grad_clip, "global gradient-norm clip (0: off)")->capture_default_str();
  cmd->add_option("--lora-rank", c.lora_rank, "LoRA rank (0: full fine-tuning)")->capture_default_str();
  cmd->add_option("--lora-alpha", c.lora_alpha, "LoRA alpha (scaling = alpha / rank)")->capture_default_str();
  cmd->add_option("--lora-targets", a->targets, "comma-separated projections to adapt")->capture_default_str();
  cmd->add_flag("--merge", c.merge, "LoRA: write a merged model folder into --out instead of the adapter");
  cmd->add_option("--checkpoint-every", c.checkpoint_every, "steps between checkpoints (0: every epoch)");
  cmd->add_option("--keep-checkpoints", c.keep_checkpoints, "checkpoints kept (0: all)")->capture_default_str();
  cmd->add_option("--precision", c.precision, "GEMM operands: f32 or bf16")->capture_default_str();
  cmd->add_option("--seed", c.seed, "seed of the packing order and the adapter's init")->capture_default_str();
  cmd->add_flag("--resume", a->resume, "continue the run in --out from its latest checkpoint");
  cmd->add_option("--threads", c.threads, "worker threads (default: all cores)");
  cmd->callback([a] {
    a->c.lora_targets = split_targets(a->targets);
    const nlohmann::json summary = rl::run_sft(a->c, a->resume);
    std::printf("%s\n", summary.dump().c_str());
  });
}

}  // namespace seek::cli
