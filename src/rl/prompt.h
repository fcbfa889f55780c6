// Prompts for tasks. Two styles:
//  - r1-zero: R1-Zero's plain template (spec §6) around the question, for base models: encoded as raw text (no
//    chat template, special tokens not recognised; BOS first if the tokenizer asks for it), the way `seek data`
//    encodes a training corpus. With open_think the prompt ends in " <think>" and the completion starts inside
//    the reasoning.
//  - chat: the model's chat template with the question (plus `instruction`, by default R1's "Please reason step
//    by step, and put your final answer within \boxed{}.") as the user message and the generation prompt. When
//    the template's generation prompt opens "<think>" (R1 and the R1-Distill models force "<think>\n"), the
//    completion starts inside the reasoning.
// auto: r1-zero for folders without a chat template of their own and for seek training checkpoints (a
// trainer_state.json beside the weights: a model pretrained or RL-trained by seek on plain text), chat otherwise.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "infer/assistant.h"

namespace seek {

extern const char* const kR1ZeroTemplate;  // contains "{prompt}" once
extern const char* const kR1MathInstruction;

std::string r1_zero_prompt(const std::string& question, bool open_think = false);

enum class PromptStyle { chat, r1_zero };
// "chat" | "r1-zero" | "auto" (decided from the model folder as above); throws Error otherwise, and for chat
// when the folder ships no chat template.
PromptStyle resolve_prompt_style(const std::string& name, const Assistant& as);
const char* prompt_style_name(PromptStyle s);

struct TaskPrompt {
  std::string text;  // what the model is fed
  std::vector<int32_t> ids;
  bool started_in_think = false;
  std::string user;  // chat: the user message the template was given (question + instruction); r1-zero: the question
};

struct PromptOptions {
  PromptStyle style = PromptStyle::r1_zero;
  bool open_think = false;                       // r1-zero: end the prompt with " <think>"
  std::string instruction = kR1MathInstruction;  // chat: appended to the question on a new line ("" = none)
};

TaskPrompt build_prompt(const Assistant& as, const std::string& question, const PromptOptions& o);

}  // namespace seek
