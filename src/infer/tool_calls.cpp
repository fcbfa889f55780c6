// Tool-call syntaxes: detection from a chat template, the streaming parser, and the forced-call constraint.
#include "infer/tool_calls.h"

#include "core/error.h"
#include "infer/grammar/grammar_constraint.h"
#include "infer/grammar/schema.h"

namespace seek {

namespace {
const std::string kCallsBegin = "<｜tool▁calls▁begin｜>", kCallsEnd = "<｜tool▁calls▁end｜>";
const std::string kCallBegin = "<｜tool▁call▁begin｜>", kCallEnd = "<｜tool▁call▁end｜>", kSep = "<｜tool▁sep｜>";
const std::string kFence = "\n```json\n", kQwenOpen = "<tool_call>", kQwenClose = "</tool_call>";

enum State { kContent, kCalls, kHeader, kArgs, kTrailer, kQwenHead };

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool starts_with(const std::string& s, size_t at, const std::string& p) { return s.compare(at, p.size(), p) == 0; }
// s[at..] is a proper prefix of p (more text could still complete it).
bool partial(const std::string& s, size_t at, const std::string& p) {
  return s.size() - at < p.size() && p.compare(0, s.size() - at, s, at) == 0;
}

// Matches `pieces` at the start of s, each optionally preceded by whitespace. Returns the length matched, 0 when
// s ends before the match is decided, -1 on a mismatch.
long expect(const std::string& s, const std::vector<std::string>& pieces) {
  size_t at = 0;
  for (const std::string& p : pieces) {
    while (at < s.size() && is_ws(s[at])) at++;
    if (at == s.size()) return 0;
    if (starts_with(s, at, p)) {
      at += p.size();
      continue;
    }
    return partial(s, at, p) ? 0 : -1;
  }
  return long(at);
}

void add_content(std::vector<ToolCallDelta>& out, const std::string& text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().index < 0) {
    out.back().content += text;
    return;
  }
  ToolCallDelta d;
  d.content = text;
  out.push_back(std::move(d));
}
}  // namespace

ToolCallSyntax detect_tool_call_syntax(const std::string& src) {
  if (src.find(kCallsBegin) != std::string::npos)
    return src.find("```json") != std::string::npos ? ToolCallSyntax::DeepSeek : ToolCallSyntax::DeepSeekV31;
  if (src.find(kQwenOpen) != std::string::npos) return ToolCallSyntax::Qwen;
  return ToolCallSyntax::None;
}

ToolCallParser::ToolCallParser(ToolCallSyntax syntax) : syntax_(syntax) {}

std::vector<ToolCallDelta> ToolCallParser::feed(const std::string& text) {
  held_ += text;
  std::vector<ToolCallDelta> out;
  step(out, false);
  return out;
}

std::vector<ToolCallDelta> ToolCallParser::finish() {
  std::vector<ToolCallDelta> out;
  step(out, true);
  if (state_ == kCalls) {
    size_t i = 0;
    while (i < held_.size() && is_ws(held_[i])) i++;
    if (i < held_.size())
      throw Error("malformed tool call: unexpected text after a call: '" + held_.substr(i, 40) + "'");
    held_.clear();
  }
  if (state_ != kContent && state_ != kCalls)
    throw Error("tool call left unfinished at the end of the generation" +
                (calls_.empty() ? std::string() : " ('" + calls_.back().name + "')"));
  return out;
}

void ToolCallParser::step(std::vector<ToolCallDelta>& out, bool at_end) {
  for (bool more = true; more;) {
    switch (state_) {
      case kContent: more = step_content(out, at_end); break;
      case kCalls: more = step_calls(out); break;
      case kHeader: more = step_header(out); break;
      case kQwenHead: more = step_qwen_head(out); break;
      case kArgs: more = step_args(out); break;
      case kTrailer: more = step_trailer(); break;
      default: more = false;
    }
  }
}

