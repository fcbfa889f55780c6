#include "serve/response.h"

#include <ctime>
#include <random>

namespace seek::serve {

using json = nlohmann::json;

std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

namespace {
std::string random_id(const char* prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char s[40];
  std::snprintf(s, sizeof s, "%s%016llx", prefix, (unsigned long long)rng());
  return s;
}
}  // namespace

struct ResponseBuilder::Choice {
  ChoiceOutput out;
  GenerationResult result;
  bool ended = false, sent_role = false;
  std::vector<std::string> call_ids;
  std::vector<TokenLogprob> pending_logprobs;  // streamed with the next chunk of this choice
  int64_t reasoning_tokens = 0;
};

ResponseBuilder::ResponseBuilder(const ApiRequest& req, const Tokenizer& tok, std::string model_name)
    : req_(req), tok_(tok), model_(std::move(model_name)), id_(random_id(req.chat ? "chatcmpl-" : "cmpl-")),
      created_(int64_t(std::time(nullptr))), open_(req.choices.size()) {
  const std::string raw_prefix = !req.split_reasoning && req.started_in_reasoning ? "<think>\n" : "";
  for (size_t i = 0; i < req.choices.size(); i++)
    choices_.push_back(Choice{ChoiceOutput(req.split_reasoning, req.started_in_reasoning, req.tool_syntax, raw_prefix),
                              {}, false, false, {}, {}, 0});
}

ResponseBuilder::~ResponseBuilder() = default;

json ResponseBuilder::chunk(json choices) const {
  return {{"id", id_}, {"object", req_.chat ? "chat.completion.chunk" : "text_completion"}, {"created", created_},
          {"model", model_}, {"system_fingerprint", "seek"}, {"choices", std::move(choices)}};
}

// One chunk per field: the role first (once), then reasoning, content and tool-call deltas.
void ResponseBuilder::delta_chunks(size_t i, const ChoiceDelta& d, std::vector<std::string>& out) {
  Choice& c = choices_[i];
  auto send = [&](json delta) {
    json ch = {{"index", i}, {"delta", std::move(delta)}, {"logprobs", take_logprobs(c)}, {"finish_reason", nullptr}};
    out.push_back(dump_json(chunk(json::array({ch}))));
  };
  if (!req_.chat) {
    if (!d.content.empty())
      out.push_back(dump_json(chunk(json::array(
          {{{"index", i}, {"text", d.content}, {"logprobs", take_logprobs(c)}, {"finish_reason", nullptr}}}))));
    return;
  }
  if (!c.sent_role) send({{"role", "assistant"}, {"content", ""}}), c.sent_role = true;
  if (!d.reasoning.empty()) send({{"reasoning_content", d.reasoning}});
  if (!d.content.empty()) send({{"content", d.content}});
  for (const ToolCallDelta& t : d.tool_calls) {
    json call = {{"index", t.index}, {"function", {{"arguments", t.arguments}}}};
    if (!t.name.empty()) {
      c.call_ids.push_back(random_id("call_"));
      call["id"] = c.call_ids.back();
      call["type"] = "function";
      call["function"]["name"] = t.name;
    }
    send({{"tool_calls", json::array({call})}});
  }
}

// The log-probabilities of the tokens sampled since this choice's last chunk (null when none or not asked for).
json ResponseBuilder::take_logprobs(Choice& c) const {
  if (req_.top_logprobs < 0 || c.pending_logprobs.empty()) return nullptr;
  json lp = req_.chat ? chat_logprobs(tok_, c.pending_logprobs) : completion_logprobs(tok_, c.pending_logprobs);
  c.pending_logprobs.clear();
  return lp;
}

void ResponseBuilder::finish_choice(size_t i, GenerationResult&& r, std::vector<std::string>& out) {
  Choice& c = choices_[i];
  delta_chunks(i, c.out.finish(), out);
  c.result = std::move(r);
  c.ended = true;
  open_--;
  completion_tokens += int64_t(c.result.tokens.size());
  if (req_.chat) c.reasoning_tokens = count_reasoning_tokens(tok_, c.result.tokens, req_.started_in_reasoning);
  const std::string reason = finish_reason(c.result.finish, !c.out.tool_calls().empty());
  json ch = {{"index", i}, {"logprobs", take_logprobs(c)}, {"finish_reason", reason}};
  if (req_.chat) ch["delta"] = json::object();
  else ch["text"] = "";
  out.push_back(dump_json(chunk(json::array({ch}))));
}

std::vector<std::string> ResponseBuilder::add(const std::vector<JobEvent>& events) {
  std::vector<std::string> out;
  for (const JobEvent& e : events) {
    if (first_token_s < 0 && e.kind != JobEvent::error) first_token_s = e.at;
    if (choices_[e.choice].ended) continue;
    if (e.kind == JobEvent::logprob) {
      choices_[e.choice].pending_logprobs.push_back(e.token);
    } else if (e.kind == JobEvent::piece) {
      delta_chunks(e.choice, choices_[e.choice].out.feed(e.text), out);
    } else if (e.kind == JobEvent::done) {
      finish_choice(e.choice, GenerationResult(e.result), out);
    } else {
      if (error_.empty()) error_ = e.text;
      choices_[e.choice].ended = true;
      open_--;
    }
  }
  return out;
}

json ResponseBuilder::usage() const {
  const int64_t prompt = req_.prompt_tokens;
  const int64_t cached = choices_.empty() ? 0 : choices_[0].result.cached_prompt_tokens;
  int64_t reasoning = 0;
  for (const Choice& c : choices_) reasoning += c.reasoning_tokens;
  json u = {{"prompt_tokens", prompt},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt + completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", cached}}},
            {"prompt_cache_hit_tokens", cached},
            {"prompt_cache_miss_tokens", prompt - cached}};
  if (req_.chat) u["completion_tokens_details"] = {{"reasoning_tokens", reasoning}};
  return u;
}

std::string ResponseBuilder::usage_chunk() const {
  if (!req_.include_usage) return "";
  json c = chunk(json::array());
  c["usage"] = usage();
  return dump_json(c);
}

json ResponseBuilder::full_response() const {
  json choices = json::array();
  for (size_t i = 0; i < choices_.size(); i++) {
    const Choice& c = choices_[i];
    const std::string reason = finish_reason(c.result.finish, !c.out.tool_calls().empty());
    json lp = nullptr;
    if (req_.top_logprobs >= 0)
      lp = req_.chat ? chat_logprobs(tok_, c.result.logprobs) : completion_logprobs(tok_, c.result.logprobs);
    if (!req_.chat) {
      choices.push_back({{"index", i}, {"text", c.out.content()}, {"logprobs", lp}, {"finish_reason", reason}});
      continue;
    }
    json msg = {{"role", "assistant"}, {"content", c.out.content()}};
    if (req_.started_in_reasoning || !c.out.reasoning().empty()) msg["reasoning_content"] = c.out.reasoning();
    if (!c.out.tool_calls().empty()) {
      json calls = json::array();
      for (size_t k = 0; k < c.out.tool_calls().size(); k++) {
        const ToolCall& t = c.out.tool_calls()[k];
        calls.push_back({{"id", k < c.call_ids.size() ? c.call_ids[k] : random_id("call_")},
                         {"type", "function"},
                         {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
      }
      msg["tool_calls"] = calls;
      if (c.out.content().empty()) msg["content"] = nullptr;
    }
    choices.push_back({{"index", i}, {"message", msg}, {"logprobs", lp}, {"finish_reason", reason}});
  }
  return {{"id", id_}, {"object", req_.chat ? "chat.completion" : "text_completion"}, {"created", created_},
          {"model", model_}, {"system_fingerprint", "seek"}, {"choices", choices}, {"usage", usage()}};
}

}  // namespace seek::serve
