// Tool calls (function calling) in the model's own syntax, and back to the OpenAI shape:
//   DeepSeek-V3/R1:  <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{ARGS}\n```
//                    <｜tool▁call▁end｜>...<｜tool▁calls▁end｜>     (the tokens and layout of the model's chat
//                    template; also the R1-Distill-Qwen and R1-Distill-Llama templates)
//   Qwen2.5:         <tool_call>\n{"name": NAME, "arguments": {ARGS}}\n</tool_call>   (calls joined by "\n")
//   DeepSeek-V3.1:   <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{ARGS}<｜tool▁call▁end｜>...
//                    <｜tool▁calls▁end｜>      (DeepSeekV31: its template writes neither the type nor the fence)
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

enum class ToolCallSyntax { None, DeepSeek, Qwen, DeepSeekV31 };

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
  // A call's arguments stream as they arrive (their end is found by scanning the JSON, so text inside strings
  // never ends a call). Throws Error for text that cannot be a call where the syntax requires one (e.g. garbage
  // after the calls-begin token).
  std::vector<ToolCallDelta> feed(const std::string& text);
  // End of generation: flushes held text. Throws Error for a call left unfinished or whose arguments are not JSON.
  std::vector<ToolCallDelta> finish();
  const std::vector<ToolCall>& calls() const { return calls_; }
  // All content (text outside calls) so far.
  const std::string& content() const { return content_; }

 private:
  void step(std::vector<ToolCallDelta>& out, bool at_end);
  bool step_content(std::vector<ToolCallDelta>& out, bool at_end);
  bool step_calls(std::vector<ToolCallDelta>& out);
  bool step_header(std::vector<ToolCallDelta>& out);
  bool step_qwen_head(std::vector<ToolCallDelta>& out);
  bool step_args(std::vector<ToolCallDelta>& out);
  bool step_trailer();
  void start_call(std::vector<ToolCallDelta>& out, std::string name);
  void end_call();

  ToolCallSyntax syntax_;
  std::string held_;  // text received but not yet consumed
  std::vector<ToolCall> calls_;
  std::string content_;
  int state_ = 0;
  // The arguments scanner: nesting depth, inside a string, after a backslash.
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false, fallback_ = false;
};

// tool_choice "required" or a named function: the output must be one call (in `syntax`) to one of `tools` (the
// OpenAI `tools` array; `only` restricts it to one function name), its arguments valid against that function's
// `parameters` schema. Throws Error for a tool without a name, an unknown `only`, or an unsupported schema.
std::unique_ptr<TokenConstraint> tool_call_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                      ToolCallSyntax syntax, const nlohmann::json& tools,
                                                      const std::optional<std::string>& only = std::nullopt);
// The same, keeping the key order of the parameters schemas (arguments are generated in schema order).
std::unique_ptr<TokenConstraint> tool_call_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                      ToolCallSyntax syntax, const nlohmann::ordered_json& tools,
                                                      const std::optional<std::string>& only = std::nullopt);

}  // namespace seek
