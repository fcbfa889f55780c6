#include "serve/request.h"

#include <cmath>
#include <optional>
#include <random>

#include "infer/reasoning.h"
#include "infer/thinking_budget.h"
#include "serve/api_error.h"

namespace seek::serve {

using ojson = nlohmann::ordered_json;

namespace {

bool has(const ojson& b, const char* key) { return b.contains(key) && !b[key].is_null(); }

std::string fmt(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%g", v);
  return s;
}

std::optional<double> number(const ojson& b, const char* key, double lo, double hi) {
  if (!has(b, key)) return std::nullopt;
  if (!b[key].is_number()) throw bad_param(key, std::string(key) + " must be a number");
  const double v = b[key].get<double>();
  if (!(v >= lo && v <= hi))
    throw bad_param(key, std::string(key) + " must be between " + fmt(lo) + " and " + fmt(hi) + ", got " + fmt(v));
  return v;
}

std::optional<int64_t> integer(const ojson& b, const char* key, int64_t lo, int64_t hi) {
  if (!has(b, key)) return std::nullopt;
  const ojson& v = b[key];
  if (!v.is_number() || (v.is_number_float() && std::floor(v.get<double>()) != v.get<double>()))
    throw bad_param(key, std::string(key) + " must be an integer");
  if (v.is_number_float() && std::fabs(v.get<double>()) > 9e15)
    throw bad_param(key, std::string(key) + " is out of range");
  const int64_t i = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : v.get<int64_t>();
  if (i < lo || i > hi)
    throw bad_param(key, std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                             ", got " + std::to_string(i));
  return i;
}

std::optional<bool> boolean(const ojson& b, const char* key) {
  if (!has(b, key)) return std::nullopt;
  if (!b[key].is_boolean()) throw bad_param(key, std::string(key) + " must be true or false");
  return b[key].get<bool>();
}

void check_model(const ojson& b, const ServeLimits& lim) {
  if (!has(b, "model")) return;
  if (!b["model"].is_string()) throw bad_param("model", "model must be a string");
  const std::string m = b["model"].get<std::string>();
  if (m != lim.model_name)
    throw ApiError(404, "invalid_request_error", "The model `" + m + "` does not exist; this server serves `" +
                                                     lim.model_name + "`", "model", "model_not_found");
}

SamplingParams read_sampling(const ojson& b, SamplingParams p) {
  if (auto v = number(b, "temperature", 0, 2)) p.temperature = float(*v);
  if (auto v = number(b, "top_p", 0, 1)) {
    if (*v == 0) throw bad_param("top_p", "top_p must be greater than 0");
    p.top_p = float(*v);
  }
  if (auto v = integer(b, "top_k", 0, INT64_MAX)) p.top_k = *v;
  if (auto v = number(b, "min_p", 0, 1)) p.min_p = float(*v);
  if (auto v = number(b, "presence_penalty", -2, 2)) p.presence_penalty = float(*v);
  if (auto v = number(b, "frequency_penalty", -2, 2)) p.frequency_penalty = float(*v);
  if (auto v = number(b, "repetition_penalty", 0, 10)) {
    if (*v == 0) throw bad_param("repetition_penalty", "repetition_penalty must be greater than 0");
    p.repetition_penalty = float(*v);
  }
  if (auto v = integer(b, "seed", INT64_MIN, INT64_MAX))
    p.seed = uint64_t(*v);
  else
    p.seed = std::random_device{}() * 0x9E3779B97F4A7C15ull + std::random_device{}();
  return p;
}

std::vector<std::string> read_stop(const ojson& b, const ServeLimits& lim) {
  if (!has(b, "stop")) return {};
  const ojson& s = b["stop"];
  std::vector<std::string> out;
  if (s.is_string()) {
    out.push_back(s.get<std::string>());
  } else if (s.is_array()) {
    for (const auto& x : s) {
      if (!x.is_string()) throw bad_param("stop", "stop must be a string or a list of strings");
      out.push_back(x.get<std::string>());
    }
  } else {
    throw bad_param("stop", "stop must be a string or a list of strings");
  }
  if (int64_t(out.size()) > lim.max_stop)
    throw bad_param("stop", "at most " + std::to_string(lim.max_stop) + " stop strings");
  for (const auto& x : out)
    if (x.empty()) throw bad_param("stop", "stop strings must not be empty");
  return out;
}

// max_completion_tokens (or the older max_tokens); absent: the rest of the context. More than the context leaves
// is allowed and ends at the context (finish_reason "length").
int64_t read_max_tokens(const ojson& b, int64_t prompt, int64_t ctx) {
  const int64_t room = ctx - prompt;
  for (const char* key : {"max_completion_tokens", "max_tokens"})
    if (auto v = integer(b, key, 1, INT64_MAX)) return std::min(*v, room);
  return room;
}

void check_context(int64_t prompt, const ServeLimits& lim) {
  if (prompt < lim.context) return;
  ApiError e(400, "invalid_request_error",
             "the prompt has " + std::to_string(prompt) + " tokens, more than this server's context of " +
                 std::to_string(lim.context) + " tokens (a reply needs at least one more)",
             "messages", "exceed_context_size_error");
  e.extra = {{"n_prompt_tokens", prompt}, {"n_ctx", lim.context}};
  throw e;
}

// A message's content as text: a string, null, or a list of {"type": "text", "text": ...} parts.
std::string content_text(const ojson& m, size_t i) {
  const std::string param = "messages[" + std::to_string(i) + "].content";
  if (!m.contains("content") || m["content"].is_null()) return "";
  const ojson& c = m["content"];
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) throw bad_param(param, param + " must be a string or a list of content parts");
  std::string text;
  for (const auto& part : c) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw bad_param(param, param + ": each part needs a \"type\"");
    const std::string type = part["type"].get<std::string>();
    if (type != "text") throw bad_param(param, param + ": content parts of type \"" + type + "\" are not supported");
    if (!part.contains("text") || !part["text"].is_string())
      throw bad_param(param, param + ": a text part needs a string \"text\"");
    text += part["text"].get<std::string>();
  }
  return text;
}

