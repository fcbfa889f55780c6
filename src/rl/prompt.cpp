#include "rl/prompt.h"

#include "core/error.h"
#include "formats/checkpoint.h"
#include "infer/reasoning.h"

namespace seek {

const char* const kR1ZeroTemplate =
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The "
    "assistant first thinks about the reasoning process in the mind and then provides the user with the answer. "
    "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. "
    "Assistant:";

const char* const kR1MathInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

std::string r1_zero_prompt(const std::string& question, bool open_think) {
  std::string t = kR1ZeroTemplate;
  t.replace(t.find("{prompt}"), 8, question);
  return open_think ? t + " <think>" : t;
}

PromptStyle resolve_prompt_style(const std::string& name, const Assistant& as) {
  if (name == "r1-zero" || name == "r1_zero") return PromptStyle::r1_zero;
  if (name == "chat") {
    if (as.chat.is_builtin())
      throw Error(as.dir +
                  ": the model has no chat template (tokenizer_config.json chat_template or "
                  "chat_template.jinja); use --prompt-style r1-zero");
    return PromptStyle::chat;
  }
  if (name == "auto") {  // what the checkpoint was trained on; a published model chats
    if (as.chat.is_builtin()) return PromptStyle::r1_zero;
    return checkpoint_origin(as.dir).prompt_style == "r1-zero" ? PromptStyle::r1_zero : PromptStyle::chat;
  }
  throw Error("prompt style '" + name + "': expected auto, chat or r1-zero");
}

const char* prompt_style_name(PromptStyle s) { return s == PromptStyle::chat ? "chat" : "r1-zero"; }

TaskPrompt build_prompt(const Assistant& as, const std::string& question, const PromptOptions& o) {
  TaskPrompt p;
  if (o.style == PromptStyle::r1_zero) {
    p.user = question;
    p.text = r1_zero_prompt(question, o.open_think);
    p.ids = as.encode_raw(p.text);
    p.started_in_think = o.open_think;
    return p;
  }
  p.user = o.instruction.empty() ? question : question + "\n" + o.instruction;
  p.text = as.render(nlohmann::json::array({{{"role", "user"}, {"content", p.user}}}), true);
  p.ids = as.encode_prompt(p.text);
  p.started_in_think = prompt_opens_reasoning(p.text);
  return p;
}

}  // namespace seek
