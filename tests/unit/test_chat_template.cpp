// ChatTemplate: loading from model folders and the built-in DeepSeek templates. Expected prompts are written by
// hand from the chat format in spec §7 (the comparison with the official templates through the reference
// renderer is tests/oracle/chat_template.mjs).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <string>

#include "core/error.h"
#include "text/chat/chat_template.h"

using nlohmann::ordered_json;
using seek::BuiltinChat;
using seek::ChatTemplate;
namespace fs = std::filesystem;

namespace {

const std::string BOS = "<｜begin▁of▁sentence｜>";
const std::string EOS = "<｜end▁of▁sentence｜>";

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("seek-chat-" + std::to_string(getpid())) / name) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_.parent_path()); }
  void write(const std::string& file, const std::string& text) const { std::ofstream(path_ / file) << text; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const seek::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const ordered_json kChat = ordered_json::parse(R"([
  {"role": "system", "content": "sys"},
  {"role": "user", "content": "Hello"},
  {"role": "assistant", "content": "Hi"},
  {"role": "user", "content": "How are you?"}
])");

}  // namespace

TEST(ChatTemplate, BuiltinV3MatchesTheSpecExample) {
  const auto ct = ChatTemplate::builtin(BuiltinChat::deepseek_v3);
  EXPECT_EQ(ct.render(kChat, true),
            BOS + "sys<｜User｜>Hello<｜Assistant｜>Hi" + EOS + "<｜User｜>How are you?<｜Assistant｜>");
  EXPECT_EQ(ct.render(kChat, false), BOS + "sys<｜User｜>Hello<｜Assistant｜>Hi" + EOS + "<｜User｜>How are you?");
}

TEST(ChatTemplate, BuiltinR1DropsHistoryReasoningAndOpensThinking) {
  const auto ct = ChatTemplate::builtin(BuiltinChat::deepseek_r1);
  const auto chat = ordered_json::parse(R"([
    {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4"},
    {"role": "user", "content": "3+3?"}
  ])");
  EXPECT_EQ(ct.render(chat, true),
            BOS + "<｜User｜>2+2?<｜Assistant｜>\n\n4" + EOS + "<｜User｜>3+3?<｜Assistant｜><think>\n");
}

TEST(ChatTemplate, SystemPromptsJoinWithABlankLine) {
  const auto chat = ordered_json::parse(R"([
    {"role": "system", "content": "one"}, {"role": "system", "content": "two"}, {"role": "user", "content": "q"}
  ])");
  EXPECT_EQ(ChatTemplate::builtin(BuiltinChat::deepseek_v3).render(chat, false), BOS + "one\n\ntwo<｜User｜>q");
}

TEST(ChatTemplate, BuiltinToolCallsAndOutputs) {
  const auto chat = ordered_json::parse(R"([
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"type": "function", "function": {"name": "get", "arguments": "{\"city\":\"Paris\"}"}},
      {"type": "function", "function": {"name": "time", "arguments": {"tz": "CET"}}}]},
    {"role": "tool", "content": "rain"},
    {"role": "tool", "content": "noon"},
    {"role": "assistant", "content": "Rain at noon."}
  ])");
  const std::string calls =
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get\n```json\n{\"city\":\"Paris\"}\n```<"
      "｜tool▁call▁end｜>"
      "\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>time\n```json\n{\"tz\": "
      "\"CET\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  const std::string outputs =
      "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>rain<｜tool▁output▁end｜>\n<｜tool▁output▁begin｜>noon<"
      "｜tool▁output▁end｜>"
      "<｜tool▁outputs▁end｜>";
  EXPECT_EQ(
      ChatTemplate::builtin(BuiltinChat::deepseek_v3).render(chat, true),
      BOS + "<｜User｜>weather?<｜Assistant｜>" + calls + EOS + outputs + "Rain at noon." + EOS + "<｜Assistant｜>");
}

TEST(ChatTemplate, LoadsTokenizerConfig) {
  TempDir dir("plain");
  dir.write("tokenizer_config.json", R"({
    "bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "</s>", "unk_token": null,
    "chat_template": "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{% if add_generation_prompt %}>{% endif %}{{ eos_token }}"
  })");
  const auto ct = ChatTemplate::from_model_dir(dir.str());
  EXPECT_FALSE(ct.is_builtin());
  EXPECT_EQ(ct.bos_token(), "<s>");
  EXPECT_EQ(ct.eos_token(), "</s>");
  EXPECT_EQ(ct.render(kChat, true), "<s>[system:sys][user:Hello][assistant:Hi][user:How are you?]></s>");
  // Extra variables reach the template; the nlohmann::json overload renders the same.
  EXPECT_EQ(ct.with_source("{{ x }}{{ messages | length }}", "t").render(nlohmann::json::array(), false, {{"x", 7}}),
            "70");
}