// The messages as the template takes them: roles checked, content flattened to text, tool calls kept (their
// arguments as objects for syntaxes whose templates print them as JSON).
ojson normalize_messages(const ojson& b, ToolCallSyntax syntax) {
  if (!b.contains("messages")) throw bad_param("messages", "messages is required");
  const ojson& ms = b["messages"];
  if (!ms.is_array() || ms.empty()) throw bad_param("messages", "messages must be a non-empty list");
  ojson out = ojson::array();
  for (size_t i = 0; i < ms.size(); i++) {
    const ojson& m = ms[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw bad_param(where + ".role", where + " needs a string \"role\"");
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      throw bad_param(where + ".role", where + ".role \"" + role + "\" is not one of system, user, assistant, tool");
    ojson n = {{"role", role}, {"content", content_text(m, i)}};
    if (role == "tool" && m.contains("tool_call_id")) n["tool_call_id"] = m["tool_call_id"];
    if (role == "assistant" && m.contains("tool_calls") && m["tool_calls"].is_array()) {
      ojson calls = m["tool_calls"];
      for (auto& c : calls)
        if (syntax == ToolCallSyntax::Qwen && c.contains("function") && c["function"].contains("arguments") &&
            c["function"]["arguments"].is_string()) {
          ojson args = ojson::parse(c["function"]["arguments"].get<std::string>(), nullptr, false);
          if (!args.is_discarded()) c["function"]["arguments"] = args;
        }
      n["tool_calls"] = calls;
    }
    out.push_back(n);
  }
  return out;
}

struct ToolPlan {
  ojson tools;                       // the tools array, or null
  std::string choice = "auto";       // none, auto, required, or "function"
  std::optional<std::string> named;  // tool_choice {"type": "function", "function": {"name"}}
};

ToolPlan read_tools(const ojson& b) {
  ToolPlan t;
  if (!has(b, "tools")) {
    if (has(b, "tool_choice") && b["tool_choice"] != "none")
      throw bad_param("tool_choice", "tool_choice needs tools");
    return t;
  }
  if (!b["tools"].is_array()) throw bad_param("tools", "tools must be a list");
  for (size_t i = 0; i < b["tools"].size(); i++) {
    const ojson& tool = b["tools"][i];
    if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object() ||
        !tool["function"].contains("name") || !tool["function"]["name"].is_string())
      throw bad_param("tools[" + std::to_string(i) + "]", "tools[" + std::to_string(i) +
                                                              "] must be {\"type\": \"function\", \"function\": {\"name\", ...}}");
  }
  t.tools = b["tools"];
  if (!has(b, "tool_choice")) return t;
  const ojson& c = b["tool_choice"];
  if (c.is_string()) {
    t.choice = c.get<std::string>();
    if (t.choice != "none" && t.choice != "auto" && t.choice != "required")
      throw bad_param("tool_choice", "tool_choice must be none, auto, required or a named function");
  } else if (c.is_object() && c.contains("function") && c["function"].is_object() && c["function"].contains("name") &&
             c["function"]["name"].is_string()) {
    t.choice = "function";
    t.named = c["function"]["name"].get<std::string>();
  } else {
    throw bad_param("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", "
                                   "\"function\": {\"name\": ...}}");
  }
  return t;
}

