#include "serve/choice_output.h"

namespace seek::serve {

ChoiceOutput::ChoiceOutput(bool split, bool started_in_reasoning, ToolCallSyntax tools, std::string raw_prefix)
    : split_(split), splitter_(started_in_reasoning), tools_(tools), parser_(tools), raw_prefix_(std::move(raw_prefix)) {}

const std::vector<ToolCall>& ChoiceOutput::tool_calls() const {
  static const std::vector<ToolCall> none;
  return parser_failed_ ? none : parser_.calls();
}

void ChoiceOutput::answer(const std::string& text, ChoiceDelta& d, bool at_end) {
  if (tools_ == ToolCallSyntax::None || parser_failed_) {
    d.content += text;
    content_ += text;
    return;
  }
  try {
    std::vector<ToolCallDelta> out = parser_.feed(text);
    if (at_end) {
      auto rest = parser_.finish();
      out.insert(out.end(), rest.begin(), rest.end());
    }
    for (auto& x : out) {
      if (!x.content.empty()) d.content += x.content, content_ += x.content;
      if (x.index >= 0) d.tool_calls.push_back(x);
    }
  } catch (const Error&) {
    // Text that is not a well-formed call (a model writing the call tokens wrongly): what was held back is content.
    parser_failed_ = true;
    d.content += text;
    content_ += text;
  }
}

void ChoiceOutput::route(const std::vector<TextEvent>& events, ChoiceDelta& d) {
  for (const TextEvent& e : events) {
    if (e.kind == TextKind::reasoning) {
      d.reasoning += e.text;
      reasoning_ += e.text;
    } else {
      answer(e.text, d, false);
    }
  }
}

ChoiceDelta ChoiceOutput::feed(const std::string& text) {
  ChoiceDelta d;
  if (!split_) {
    answer(raw_prefix_ + text, d, false);
    raw_prefix_.clear();
    return d;
  }
  route(splitter_.feed(text), d);
  return d;
}

ChoiceDelta ChoiceOutput::finish() {
  ChoiceDelta d;
  if (split_) route(splitter_.finish(), d);
  answer(split_ ? "" : raw_prefix_, d, true);
  raw_prefix_.clear();
  return d;
}

int64_t count_reasoning_tokens(const Tokenizer& tok, const std::vector<int32_t>& tokens, bool started_in_reasoning) {
  TokenStreamDecoder dec(tok);
  std::string text;
  bool opened = started_in_reasoning;
  for (size_t i = 0; i < tokens.size(); i++) {
    text += dec.feed(tokens[i]);
    if (!opened) {
      const size_t lead = text.find_first_not_of(" \t\r\n");
      if (lead == std::string::npos) continue;
      if (text.compare(lead, 7, "<think>", 0, std::min<size_t>(7, text.size() - lead)) != 0) return 0;
      if (text.size() - lead < 7) continue;
      opened = true;
    }
    if (text.find("</think>") != std::string::npos) return int64_t(i + 1);
  }
  return opened ? int64_t(tokens.size()) : 0;
}

namespace {
nlohmann::json bytes_of(const std::string& s) {
  nlohmann::json b = nlohmann::json::array();
  for (unsigned char c : s) b.push_back(int(c));
  return b;
}
}  // namespace

nlohmann::json chat_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lp) {
  nlohmann::json content = nlohmann::json::array();
  for (const TokenLogprob& t : lp) {
    const std::string s = tok.decode(&t.token, 1);
    nlohmann::json top = nlohmann::json::array();
    for (auto [id, l] : t.top) {
      const std::string ts = tok.decode(&id, 1);
      top.push_back({{"token", ts}, {"logprob", l}, {"bytes", bytes_of(ts)}});
    }
    content.push_back({{"token", s}, {"logprob", t.logprob}, {"bytes", bytes_of(s)}, {"top_logprobs", top}});
  }
  return {{"content", content}};
}

nlohmann::json completion_logprobs(const Tokenizer& tok, const std::vector<TokenLogprob>& lp) {
  nlohmann::json tokens = nlohmann::json::array(), values = nlohmann::json::array(), tops = nlohmann::json::array(),
                 offsets = nlohmann::json::array();
  size_t offset = 0;
  for (const TokenLogprob& t : lp) {
    const std::string s = tok.decode(&t.token, 1);
    tokens.push_back(s);
    values.push_back(t.logprob);
    offsets.push_back(offset);
    offset += s.size();
    nlohmann::json top = nlohmann::json::object();
    for (auto [id, l] : t.top) top[tok.decode(&id, 1)] = l;
    tops.push_back(top);
  }
  return {{"tokens", tokens}, {"token_logprobs", values}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

std::string finish_reason(FinishReason r, bool has_tool_calls) {
  if (has_tool_calls) return "tool_calls";
  return r == FinishReason::stop ? "stop" : "length";
}

}  // namespace seek::serve