TEST(ChatTemplate, NamedTemplatesPickDefaultOrToolUse) {
  TempDir dir("named");
  dir.write("tokenizer_config.json", R"({"chat_template": [
    {"name": "default", "template": "plain"}, {"name": "tool_use", "template": "tools:{{ tools | length }}"}]})");
  const auto ct = ChatTemplate::from_model_dir(dir.str());
  EXPECT_EQ(ct.render(kChat, false), "plain");
  EXPECT_EQ(ct.render(kChat, false, ordered_json{{"tools", ordered_json::array({1, 2})}}), "tools:2");
}

TEST(ChatTemplate, ChatTemplateJinjaFileWins) {
  TempDir dir("file");
  dir.write("tokenizer_config.json", R"({"chat_template": "from config", "eos_token": "E"})");
  dir.write("chat_template.jinja", "from file {{ eos_token }}\n");
  EXPECT_EQ(ChatTemplate::from_model_dir(dir.str()).render(kChat, false), "from file E");
}

TEST(ChatTemplate, FoldersWithoutTemplateUseTheBuiltins) {
  TempDir v3("DeepSeek-V3-tiny");
  v3.write("tokenizer_config.json", R"({"bos_token": "B", "eos_token": "E"})");
  const auto a = ChatTemplate::from_model_dir(v3.str());
  EXPECT_TRUE(a.is_builtin());
  EXPECT_EQ(a.render(kChat, true), "Bsys<｜User｜>Hello<｜Assistant｜>HiE<｜User｜>How are you?<｜Assistant｜>");
  TempDir r1("DeepSeek-R1-tiny");  // no tokenizer_config.json at all: DeepSeek's tokens
  const auto b = ChatTemplate::from_model_dir(r1.str());
  EXPECT_EQ(b.render(kChat, true),
            BOS + "sys<｜User｜>Hello<｜Assistant｜>Hi" + EOS + "<｜User｜>How are you?<｜Assistant｜><think>\n");
  EXPECT_EQ(ChatTemplate::from_model_dir(r1.str(), BuiltinChat::deepseek_v3).source(),
            seek::builtin_chat_source(BuiltinChat::deepseek_v3));
}

TEST(ChatTemplate, BadInputGivesClearErrors) {
  TempDir dir("bad");
  dir.write("tokenizer_config.json", "{ not json");
  std::string e = error_of([&] { ChatTemplate::from_model_dir(dir.str()); });
  EXPECT_TRUE(has(e, "tokenizer_config.json") && has(e, "invalid JSON")) << e;

  dir.write("tokenizer_config.json", R"({"chat_template": "ok\n{% if %}"})");
  e = error_of([&] { ChatTemplate::from_model_dir(dir.str()); });
  EXPECT_TRUE(has(e, "tokenizer_config.json chat_template:2:")) << e;

  dir.write("tokenizer_config.json", R"({"bos_token": 5, "chat_template": "x"})");
  e = error_of([&] { ChatTemplate::from_model_dir(dir.str()); });
  EXPECT_TRUE(has(e, "bos_token")) << e;

  dir.write("tokenizer_config.json",
            R"({"chat_template": [{"name": "rag", "template": "a"}, {"name": "x", "template": "b"}]})");
  e = error_of([&] { ChatTemplate::from_model_dir(dir.str()).render(kChat, false); });
  EXPECT_TRUE(has(e, "default")) << e;

  e = error_of([&] { ChatTemplate::from_model_dir(dir.str() + "/missing"); });
  EXPECT_TRUE(has(e, "missing")) << e;

  const auto ct = ChatTemplate::builtin(BuiltinChat::deepseek_v3);
  e = error_of([&] { ct.render(ordered_json::object(), false); });
  EXPECT_TRUE(has(e, "array")) << e;
  e = error_of([&] { ct.render(ordered_json::parse(R"([{"content": "x"}])"), false); });
  EXPECT_TRUE(has(e, "messages[0]") && has(e, "role")) << e;
  e = error_of([&] { seek::parse_builtin_chat("bogus"); });
  EXPECT_TRUE(has(e, "bogus")) << e;
}
