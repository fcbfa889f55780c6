// Chat templates: turn a messages array ([{role, content}, ...]) into the prompt text a model was trained on.
//
// A model folder's template comes from chat_template.jinja if present, else from tokenizer_config.json's
// `chat_template` (a string, or a list of {name, template} where "default" is used, or "tool_use" when tools are
// passed). The special tokens (bos_token, eos_token, ...) come from tokenizer_config.json as strings or
// {content: ...} objects. Rendering passes what the reference chat-template tooling passes: the special tokens, any
// extra variables (tools, enable_thinking, ...), `messages` and `add_generation_prompt`.
//
// Folders without a template fall back to built-in DeepSeek-V3 or DeepSeek-R1 templates written from the chat
// format: BOS, system prompts joined by blank lines, "<｜User｜>" + text, "<｜Assistant｜>" + text + EOS, tool calls
// and outputs in their special tokens; R1 drops reasoning (everything up to the last "</think>") from history and
// opens its generation prompt with "<｜Assistant｜><think>\n".
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace seek::jinja {
class Template;
}

namespace seek {

enum class BuiltinChat { deepseek_v3, deepseek_r1 };

// "deepseek-v3" / "deepseek-r1" (also "v3", "r1"); throws seek::Error for anything else.
BuiltinChat parse_builtin_chat(const std::string& name);
const std::string& builtin_chat_source(BuiltinChat which);

extern const char* const kDeepSeekBos;  // "<｜begin▁of▁sentence｜>"
extern const char* const kDeepSeekEos;  // "<｜end▁of▁sentence｜>"

class ChatTemplate {
 public:
  // Loads the folder's template and special tokens. Without a template in the folder: the `fallback` built-in,
  // or, when none is given, R1 if the folder's name mentions R1 and V3 otherwise.
  static ChatTemplate from_model_dir(const std::string& dir, std::optional<BuiltinChat> fallback = std::nullopt);
  // A built-in template with the given special tokens (DeepSeek's by default).
  static ChatTemplate builtin(BuiltinChat which, std::string bos = kDeepSeekBos, std::string eos = kDeepSeekEos);
  // A template from source text; `special_tokens` maps names like "bos_token" to their text.
  static ChatTemplate from_source(const std::string& source, std::map<std::string, std::string> special_tokens,
                                  const std::string& name = "chat template");

  // Same special tokens, different template (e.g. a built-in or a --template file with a folder's tokens).
  ChatTemplate with_source(const std::string& source, const std::string& name) const;
  // The built-in template `which` with these special tokens (what --template NAME puts in a folder's place).
  ChatTemplate with_builtin(BuiltinChat which) const;

  std::string render(const nlohmann::json& messages, bool add_generation_prompt,
                     const nlohmann::json& extra_context = {}) const;
  // Keeps the key order of objects (visible when a template prints tools or arguments with tojson).
  std::string render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                     const nlohmann::ordered_json& extra_context = {}) const;

  // The template `render` would use (named templates: "default", or "tool_use" when `with_tools`).
  const std::string& source(bool with_tools = false) const;
  const std::map<std::string, std::string>& special_tokens() const { return special_tokens_; }
  std::string bos_token() const;
  std::string eos_token() const;
  bool is_builtin() const { return builtin_; }

 private:
  const jinja::Template& pick(bool with_tools) const;

  std::map<std::string, std::shared_ptr<const jinja::Template>> templates_;  // by name; "default" if unnamed
  std::map<std::string, std::string> special_tokens_;
  std::string origin_;  // for messages: the file the template came from
  bool builtin_ = false;
};

}  // namespace seek