bool ToolCallParser::step_content(std::vector<ToolCallDelta>& out, bool at_end) {
  if (syntax_ == ToolCallSyntax::None) {
    content_ += held_;
    add_content(out, held_);
    held_.clear();
    return false;
  }
  const bool qwen = syntax_ == ToolCallSyntax::Qwen;
  const std::string& marker = qwen ? kQwenOpen : kCallsBegin;
  size_t pos = held_.find(marker);
  size_t keep = 0;  // held back: might still be (a newline and) the start of a marker
  if (pos == std::string::npos) {
    if (!at_end)
      for (size_t k = std::min(held_.size(), marker.size() - 1); k > 0; k--)
        if (partial(held_, held_.size() - k, marker)) {
          keep = k;
          break;
        }
    if (!at_end && qwen && held_.size() > keep && held_[held_.size() - keep - 1] == '\n') keep++;
  }
  size_t end = pos == std::string::npos ? held_.size() - keep : pos;
  std::string text = held_.substr(0, end);
  // Qwen's template writes "\n" before every call; after the calls only whitespace is left.
  if (qwen && pos != std::string::npos && !text.empty() && text.back() == '\n') text.pop_back();
  bool after_calls = !calls_.empty();
  bool blank = text.find_first_not_of(" \n\t\r") == std::string::npos;
  if (after_calls && blank && pos == std::string::npos && !at_end) return false;  // wait: maybe more calls
  if (!(after_calls && blank)) {
    content_ += text;
    add_content(out, text);
  }
  if (pos == std::string::npos) {
    held_.erase(0, end);
    if (at_end) held_.clear();
    return false;
  }
  held_.erase(0, pos + marker.size());
  state_ = qwen ? kQwenHead : kCalls;
  return true;
}

bool ToolCallParser::step_calls(std::vector<ToolCallDelta>&) {
  size_t i = 0;
  while (i < held_.size() && is_ws(held_[i])) i++;
  if (i == held_.size()) return false;
  if (starts_with(held_, i, kCallBegin)) {
    held_.erase(0, i + kCallBegin.size());
    state_ = kHeader;
    return true;
  }
  if (starts_with(held_, i, kCallsEnd)) {
    held_.erase(0, i + kCallsEnd.size());
    state_ = kContent;
    return true;
  }
  if (partial(held_, i, kCallBegin) || partial(held_, i, kCallsEnd)) return false;
  throw Error("malformed tool call: expected " + kCallBegin + " or " + kCallsEnd + ", got '" + held_.substr(i, 40) +
              "'");
}

bool ToolCallParser::step_header(std::vector<ToolCallDelta>& out) {
  size_t sep = held_.find(kSep);
  if (sep == std::string::npos) {
    if (held_.size() > 512 || held_.find('\n') != std::string::npos)
      throw Error("malformed tool call: no " + kSep + " after " + kCallBegin);
    return false;
  }
  if (syntax_ == ToolCallSyntax::DeepSeekV31) {
    std::string name = held_.substr(0, sep);
    held_.erase(0, sep + kSep.size());
    start_call(out, name);
    return true;
  }
  const size_t name_at = sep + kSep.size(), nl = held_.find('\n', name_at);
  if (nl == std::string::npos) {
    if (held_.size() - name_at > 512) throw Error("malformed tool call: function name too long or unterminated");
    return false;
  }
  if (!starts_with(held_, nl, kFence)) {
    if (partial(held_, nl, kFence)) return false;
    throw Error("malformed tool call: expected \"\\n```json\\n\" after the function name");
  }
  std::string name = held_.substr(name_at, nl - name_at);
  held_.erase(0, nl + kFence.size());
  start_call(out, name);
  return true;
}

