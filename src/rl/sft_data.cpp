#include "rl/sft_data.h"

#include <fstream>

#include "core/error.h"

namespace seek::rl {

using nlohmann::json;

namespace {
// Stands in for the trained turn's content while the conversation is rendered (no template touches it: it holds no
// "</think>", no special token, nothing to trim).
const std::string kMarker = "\x1dseek-trained-turn\x1d";

std::string trained_content(const json& m, const std::string& where) {
  std::string content = m["content"].get<std::string>();
  if (m.contains("reasoning_content") && !m["reasoning_content"].is_null()) {
    if (!m["reasoning_content"].is_string()) throw Error(where + ": 'reasoning_content' must be a string");
    content = "<think>\n" + m["reasoning_content"].get<std::string>() + "\n</think>\n\n" + content;
  }
  return content;
}
}  // namespace

// A plain-text line: {"prompt", "completion"} or {"text"}.
SftText plain_sample(const json& sample, const std::string& where) {
  auto text = [&](const char* key) {
    if (!sample[key].is_string()) throw Error(where + ": \"" + key + "\" must be a string");
    return sample[key].get<std::string>();
  };
  SftText t;
  t.plain = true;
  if (sample.contains("prompt")) {
    if (!sample.contains("completion")) throw Error(where + ": a \"prompt\" line needs a \"completion\" to train on");
    t.prompt = text("prompt");
    t.completion = text("completion");
  } else {
    t.completion = text("text");
  }
  if (t.completion.empty()) throw Error(where + ": nothing to train on (an empty completion or text)");
  return t;
}

SftText render_sft_sample(const ChatTemplate& chat, const json& sample, const std::string& where) {
  if (sample.is_object() && !sample.contains("messages") && (sample.contains("prompt") || sample.contains("text")))
    return plain_sample(sample, where);
  if (!sample.is_object() || !sample.contains("messages"))
    throw Error(where + ": expected an object with a \"messages\" array (or \"prompt\" + \"completion\", or \"text\")");
  const json& msgs = sample["messages"];
  if (!msgs.is_array() || msgs.empty()) throw Error(where + ": \"messages\" must be a non-empty array");
  for (size_t i = 0; i < msgs.size(); i++) {
    const json& m = msgs[i];
    const std::string at = where + ": message " + std::to_string(i + 1);
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) throw Error(at + " has no \"role\" string");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant")
      throw Error(at + " has role '" + role + "' (expected system, user or assistant)");
    if (!m.contains("content") || !m["content"].is_string()) throw Error(at + " has no \"content\" string");
  }
  if (msgs.back()["role"] != "assistant")
    throw Error(where + ": no assistant turn to train on (the last message must be the assistant's, it is '" +
                msgs.back()["role"].get<std::string>() + "')");
  json ctx = msgs;
  ctx.back() = {{"role", "assistant"}, {"content", kMarker}};
  const std::string r = chat.render(ctx, /*add_generation_prompt=*/false);
  const size_t at = r.find(kMarker);
  if (at == std::string::npos || r.find(kMarker, at + 1) != std::string::npos)
    throw Error(where + ": the chat template did not write the assistant turn's content once");
  return SftText{r.substr(0, at), trained_content(msgs.back(), where) + r.substr(at + kMarker.size())};
}

SftSample encode_sft_sample(const Tokenizer& tok, const SftText& text, int64_t line) {
  SftSample s;
  s.line = line;
  s.plain = text.plain;
  s.tokens = tok.encode(text.prompt, /*allow_special=*/!text.plain);
  const size_t n_prompt = s.tokens.size();
  tok.encode_append(text.completion, /*allow_special=*/!text.plain, s.tokens);
  if (text.plain) {
    if (tok.eos_id() < 0)
      throw Error("data line " + std::to_string(line) +
                  ": plain-text samples end with the tokenizer's EOS token, and it has none (eos_token in "
                  "tokenizer_config.json)");
    s.tokens.push_back(tok.eos_id());
  }
  s.trained.assign(s.tokens.size(), 0);
  for (size_t i = n_prompt; i < s.tokens.size(); i++) s.trained[i] = 1;
  return s;
}

std::vector<SftSample> read_sft_jsonl(const std::string& path, const Tokenizer& tok, const ChatTemplate& chat,
                                      int64_t seq_len) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open");
  std::vector<SftSample> out;
  std::string line;
  for (int64_t n = 1; std::getline(f, line); n++) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      throw Error(where + ": not valid JSON");
    }
    SftSample s = encode_sft_sample(tok, render_sft_sample(chat, j, where), n);
    if (int64_t(s.tokens.size()) > seq_len)
      throw Error(where + ": the sample is " + std::to_string(s.tokens.size()) + " tokens, longer than --seq-len " +
                  std::to_string(seq_len) + " (samples are never truncated)");
    out.push_back(std::move(s));
  }
  if (out.empty()) throw Error(path + ": no samples");
  return out;
}

std::vector<int32_t> sft_targets(const SftSample& s) {
  std::vector<int32_t> t(s.tokens.size(), -1);
  for (size_t r = 0; r + 1 < s.tokens.size(); r++)
    if (s.trained[r + 1]) t[r] = s.tokens[r + 1];
  return t;
}

std::vector<PackedRow> pack_samples(const std::vector<SftSample>& samples, const std::vector<size_t>& order,
                                    int64_t seq_len) {
  std::vector<PackedRow> rows;
  for (size_t i : order) {
    const SftSample& s = samples.at(i);
    check(int64_t(s.tokens.size()) <= seq_len, "pack_samples: a sample is longer than the rows");
    PackedRow* dst = nullptr;
    for (PackedRow& r : rows)  // first fit
      if (int64_t(r.tokens.size() + s.tokens.size()) <= seq_len) {
        dst = &r;
        break;
      }
    if (!dst) dst = &rows.emplace_back();
    const std::vector<int32_t> t = sft_targets(s);
    dst->tokens.insert(dst->tokens.end(), s.tokens.begin(), s.tokens.end());
    dst->targets.insert(dst->targets.end(), t.begin(), t.end());
    dst->segments.insert(dst->segments.end(), s.tokens.size(), int32_t(i));
  }
  return rows;
}

}  // namespace seek::rl
