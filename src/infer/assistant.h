// A model folder made ready for conversation: the model, its tokenizer, its chat template, the sampling defaults
// it ships with (generation_config.json) or, for reasoning models, the R1 recommendations (temperature 0.6,
// top-p 0.95), and the ids that end a reply.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "text/chat/chat_template.h"
#include "text/tokenizer/tokenizer.h"
#include "infer/sampler.h"
#include "model/language_model.h"

namespace seek {

struct Assistant {
  Assistant(std::string dir, std::unique_ptr<LanguageModel> model, Tokenizer tokenizer, ChatTemplate chat);

  std::string dir;
  std::unique_ptr<LanguageModel> model;
  Tokenizer tokenizer;
  ChatTemplate chat;
  SamplingParams sampling;        // defaults for this model
  std::vector<int32_t> stop_ids;  // end-of-sequence ids of the model, its tokenizer and its template
  bool reasoning = false;         // the template's generation prompt opens a <think> block, or it uses </think>
  std::string template_origin;    // where the template came from, for messages: "the folder", "built-in ..."

  // The chat template is, in order: `template_override` (a built-in, with the folder's special tokens); for a
  // checkpoint written by `seek train` (pretraining only: trainer_state.json beside the weights), the folder's
  // template unless it would open a <think> block, else the built-in DeepSeek-V3 one (a model that never learned
  // <think> is not told to think); the folder's template; the built-in one chosen by the folder's name.
  // Throws Error naming what is missing (e.g. a folder without tokenizer.json). `adapter`: a LoRA adapter folder
  // applied to the model (model/lora.h, load_model_with_adapter), or empty.
  static Assistant load(const std::string& dir, std::optional<BuiltinChat> template_override = std::nullopt,
                        const std::string& adapter = "");
  // The same around a model the caller already has (e.g. a BorrowedModel over a trainer's live weights): the
  // tokenizer, template, stop ids and sampling defaults come from `dir`, the model is not read from it.
  static Assistant with_model(const std::string& dir, std::unique_ptr<LanguageModel> model,
                              std::optional<BuiltinChat> template_override = std::nullopt);

  // The prompt text for `messages` (OpenAI-style), and its ids: special tokens in the rendered text are
  // recognised (the template writes them), no BOS is added (templates write their own).
  std::string render(const nlohmann::json& messages, bool add_generation_prompt = true) const;
  std::vector<int32_t> encode_prompt(const std::string& rendered) const;
  // Raw text (no template): BOS first if the tokenizer asks for it; special tokens are not recognised.
  std::vector<int32_t> encode_raw(const std::string& text) const;
};

}  // namespace seek