bool ToolCallParser::step_qwen_head(std::vector<ToolCallDelta>& out) {
  long n = expect(held_, {"{", "\"name\"", ":"});
  if (n == 0) return false;
  size_t at = size_t(n);
  std::string name;
  if (n > 0) {  // the name string, then "arguments"
    while (at < held_.size() && is_ws(held_[at])) at++;
    if (at == held_.size()) return false;
    if (held_[at] != '"') n = -1;
    size_t end = at + 1;
    while (n > 0 && end < held_.size() && held_[end] != '"') end += held_[end] == '\\' ? 2 : 1;
    if (n > 0 && end >= held_.size()) return false;
    if (n > 0) {
      nlohmann::json parsed = nlohmann::json::parse(held_.substr(at, end + 1 - at), nullptr, false);
      if (!parsed.is_string()) throw Error("malformed tool call: the name is not a JSON string");
      name = parsed.get<std::string>();
      long rest = expect(held_.substr(end + 1), {",", "\"arguments\"", ":"});
      if (rest == 0) return false;
      if (rest < 0) n = -1;
      at = end + 1 + size_t(rest);
    }
  }
  if (n < 0) {  // not "name" first: read the whole object, then take it apart
    fallback_ = true;
    state_ = kArgs;
    calls_.push_back(ToolCall{});
    return true;
  }
  held_.erase(0, at);
  start_call(out, name);
  return true;
}

void ToolCallParser::start_call(std::vector<ToolCallDelta>& out, std::string name) {
  if (name.empty()) throw Error("malformed tool call: empty function name");
  calls_.push_back(ToolCall{name, ""});
  ToolCallDelta d;
  d.index = int(calls_.size() - 1);
  d.name = std::move(name);
  out.push_back(std::move(d));
  state_ = kArgs;
  depth_ = 0, in_string_ = escaped_ = false;
}

bool ToolCallParser::step_args(std::vector<ToolCallDelta>& out) {
  size_t i = 0;
  bool done = false;
  if (depth_ == 0)  // before the value: skip whitespace; it must be an object
    while (i < held_.size() && is_ws(held_[i])) i++;
  const size_t from = i;
  for (; i < held_.size() && !done; i++) {
    char c = held_[i];
    if (depth_ == 0 && c != '{') throw Error("malformed tool call: arguments must be a JSON object");
    if (in_string_) {
      if (escaped_)
        escaped_ = false;
      else if (c == '\\')
        escaped_ = true;
      else if (c == '"')
        in_string_ = false;
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      depth_++;
    } else if (c == '}' || c == ']') {
      done = --depth_ == 0;
    }
  }
  std::string piece = held_.substr(from, i - from);
  held_.erase(0, i);
  ToolCall& call = calls_.back();
  call.arguments += piece;
  if (!fallback_ && !piece.empty()) {
    ToolCallDelta d;
    d.index = int(calls_.size() - 1);
    d.arguments = piece;
    out.push_back(std::move(d));
  }
  if (!done) return false;
  if (fallback_) {
    nlohmann::json obj = nlohmann::json::parse(call.arguments, nullptr, false);
    if (!obj.is_object() || !obj.contains("name") || !obj["name"].is_string() || !obj.contains("arguments"))
      throw Error("malformed tool call: expected {\"name\": ..., \"arguments\": ...}");
    calls_.pop_back();
    start_call(out, obj["name"].get<std::string>());
    const nlohmann::json& a = obj["arguments"];
    calls_.back().arguments = a.is_string() ? a.get<std::string>() : a.dump();
    out.back().arguments = calls_.back().arguments;
  }
  end_call();
  state_ = kTrailer;
  return true;
}

void ToolCallParser::end_call() {
  if (!nlohmann::json::accept(calls_.back().arguments))
    throw Error("tool call '" + calls_.back().name + "': arguments are not valid JSON");
}

bool ToolCallParser::step_trailer() {
  std::vector<std::string> pieces;
  if (syntax_ == ToolCallSyntax::DeepSeek) pieces = {"```", kCallEnd};
  if (syntax_ == ToolCallSyntax::DeepSeekV31) pieces = {kCallEnd};
  if (syntax_ == ToolCallSyntax::Qwen)
    pieces = fallback_ ? std::vector<std::string>{kQwenClose} : std::vector<std::string>{"}", kQwenClose};
  long n = expect(held_, pieces);
  if (n == 0) return false;
  if (n < 0) throw Error("malformed tool call: unexpected text after the arguments: '" + held_.substr(0, 40) + "'");
  held_.erase(0, size_t(n));
  fallback_ = false;
  state_ = syntax_ == ToolCallSyntax::Qwen ? kContent : kCalls;
  return true;
}

// ------------------------------------------------------------------------------------------------ constraint

