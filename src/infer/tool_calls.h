// Tool calls (function calling) in the model's own syntax, and back to the OpenAI shape:
//   DeepSeek-V3/R1:  <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{ARGS}\n```
//                    <｜tool▁call▁end｜>...<｜tool▁calls▁end｜>     (the tokens and layout of the model's chat
//                    template)
//   Qwen2.5 / R1-Distill-Qwen:  <tool_call>\n{"name": NAME, "arguments": {ARGS}}\n</tool_call>
// The parser runs on the streamed text (special tokens included) and separates the assistant's content from calls,
// emitting deltas as they become certain, so a server can stream `tool_calls` deltas.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infer/constraint.h"

namespace seek {

enum class ToolCallSyntax { None, DeepSeek, Qwen };

// Which syntax a chat template's source text uses for tool calls (None when it renders no tools).
ToolCallSyntax detect_tool_call_syntax(const std::string& template_source);

struct ToolCall {
  std::string name;
  std::string arguments;  // a JSON text (OpenAI sends `arguments` as a string)
};

struct ToolCallDelta {
  std::string content;    // assistant text outside any call (may be empty)
  int index = -1;         // >= 0: this delta belongs to tool call `index`
  std::string name;       // set once, on the first delta of a call
  std::string arguments;  // the next fragment of that call's arguments text
};

class ToolCallParser {
 public:
  explicit ToolCallParser(ToolCallSyntax syntax);
  // The next piece of generated text; returns what is now certain (text that might still start a call is held).
  std::vector<ToolCallDelta> feed(const std::string& text);
  // End of generation: flushes held text. Throws Error for a call left unfinished or whose arguments are not JSON.
  std::vector<ToolCallDelta> finish();
  const std::vector<ToolCall>& calls() const { return calls_; }

 private:
  ToolCallSyntax syntax_;
  std::string held_;
  std::vector<ToolCall> calls_;
  int state_ = 0;
};

// tool_choice "required" or a named function: the output must be one call (in `syntax`) to one of `tools` (the
// OpenAI `tools` array; `only` restricts it to one function name), its arguments valid against that function's
// `parameters` schema. Throws Error for a tool without a name, an unknown `only`, or an unsupported schema.
std::unique_ptr<TokenConstraint> tool_call_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                      ToolCallSyntax syntax, const nlohmann::json& tools,
                                                      const std::optional<std::string>& only = std::nullopt);

}  // namespace seek
