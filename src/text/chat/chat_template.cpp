#include "text/chat/chat_template.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "text/jinja/jinja.h"

namespace seek {
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A special token in tokenizer_config.json: "text", null, or {"content": "text", ...}.
std::optional<std::string> token_text(const nlohmann::ordered_json& v, const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  throw Error(where + ": expected a string or an object with a \"content\" string");
}

bool mentions_r1(const fs::path& dir) {
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return name.find("r1") != std::string::npos;
}

template <class Json>
void check_messages(const Json& messages) {
  if (!messages.is_array())
    throw Error(std::string("chat messages must be a JSON array of {role, content} objects, got ") +
                messages.type_name());
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    const std::string at = "chat messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw Error(at + ": expected an object with \"role\" and \"content\", got " + m.type_name());
    if (!m.contains("role") || !m["role"].is_string()) throw Error(at + ": missing \"role\" (a string)");
  }
}

template <class Json>
bool has_tools(const Json& extra) {
  return extra.is_object() && extra.contains("tools") && !extra["tools"].is_null();
}

}  // namespace

ChatTemplate ChatTemplate::from_model_dir(const std::string& dir, std::optional<BuiltinChat> fallback) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw Error("model folder " + dir + " does not exist or is not a folder");
  ChatTemplate ct;
  const fs::path config_path = root / "tokenizer_config.json";
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  if (fs::exists(config_path)) {
    try {
      config = nlohmann::ordered_json::parse(read_text(config_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(config_path.string() + ": invalid JSON: " + e.what());
    }
    if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  }
  const std::string cfg = config_path.string();
  static const char* const kTokenNames[] = {"bos_token", "eos_token", "unk_token", "pad_token",
                                            "sep_token", "cls_token", "mask_token"};
  for (const char* name : kTokenNames) {
    if (!config.contains(name)) continue;
    if (auto text = token_text(config[name], cfg + ": " + name)) ct.special_tokens_[name] = *text;
  }

  const fs::path jinja_path = root / "chat_template.jinja";
  if (fs::exists(jinja_path)) {
    ct.origin_ = jinja_path.string();
    ct.templates_["default"] = std::make_shared<jinja::Template>(read_text(jinja_path), ct.origin_);
    return ct;
  }
  if (config.contains("chat_template") && !config["chat_template"].is_null()) {
    const auto& tpl = config["chat_template"];
    ct.origin_ = cfg + " chat_template";
    if (tpl.is_string()) {
      ct.templates_["default"] = std::make_shared<jinja::Template>(tpl.get<std::string>(), ct.origin_);
    } else if (tpl.is_array()) {
      for (size_t i = 0; i < tpl.size(); ++i) {
        const auto& e = tpl[i];
        const std::string at = ct.origin_ + "[" + std::to_string(i) + "]";
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("template") ||
            !e["template"].is_string())
          throw Error(at + ": expected {\"name\": string, \"template\": string}");
        const std::string name = e["name"].get<std::string>();
        ct.templates_[name] =
            std::make_shared<jinja::Template>(e["template"].get<std::string>(), at + " (" + name + ")");
      }
      if (ct.templates_.empty()) throw Error(ct.origin_ + ": empty list of templates");
    } else {
      throw Error(ct.origin_ + ": expected a string or a list of {name, template}, got " + tpl.type_name());
    }
    return ct;
  }
  const BuiltinChat which = fallback            ? *fallback
                            : mentions_r1(root) ? BuiltinChat::deepseek_r1
                                                : BuiltinChat::deepseek_v3;
  return ct.with_builtin(which);  // the folder's tokens win
}

ChatTemplate ChatTemplate::builtin(BuiltinChat which, std::string bos, std::string eos) {
  ChatTemplate ct;
  ct.builtin_ = true;
  ct.origin_ = which == BuiltinChat::deepseek_r1 ? "built-in deepseek-r1 template" : "built-in deepseek-v3 template";
  ct.templates_["default"] = std::make_shared<jinja::Template>(builtin_chat_source(which), ct.origin_);
  ct.special_tokens_["bos_token"] = std::move(bos);
  ct.special_tokens_["eos_token"] = std::move(eos);
  return ct;
}

ChatTemplate ChatTemplate::from_source(const std::string& source, std::map<std::string, std::string> special_tokens,
                                       const std::string& name) {
  ChatTemplate ct;
  ct.origin_ = name;
  ct.templates_["default"] = std::make_shared<jinja::Template>(source, name);
  ct.special_tokens_ = std::move(special_tokens);
  return ct;
}

ChatTemplate ChatTemplate::with_source(const std::string& source, const std::string& name) const {
  return from_source(source, special_tokens_, name);
}

ChatTemplate ChatTemplate::with_builtin(BuiltinChat which) const {
  ChatTemplate b = builtin(which);
  for (const auto& [k, v] : special_tokens_) b.special_tokens_[k] = v;
  return b;
}

const jinja::Template& ChatTemplate::pick(bool with_tools) const {
  if (with_tools) {
    if (auto it = templates_.find("tool_use"); it != templates_.end()) return *it->second;
  }
  if (auto it = templates_.find("default"); it != templates_.end()) return *it->second;
  if (templates_.size() == 1) return *templates_.begin()->second;
  std::string names;
  for (const auto& [k, v] : templates_) names += (names.empty() ? "" : ", ") + k;
  throw Error(origin_ + ": several chat templates (" + names + ") and none is named \"default\"");
}

const std::string& ChatTemplate::source(bool with_tools) const { return pick(with_tools).source(); }

std::string ChatTemplate::bos_token() const {
  auto it = special_tokens_.find("bos_token");
  return it == special_tokens_.end() ? std::string() : it->second;
}

std::string ChatTemplate::eos_token() const {
  auto it = special_tokens_.find("eos_token");
  return it == special_tokens_.end() ? std::string() : it->second;
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                 const nlohmann::ordered_json& extra_context) const {
  check_messages(messages);
  if (!extra_context.is_null() && !extra_context.is_object())
    throw Error(std::string("extra chat template variables must be a JSON object, got ") + extra_context.type_name());
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  for (const auto& [k, v] : special_tokens_) ctx[k] = v;
  if (extra_context.is_object())
    for (auto it = extra_context.begin(); it != extra_context.end(); ++it) ctx[it.key()] = it.value();
  ctx["messages"] = messages;
  ctx["add_generation_prompt"] = add_generation_prompt;
  return pick(has_tools(extra_context)).render(ctx);
}

std::string ChatTemplate::render(const nlohmann::json& messages, bool add_generation_prompt,
                                 const nlohmann::json& extra_context) const {
  // Through text, to keep one code path; nlohmann::json objects are already key-sorted, so nothing is lost.
  const auto convert = [](const nlohmann::json& j) {
    return nlohmann::ordered_json::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  return render(convert(messages), add_generation_prompt,
                extra_context.is_null() ? nlohmann::ordered_json() : convert(extra_context));
}

}  // namespace seek