namespace {
using ojson = nlohmann::ordered_json;

uint32_t literal(grammar::Grammar& g, const grammar::TrieVocabulary& v, const std::string& text) {
  int32_t id = v.find(text);
  if (id >= 0 && v.bytes(id) == text) return g.tok(id, text);
  return g.lit(text);
}

// One alternative per tool: name, separator, arguments schema.
uint32_t one_call(grammar::Grammar& g, const grammar::TrieVocabulary& v, ToolCallSyntax syntax, const ojson& fn) {
  const std::string name = fn["name"].get<std::string>();
  ojson params =
      fn.contains("parameters") ? fn["parameters"] : ojson{{"type", "object"}, {"properties", ojson::object()}};
  uint32_t args = grammar::compile_schema(g, params);
  switch (syntax) {
    case ToolCallSyntax::DeepSeek: return g.seq({g.lit(name + kFence), args, g.lit("\n```"), literal(g, v, kCallEnd)});
    case ToolCallSyntax::DeepSeekV31: return g.seq({g.lit(name), literal(g, v, kSep), args, literal(g, v, kCallEnd)});
    default: return g.seq({g.lit(ojson(name).dump() + ", \"arguments\": "), args});
  }
}
}  // namespace

std::unique_ptr<TokenConstraint> tool_call_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                      ToolCallSyntax syntax, const nlohmann::ordered_json& tools,
                                                      const std::optional<std::string>& only) {
  auto trie = std::dynamic_pointer_cast<const grammar::TrieVocabulary>(vocab);
  if (!trie) throw Error("constrained decoding needs a vocabulary made by TokenVocabulary::build");
  if (syntax == ToolCallSyntax::None) throw Error("tool calls: this model's chat template has no tool-call syntax");
  if (!tools.is_array() || tools.empty()) throw Error("tools must be a non-empty array");
  auto g = std::make_shared<grammar::Grammar>();
  std::vector<uint32_t> calls;
  bool found = false;
  for (size_t i = 0; i < tools.size(); i++) {
    const ojson& t = tools[i];
    const ojson* fn = t.is_object() && t.contains("function") ? &t["function"] : nullptr;
    if (!fn || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string() ||
        (*fn)["name"].get<std::string>().empty())
      throw Error("tools[" + std::to_string(i) + "]: expected {\"type\": \"function\", \"function\": {\"name\": ...}}");
    if (only && (*fn)["name"].get<std::string>() != *only) continue;
    found = true;
    try {
      calls.push_back(one_call(*g, *trie, syntax, *fn));
    } catch (const Error& e) {
      throw Error("tools[" + std::to_string(i) + "].function.parameters: " + e.what());
    }
  }
  if (only && !found) throw Error("tool_choice names function '" + *only + "', which is not among the tools");
  uint32_t body = g->alt(std::move(calls));
  if (syntax == ToolCallSyntax::Qwen)
    g->root = g->seq(
        {literal(*g, *trie, kQwenOpen), g->lit("\n{\"name\": "), body, g->lit("}\n"), literal(*g, *trie, kQwenClose)});
  else if (syntax == ToolCallSyntax::DeepSeek)
    g->root = g->seq({literal(*g, *trie, kCallsBegin), literal(*g, *trie, kCallBegin), g->lit("function"),
                      literal(*g, *trie, kSep), body, literal(*g, *trie, kCallsEnd)});
  else
    g->root =
        g->seq({literal(*g, *trie, kCallsBegin), literal(*g, *trie, kCallBegin), body, literal(*g, *trie, kCallsEnd)});
  g->finalize("the tool call");
  return std::make_unique<grammar::GrammarConstraint>(trie, std::move(g));
}

std::unique_ptr<TokenConstraint> tool_call_constraint(std::shared_ptr<const TokenVocabulary> vocab,
                                                      ToolCallSyntax syntax, const nlohmann::json& tools,
                                                      const std::optional<std::string>& only) {
  nlohmann::ordered_json ordered;
  try {
    ordered = nlohmann::ordered_json::parse(tools.dump());
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("tools: ") + e.what());
  }
  return tool_call_constraint(std::move(vocab), syntax, ordered, only);
}

}  // namespace seek
