// One choice's generated text made into the API's fields as it streams: reasoning_content apart from content (the
// reasoning splitter), tool calls apart from content (the model's tool-call syntax), each piece emitted as soon as
// it is certain. The streaming and the non-streaming responses are both built from it, so they always agree.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/generation_stream.h"
#include "infer/reasoning.h"
#include "infer/tool_calls.h"

namespace seek::serve {

struct ChoiceDelta {
  std::string reasoning, content;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
};

class ChoiceOutput {
 public:
  // split: reasoning apart (else everything is content; `raw_prefix` goes in front, e.g. the "<think>\n" the
  // prompt opened). tools: the syntax to parse calls in, or None.
  ChoiceOutput(bool split, bool started_in_reasoning, ToolCallSyntax tools, std::string raw_prefix = "");
  ChoiceDelta feed(const std::string& text);
  ChoiceDelta finish();

  const std::string& reasoning() const { return reasoning_; }
  const std::string& content() const { return content_; }
  const std::vector<ToolCall>& tool_calls() const;
  bool in_reasoning() const { return splitter_.in_reasoning(); }

 private:
  void route(const std::vector<TextEvent>& events, ChoiceDelta& d);
  void answer(const std::string& text, ChoiceDelta& d, bool at_end);

  bool split_;
  ReasoningSplitter splitter_;
  ToolCallSyntax tools_;
  ToolCallParser parser_;
  bool parser_failed_ = false;
  std::string raw_prefix_, reasoning_, content_;
};

// Generated tokens spent inside the reasoning: up to and including the one that completed "</think>" (all of
// them if the block never closed); 0 if generation did not start in reasoning and no block opened at the start.
int64_t count_reasoning_tokens(const Tokenizer& tok, const std::vector<int32_t>& tokens, bool started_in_reasoning);

// OpenAI's logprobs objects: chat ({"content": [{"token", "logprob", "bytes", "top_logprobs"}]}) and legacy
// completions ({"tokens", "token_logprobs", "top_logprobs", "text_offset"}).
nlohmann::json chat_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lp);
nlohmann::json completion_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lp);

// "stop", "length" (the token budget, the context, or a timeout) or "tool_calls".
std::string finish_reason(FinishReason r, bool has_tool_calls);

}  // namespace seek::serve