// response_format: null (text), or the schema of json_schema, or an empty object for json_object.
std::optional<ojson> read_response_format(const ojson& b) {
  if (!has(b, "response_format")) return std::nullopt;
  const ojson& f = b["response_format"];
  if (!f.is_object() || !f.contains("type") || !f["type"].is_string())
    throw bad_param("response_format", "response_format must be an object with a \"type\"");
  const std::string type = f["type"].get<std::string>();
  if (type == "text") return std::nullopt;
  if (type == "json_object") return ojson();
  if (type != "json_schema")
    throw bad_param("response_format.type", "response_format.type must be text, json_object or json_schema");
  if (!f.contains("json_schema") || !f["json_schema"].is_object() || !f["json_schema"].contains("schema") ||
      !f["json_schema"]["schema"].is_object())
    throw bad_param("response_format.json_schema", "json_schema needs a \"schema\" object");
  return f["json_schema"]["schema"];
}

bool thinking_enabled(const ojson& b) {
  if (has(b, "chat_template_kwargs") && b["chat_template_kwargs"].is_object() &&
      b["chat_template_kwargs"].contains("enable_thinking") && b["chat_template_kwargs"]["enable_thinking"].is_boolean())
    return b["chat_template_kwargs"]["enable_thinking"].get<bool>();
  if (has(b, "thinking") && b["thinking"].is_object() && b["thinking"].contains("type"))
    return b["thinking"]["type"] != "disabled";
  return true;
}

// The choices' requests: the same prompt and settings, seeds seed + i.
void fill_choices(ApiRequest& r, const ojson& b, const Assistant& as, const ServeLimits& lim,
                  std::vector<int32_t> prompt) {
  check_context(int64_t(prompt.size()), lim);
  const int64_t n = integer(b, "n", 1, lim.max_n).value_or(1);
  GenerationRequest g;
  g.prompt = std::move(prompt);
  g.sampling = read_sampling(b, as.sampling);
  g.max_tokens = read_max_tokens(b, int64_t(g.prompt.size()), lim.context);
  g.stop = read_stop(b, lim);
  g.stop_ids = as.stop_ids;
  g.top_logprobs = r.top_logprobs;
  r.prompt_tokens = int64_t(g.prompt.size());
  for (int64_t i = 0; i < n; i++) {
    r.choices.push_back(g);
    r.choices.back().sampling.seed = g.sampling.seed + uint64_t(i);
  }
}

void read_stream(ApiRequest& r, const ojson& b) {
  r.stream = boolean(b, "stream").value_or(false);
  if (has(b, "stream_options")) {
    if (!b["stream_options"].is_object()) throw bad_param("stream_options", "stream_options must be an object");
    r.include_usage = boolean(b["stream_options"], "include_usage").value_or(false);
  }
}

}  // namespace

