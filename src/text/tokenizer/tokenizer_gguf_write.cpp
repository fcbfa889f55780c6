#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/gguf_write.h"
#include "text/chat/chat_template.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_gguf_write.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace {

using json = nlohmann::json;
constexpr int32_t kTypeNormal = 1, kTypeControl = 3, kTypeUserDefined = 4, kTypeUnused = 5;

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON (" + e.what() + ")");
  }
}

// The Split regexes of a byte-level pre-tokenizer, in order; Error unless it is Splits (isolated) + ByteLevel.
std::vector<std::string> split_regexes(const json& pre, const std::string& path) {
  std::vector<std::string> out;
  const json steps =
      pre.value("type", "") == "Sequence" ? pre.value("pretokenizers", json::array()) : json::array({pre});
  bool byte_level = false;
  for (const json& s : steps) {
    const std::string type = s.value("type", "");
    if (type == "ByteLevel") {
      byte_level = true;
    } else if (type == "Split" && s.contains("pattern") && s["pattern"].contains("Regex") &&
               s.value("behavior", "") == "Isolated") {
      out.push_back(s["pattern"]["Regex"].get<std::string>());
    } else {
      throw Error(path + ": pre_tokenizer step '" + type + "' has no GGUF form (Split regexes + ByteLevel do)");
    }
  }
  if (!byte_level) throw Error(path + ": the pre_tokenizer is not byte-level; GGUF's gpt2 vocabularies are");
  return out;
}

}  // namespace

void add_gguf_tokenizer(const std::string& dir, int64_t vocab_size, GgufWriter& w) {
  const std::string path = (std::filesystem::path(dir) / "tokenizer.json").string();
  const json j = read_json(path);
  const json& model = j.at("model");
  if (model.value("type", "") != "BPE") throw Error(path + ": model.type is not BPE; GGUF export supports BPE only");
  const std::string pre = gguf_pre_name(split_regexes(j.value("pre_tokenizer", json::object()), path));
  if (pre.empty())
    throw Error(path + ": its pre-tokenizer regexes are none of the sets GGUF names (deepseek-v3, qwen2, gpt-2, ...)");

  std::vector<std::string> tokens(static_cast<size_t>(vocab_size));
  std::vector<int32_t> types(size_t(vocab_size), kTypeNormal);
  std::vector<bool> have(size_t(vocab_size), false);
  auto place = [&](int64_t id, const std::string& text, int32_t type) {
    if (id < 0 || id >= vocab_size)
      throw Error(path + ": token '" + text + "' has id " + std::to_string(id) +
                  ", outside the model's vocabulary of " + std::to_string(vocab_size));
    tokens[size_t(id)] = text;
    types[size_t(id)] = type;
    have[size_t(id)] = true;
  };
  for (const auto& [text, id] : model.at("vocab").items()) place(id.get<int64_t>(), text, kTypeNormal);
  for (const json& a : j.value("added_tokens", json::array()))
    place(a.at("id").get<int64_t>(), a.at("content").get<std::string>(),
          a.value("special", false) ? kTypeControl : kTypeUserDefined);
  for (int64_t i = 0; i < vocab_size; i++)
    if (!have[size_t(i)]) tokens[size_t(i)] = "[PAD" + std::to_string(i) + "]", types[size_t(i)] = kTypeUnused;

  std::vector<std::string> merges;
  for (const json& m : model.value("merges", json::array()))
    merges.push_back(m.is_string() ? m.get<std::string>()
                                   : m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());

  const Tokenizer tok = Tokenizer::from_path(dir);  // BOS/EOS and add_bos as tokenizer_config.json sets them
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_strings("tokenizer.ggml.tokens", tokens);
  w.set_i32s("tokenizer.ggml.token_type", types);
  w.set_strings("tokenizer.ggml.merges", merges);
  if (tok.bos_id() >= 0) w.set_u32("tokenizer.ggml.bos_token_id", uint32_t(tok.bos_id()));
  if (tok.eos_id() >= 0) w.set_u32("tokenizer.ggml.eos_token_id", uint32_t(tok.eos_id()));
  w.set_bool("tokenizer.ggml.add_bos_token", tok.add_bos);
  const ChatTemplate chat = ChatTemplate::from_model_dir(dir);
  if (!chat.is_builtin()) w.set_string("tokenizer.chat_template", chat.source());
}

void add_gguf_byte_vocab(int64_t vocab_size, int64_t bos, int64_t eos, GgufWriter& w) {
  std::vector<std::string> tokens(static_cast<size_t>(vocab_size));
  std::vector<int32_t> types(size_t(vocab_size), kTypeNormal);
  for (int64_t i = 0; i < vocab_size; i++) {
    if (i < 256) {
      utf8::append(tokens[size_t(i)], utf8::byte_to_char(uint8_t(i)));
    } else {
      tokens[size_t(i)] = "[PAD" + std::to_string(i) + "]";
      types[size_t(i)] = kTypeUnused;
    }
  }
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_strings("tokenizer.ggml.tokens", tokens);
  w.set_i32s("tokenizer.ggml.token_type", types);
  w.set_strings("tokenizer.ggml.merges", {});
  if (bos >= 0) w.set_u32("tokenizer.ggml.bos_token_id", uint32_t(bos));
  if (eos >= 0) w.set_u32("tokenizer.ggml.eos_token_id", uint32_t(eos));
  w.set_bool("tokenizer.ggml.add_bos_token", false);
}

}  // namespace seek
