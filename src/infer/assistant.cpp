#include "infer/assistant.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/checkpoint.h"
#include "infer/reasoning.h"
#include "formats/gguf.h"
#include "model/gguf_model.h"
#include "model/lora.h"

namespace seek {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void add_id(std::vector<int32_t>& ids, int64_t id) {
  if (id >= 0 && std::find(ids.begin(), ids.end(), int32_t(id)) == ids.end()) ids.push_back(int32_t(id));
}

// generation_config.json: sampling defaults and end-of-sequence ids the model was published with.
void read_generation_config(const std::string& dir, Assistant& a, bool& have_sampling) {
  fs::path p = fs::path(dir) / "generation_config.json";
  if (!fs::exists(p)) return;
  json j;
  try {
    j = json::parse(read_text_file(p.string()));
  } catch (const json::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
  auto num = [&](const char* k, float& dst) {
    if (!j.contains(k) || j[k].is_null()) return;
    if (!j[k].is_number()) throw Error(p.string() + ": field '" + k + "' must be a number");
    dst = j[k].get<float>();
    have_sampling = true;
  };
  num("temperature", a.sampling.temperature);
  num("top_p", a.sampling.top_p);
  num("repetition_penalty", a.sampling.repetition_penalty);
  if (j.contains("top_k") && j["top_k"].is_number_integer()) a.sampling.top_k = j["top_k"].get<int64_t>();
  if (j.contains("do_sample") && j["do_sample"].is_boolean() && !j["do_sample"].get<bool>()) {
    a.sampling.temperature = 0;  // published as greedy
    have_sampling = true;
  }
  if (j.contains("eos_token_id")) {
    const json& e = j["eos_token_id"];
    if (e.is_number_integer())
      add_id(a.stop_ids, e.get<int64_t>());
    else if (e.is_array())
      for (auto& v : e)
        if (v.is_number_integer()) add_id(a.stop_ids, v.get<int64_t>());
  }
}

// A checkpoint of `seek train` (pretraining): its trainer_state.json says so.
bool is_seek_pretraining_checkpoint(const std::string& dir) { return checkpoint_origin(dir).stage == "pretrain"; }

bool opens_reasoning(const ChatTemplate& chat) {
  return prompt_opens_reasoning(chat.render(json::array({{{"role", "user"}, {"content", "x"}}}), true));
}

// The template a conversation with the model in `dir` uses (see Assistant::load), and where it came from.
ChatTemplate pick_template(const std::string& dir, std::optional<BuiltinChat> override_with, std::string& origin) {
  ChatTemplate folder = ChatTemplate::from_model_dir(dir);
  if (override_with) {
    origin = std::string("--template ") + (*override_with == BuiltinChat::deepseek_r1 ? "deepseek-r1" : "deepseek-v3");
    return folder.with_builtin(*override_with);
  }
  if (is_seek_pretraining_checkpoint(dir) && opens_reasoning(folder)) {
    origin = "built-in deepseek-v3 (a pretrained-only checkpoint: no reasoning template)";
    return folder.with_builtin(BuiltinChat::deepseek_v3);
  }
  origin = folder.is_builtin() ? "built-in" : "the model folder";
  return folder;
}

}  // namespace

Assistant::Assistant(std::string d, std::unique_ptr<LanguageModel> m, Tokenizer t, ChatTemplate c)
    : dir(std::move(d)), model(std::move(m)), tokenizer(std::move(t)), chat(std::move(c)) {}

Assistant Assistant::load(const std::string& model_dir, std::optional<BuiltinChat> template_override,
                          const std::string& adapter) {
  return with_model(model_dir, load_model_with_adapter(model_dir, adapter), template_override);
}

namespace {

// A GGUF file's tokenizer and chat template (tokenizer.chat_template; without one, the built-in DeepSeek-V3
// template with the file's special tokens).
std::pair<Tokenizer, ChatTemplate> gguf_tokenizer_and_template(const std::string& path,
                                                               std::optional<BuiltinChat> override_with,
                                                               std::string& origin) {
  const GgufFile f = GgufFile::open(path);
  if (!f.has("tokenizer.ggml.model") || f.get_string("tokenizer.ggml.model") == "none")
    throw Error(path + ": the file has no tokenizer (text commands need one; use --tokens for ids)");
  Tokenizer tok = Tokenizer::from_gguf(f);
  std::map<std::string, std::string> special;
  if (tok.bos_id() >= 0) special["bos_token"] = tok.token_text(tok.bos_id());
  if (tok.eos_id() >= 0) special["eos_token"] = tok.token_text(tok.eos_id());
  ChatTemplate chat = f.has("tokenizer.chat_template")
                          ? ChatTemplate::from_source(f.get_string("tokenizer.chat_template"), special,
                                                      path + " tokenizer.chat_template")
                          : ChatTemplate::builtin(BuiltinChat::deepseek_v3, special["bos_token"], special["eos_token"]);
  origin = f.has("tokenizer.chat_template") ? "the GGUF file" : "built-in (the GGUF file has none)";
  if (override_with) {
    origin = std::string("--template ") + (*override_with == BuiltinChat::deepseek_r1 ? "deepseek-r1" : "deepseek-v3");
    chat = chat.with_builtin(*override_with);
  }
  return {std::move(tok), std::move(chat)};
}

}  // namespace

Assistant Assistant::with_model(const std::string& model_dir, std::unique_ptr<LanguageModel> model,
                                std::optional<BuiltinChat> template_override) {
  const bool gguf = is_gguf_file(model_dir);
  const std::string dir = gguf ? model_dir : resolve_model_dir(model_dir);  // a training run: its latest checkpoint
  std::string origin;
  std::optional<Tokenizer> tok;
  std::optional<ChatTemplate> chat;
  if (gguf) {
    auto [t, c] = gguf_tokenizer_and_template(dir, template_override, origin);
    tok.emplace(std::move(t));
    chat.emplace(std::move(c));
  } else {
    if (!fs::exists(fs::path(dir) / "tokenizer.json"))
      throw Error(dir + ": no tokenizer.json in the model folder (text commands need one; use --tokens for ids)");
    tok.emplace(Tokenizer::from_path(dir));
    chat.emplace(pick_template(dir, template_override, origin));
  }
  if (tok->vocab_size() > model->vocab_size())
    throw Error(dir + ": tokenizer has " + std::to_string(tok->vocab_size()) + " tokens but the model only " +
                std::to_string(model->vocab_size()));
  Assistant a(dir, std::move(model), std::move(*tok), std::move(*chat));
  a.template_origin = origin;
  for (int64_t id : a.model->eos_token_ids()) add_id(a.stop_ids, id);
  add_id(a.stop_ids, a.tokenizer.eos_id());
  add_id(a.stop_ids, a.tokenizer.token_id(a.chat.eos_token()));
  // A reasoning model: its template opens <think> in the generation prompt, or strips </think> from history.
  a.reasoning = opens_reasoning(a.chat) || a.chat.source().find("</think>") != std::string::npos;
  bool have_sampling = false;
  if (!gguf) read_generation_config(dir, a, have_sampling);
  if (!have_sampling && a.reasoning) {
    a.sampling.temperature = 0.6f;  // the R1 model card's recommendation
    a.sampling.top_p = 0.95f;
  }
  return a;
}

std::string Assistant::render(const json& messages, bool add_generation_prompt) const {
  return chat.render(messages, add_generation_prompt);
}

std::vector<int32_t> Assistant::encode_prompt(const std::string& rendered) const {
  return tokenizer.encode(rendered, /*allow_special=*/true);
}

std::vector<int32_t> Assistant::encode_raw(const std::string& text) const {
  std::vector<int32_t> ids;
  if (tokenizer.add_bos && tokenizer.bos_id() >= 0) ids.push_back(tokenizer.bos_id());
  tokenizer.encode_append(text, false, ids);
  return ids;
}

}  // namespace seek