std::unique_ptr<ApiRequest> parse_chat_request(const ojson& b, const Assistant& as,
                                               const std::shared_ptr<const TokenVocabulary>& vocab,
                                               const ServeLimits& lim) {
  if (!b.is_object()) throw bad_param("", "the request body must be a JSON object");
  check_model(b, lim);
  auto r = std::make_unique<ApiRequest>();
  read_stream(*r, b);
  if (boolean(b, "logprobs").value_or(false)) r->top_logprobs = integer(b, "top_logprobs", 0, 20).value_or(0);
  else if (has(b, "top_logprobs")) throw bad_param("top_logprobs", "top_logprobs needs logprobs: true");

  const ToolCallSyntax syntax = detect_tool_call_syntax(as.chat.source(true));
  const ToolPlan tools = read_tools(b);
  if (!tools.tools.is_null() && syntax == ToolCallSyntax::None)
    throw bad_param("tools", "this model's chat template does not render tools");
  const std::optional<ojson> format = read_response_format(b);
  const bool forced_tool = tools.choice == "required" || tools.choice == "function";
  if (format && forced_tool) throw bad_param("response_format", "response_format and a forced tool call contradict");
  if (has(b, "reasoning_format")) {
    if (!b["reasoning_format"].is_string() ||
        (b["reasoning_format"] != "none" && b["reasoning_format"] != "deepseek" && b["reasoning_format"] != "auto"))
      throw bad_param("reasoning_format", "reasoning_format must be none, deepseek or auto");
    r->split_reasoning = b["reasoning_format"] != "none";
  }
  const std::optional<int64_t> budget = integer(b, "thinking_budget", 0, INT64_MAX);

  ojson extra = ojson::object();
  if (has(b, "chat_template_kwargs")) {
    if (!b["chat_template_kwargs"].is_object())
      throw bad_param("chat_template_kwargs", "chat_template_kwargs must be an object");
    extra = b["chat_template_kwargs"];
  }
  const bool thinking = thinking_enabled(b);
  if (as.reasoning && !extra.contains("enable_thinking")) extra["enable_thinking"] = thinking;
  if (!tools.tools.is_null() && tools.choice != "none") extra["tools"] = tools.tools;
  std::string rendered;
  try {
    rendered = as.chat.render(normalize_messages(b, syntax), true, extra);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw bad_param("messages", std::string("the chat template could not render these messages: ") + e.what());
  }
  bool opens = prompt_opens_reasoning(rendered);
  if (as.reasoning && thinking && !opens && rendered.find("</think>", rendered.size() > 20 ? rendered.size() - 20 : 0) ==
                                               std::string::npos)
    rendered += "<think>\n", opens = true;  // R1 models start their reply inside the reasoning
  if (opens && (!thinking || format || forced_tool)) rendered += "</think>\n\n", opens = false;
  r->started_in_reasoning = opens;
  if (!tools.tools.is_null() && tools.choice != "none") r->tool_syntax = syntax;
  fill_choices(*r, b, as, lim, as.encode_prompt(rendered));

  for (auto& g : r->choices) {
    std::unique_ptr<TokenConstraint> c;
    try {
      if (format) c = json_constraint(vocab, format->is_null() ? nullptr : &*format);
      else if (forced_tool) c = tool_call_constraint(vocab, syntax, tools.tools, tools.named);
    } catch (const Error& e) {
      throw bad_param(format ? "response_format" : "tool_choice", e.what());
    }
    if (!c && budget && opens) c = thinking_budget_constraint(as.tokenizer, *budget);
    g.constraint = c.get();
    if (c) r->constraints.push_back(std::move(c));
  }
  return r;
}

namespace {
// Fill-in-the-middle: the model's FIM tokens around prefix and suffix, or a 400 for a model without them.
std::string fim_prompt(const Assistant& as, const std::string& prefix, const std::string& suffix) {
  const Tokenizer& t = as.tokenizer;
  if (t.token_id("<｜fim▁begin｜>") >= 0 && t.token_id("<｜fim▁hole｜>") >= 0 && t.token_id("<｜fim▁end｜>") >= 0)
    return as.chat.bos_token() + "<｜fim▁begin｜>" + prefix + "<｜fim▁hole｜>" + suffix + "<｜fim▁end｜>";
  if (t.token_id("<|fim_prefix|>") >= 0 && t.token_id("<|fim_suffix|>") >= 0 && t.token_id("<|fim_middle|>") >= 0)
    return "<|fim_prefix|>" + prefix + "<|fim_suffix|>" + suffix + "<|fim_middle|>";
  throw bad_param("suffix", "this model's tokenizer has no fill-in-the-middle tokens");
}
}  // namespace

std::unique_ptr<ApiRequest> parse_completion_request(const ojson& b, const Assistant& as, const ServeLimits& lim) {
  if (!b.is_object()) throw bad_param("", "the request body must be a JSON object");
  check_model(b, lim);
  auto r = std::make_unique<ApiRequest>();
  r->chat = false;
  r->split_reasoning = false;
  read_stream(*r, b);
  if (auto lp = integer(b, "logprobs", 0, 20)) r->top_logprobs = *lp;
  if (boolean(b, "echo").value_or(false)) throw bad_param("echo", "echo is not supported");
  if (!b.contains("prompt")) throw bad_param("prompt", "prompt is required");
  std::string prompt;
  if (b["prompt"].is_string()) prompt = b["prompt"].get<std::string>();
  else if (b["prompt"].is_array() && b["prompt"].size() == 1 && b["prompt"][0].is_string())
    prompt = b["prompt"][0].get<std::string>();
  else
    throw bad_param("prompt", "prompt must be a string (or a list of one string)");
  if (prompt.empty() && !has(b, "suffix")) throw bad_param("prompt", "prompt must not be empty");
  std::vector<int32_t> ids;
  if (has(b, "suffix")) {
    if (!b["suffix"].is_string()) throw bad_param("suffix", "suffix must be a string");
    ids = as.encode_prompt(fim_prompt(as, prompt, b["suffix"].get<std::string>()));
  } else {
    ids = as.encode_raw(prompt);
  }
  fill_choices(*r, b, as, lim, std::move(ids));
  return r;
}

}  // namespace seek::serve
