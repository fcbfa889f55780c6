// `seek sft`: supervised fine-tuning of a chat model on chat-format JSONL (rl/sft_data.h: loss on the trained
// assistant turn only, its reasoning kept), with samples packed into rows of --seq-len tokens (attention and
// positions restart per sample), epochs over the packed rows in a seeded order, AdamW with warmup + cosine decay
// and gradient clipping; full fine-tuning (f32 masters) or LoRA (the base frozen in its stored dtype).
// The run's folder OUT holds what `seek train` writes: checkpoints OUT/step-N (+ OUT/latest), metrics.jsonl,
// report.html, summary.json; --resume continues from OUT/latest to exactly the losses of an uninterrupted run.
// At the end, LoRA runs also write the adapter into OUT itself (adapter_config.json + adapter_model.safetensors,
// PEFT's layout: `--adapter OUT`), or with merge a merged model folder (`--model OUT`). Full fine-tuning's model
// is OUT/latest (`--model OUT`).
// Bases: Qwen2 and Llama (full or LoRA), DeepSeek V3/V2 (full fine-tuning of the main model: no MTP loss, no balance
// loss; an fp8 base is trained and written in f32). Checkpoints record stage "sft" and the prompt style trained on
// in trainer_state.json ("chat" when any sample is conversational, else the base's), which the commands reading
// them follow (formats/checkpoint.h: checkpoint_origin).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seek::rl {

struct SftConfig {
  std::string model, data, out;
  double lr = 1e-4, min_lr_ratio = 0.1;        // cosine from lr down to lr * min_lr_ratio
  int64_t warmup_steps = -1;                   // -1: 3% of the steps, at least 1
  int64_t epochs = 3, batch = 4, seq_len = 0;  // seq_len 0: 2048, or the model's context if shorter
  double weight_decay = 0.0, grad_clip = 1.0;
  int64_t lora_rank = 0;  // 0: full fine-tuning
  double lora_alpha = 16;
  std::vector<std::string> lora_targets = {"q_proj", "k_proj", "v_proj", "o_proj"};
  bool merge = false;            // LoRA: write a merged model folder instead of the adapter
  int64_t checkpoint_every = 0;  // steps; 0: at the end of every epoch
  int64_t keep_checkpoints = 2;
  uint64_t seed = 1;
  std::string precision = "f32";  // GEMM operands of the trained layers: f32 or bf16
  int threads = 0;
};

// Runs (or with resume, continues) the fine-tune and returns the run summary (also OUT/summary.json). Bad input is
// a one-line Error naming the file, line or option.
nlohmann::json run_sft(const SftConfig& cfg, bool resume);

}  // namespace seek::rl
