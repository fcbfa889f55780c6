// seek convert: a Hugging Face model folder to a GGUF file, or a GGUF file back to a Hugging Face folder.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "model/gguf_convert.h"
#include "model/gguf_model.h"

namespace seek::cli {

namespace {

struct ConvertArgs {
  std::string model, out, type, kv_b = "split";
};

void run_convert(const ConvertArgs& a) {
  auto log = [](const std::string& line) { std::fprintf(stderr, "convert: %s\n", line.c_str()); };
  if (is_gguf_file(a.model))
    convert_gguf_to_hf(a.model, a.out, a.type.empty() ? "f32" : a.type, log);
  else
    convert_hf_to_gguf(a.model, a.out, a.type.empty() ? "f16" : a.type, log, {a.kv_b == "split"});
}

}  // namespace

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert", "write a model folder as a GGUF file (llama.cpp's format), or a GGUF file as a model folder");
  cmd->add_option("--model", args->model, "a Hugging Face model folder (deepseek_v3/v2, qwen2, llama) or a .gguf file")
      ->required();
  cmd->add_option("--out", args->out, "the .gguf file to write, or the folder to write from a .gguf")->required();
  cmd->add_option("--type", args->type,
                  "to GGUF: f16 (default), bf16, f32, q8_0, q4_0, q5_0, q4_1, q5_1, q4_K_M, q5_K_M (llama.cpp's "
                  "mixes: q4_K/q5_K with q6_K for the sensitive tensors); to a folder: f32 (default), bf16, f16");
  cmd->add_option("--kv-b", args->kv_b,
                  "DeepSeek to GGUF: split (default; attn_k_b/attn_v_b, llama.cpp's MLA layout) or joined (attn_kv_b, "
                  "its older multi-head layout)")
      ->check(CLI::IsMember({"split", "joined"}));
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace seek::cli
