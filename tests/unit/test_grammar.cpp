// The byte grammar: JSON (RFC 8259) checked by hand-made cases in the style of the JSON test suite and against an
// independent parser (nlohmann::json::accept) on random documents and their mutations; JSON Schema keywords on
// hand-made valid / invalid documents; numbers with bounds against their definition; patterns and formats.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "infer/grammar/matcher.h"
#include "infer/grammar/schema.h"

using namespace seek;
using namespace seek::grammar;
using ojson = nlohmann::ordered_json;

namespace {
std::shared_ptr<Grammar> json_grammar() {
  auto g = std::make_shared<Grammar>();
  g->root = g->any_json();
  g->finalize("test grammar");
  return g;
}

std::shared_ptr<Grammar> schema_grammar(const std::string& schema) {
  auto g = std::make_shared<Grammar>();
  g->root = compile_schema(*g, ojson::parse(schema));
  g->finalize("test schema");
  return g;
}

// 1: the whole text is accepted; 0: every prefix is live but the text is incomplete; -1: refused at some byte.
int run(const std::shared_ptr<Grammar>& g, const std::string& text) {
  Matcher m(g);
  std::vector<Config> cur{m.start()}, next;
  for (unsigned char b : text) {
    next.clear();
    for (const Config& c : cur) m.feed_byte(c, b, next);
    if (next.empty()) return -1;
    cur.swap(next);
  }
  for (const Config& c : cur)
    if (m.can_end(c)) return 1;
  return 0;
}
}  // namespace

TEST(Grammar, JsonAcceptsValidDocuments) {
  auto g = json_grammar();
  for (const char* s : {"{}",
                        "[]",
                        "\"\"",
                        "0",
                        "-0",
                        "1e5",
                        "1E+5",
                        "-1.5e-3",
                        "0.5",
                        "123",
                        "true",
                        "false",
                        "null",
                        "{\"a\": [1, 2, {\"b\": null}]}",
                        "{\"a\":1,\"b\":2}",
                        "[1,2]",
                        "\"\\u00e9\"",
                        "\"\\ud83d\\ude00\"",
                        "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"",
                        "\"\\\\\\\"\\/\\b\\f\\n\\r\\t\"",
                        "\"\\u0000\"",
                        "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}",
                        "[ 1 , 2 ]",
                        "{ }",
                        "[\n\t1]",
                        "\"\x7f\"",
                        "\"\xef\xbf\xbf\"",
                        "\"\xf4\x8f\xbf\xbf\""})
    EXPECT_EQ(run(g, s), 1) << s;
}

TEST(Grammar, JsonRefusesInvalidDocuments) {
  auto g = json_grammar();
  for (const char* s : {"01",
                        "1.",
                        ".5",
                        "+1",
                        "-",
                        "1e",
                        "1e+",
                        "[1,]",
                        "{\"a\":1,}",
                        "{a:1}",
                        "'a'",
                        "\"\\x\"",
                        "\"\\ud800\"",
                        "\"\\udc00\"",
                        "\"\\ud800\\u0041\"",
                        "\"a\tb\"",
                        "\"abc",
                        "[1 2]",
                        "{\"a\" 1}",
                        "tru",
                        "nul",
                        "NaN",
                        "Infinity",
                        "\"\xc0\x80\"",
                        "\"\xed\xa0\x80\"",
                        "\"\xf4\x90\x80\x80\"",
                        "\"\x80\"",
                        "\"\xc3\"",
                        " {}",
                        "{} ",
                        "[1]]",
                        "{\"a\":1}}",
                        "-01",
                        "1.e5",
                        "0x10",
                        "[,1]",
                        "{,}",
                        "\"\\u12\"",
                        "truex",
                        "[\"a\"\"b\"]"})
    EXPECT_NE(run(g, s), 1) << s;
}

TEST(Grammar, WhitespaceIsBounded) {
  auto g = json_grammar();
  EXPECT_EQ(run(g, "[\n" + std::string(20, ' ') + "1]"), 1);
  EXPECT_EQ(run(g, "[\n" + std::string(21, ' ') + "1]"), -1);
  EXPECT_EQ(run(g, "[  1]"), -1);  // two spaces: only "\n" may be followed by indentation
  EXPECT_EQ(run(g, "[\n\n1]"), -1);
}

namespace {
// A random JSON value, printed with random but allowed whitespace.
std::string random_json(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return int(rng() % uint32_t(n)); };
  auto ws = [&]() -> std::string {
    switch (pick(4)) {
      case 0: return " ";
      case 1: return "\n" + std::string(size_t(pick(6)), ' ');
      default: return "";
    }
  };
  int kind = depth > 3 ? 2 + pick(5) : pick(7);
  switch (kind) {
    case 0: {
      int n = pick(4);
      if (n == 0) return "{" + ws() + "}";
      std::string s = "{" + ws();
      for (int i = 0; i < n; i++)
        s += (i ? ws() + "," + ws() : "") + "\"k" + std::to_string(i) + "\"" + ws() + ":" + ws() +
             random_json(rng, depth + 1);
      return s + ws() + "}";
    }
    case 1: {
      int n = pick(4);
      if (n == 0) return "[" + ws() + "]";
      std::string s = "[" + ws();
      for (int i = 0; i < n; i++) s += (i ? ws() + "," + ws() : "") + random_json(rng, depth + 1);
      return s + ws() + "]";
    }
    case 2: {
      static const char* parts[] = {"a",    "\\n", "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9", "\xe4\xb8\xad",
                                    "\\\"", " ",   "\\\\"};
      std::string s = "\"";
      for (int i = pick(5); i > 0; i--) s += parts[pick(9)];
      return s + "\"";
    }
    case 3: {
      static const char* nums[] = {"0", "-0", "12", "-3.25", "1e5", "2.5E-3", "100000", "7e+2"};
      return nums[pick(8)];
    }
    case 4: return "true";
    case 5: return "false";
    default: return "null";
  }
}
}  // namespace

TEST(Grammar, JsonAgreesWithAnIndependentParser) {
  auto g = json_grammar();
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\",:0123456789-+.eE \n\\utrufalsn\xc3\xa9\x80";
  int accepted_mutants = 0;
  for (int i = 0; i < 400; i++) {
    std::string doc = random_json(rng, 0);
    ASSERT_TRUE(nlohmann::json::accept(doc)) << doc;
    EXPECT_EQ(run(g, doc), 1) << doc;
    for (int k = 0; k < 10; k++) {  // mutants: whatever the grammar accepts, the parser must accept
      std::string m = doc;
      size_t at = rng() % (m.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (at < m.size()) m.erase(at, 1);
          break;
        case 1: m.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default:
          if (at < m.size()) m[at] = alphabet[rng() % alphabet.size()];
      }
      if (run(g, m) == 1) {
        accepted_mutants++;
        EXPECT_TRUE(nlohmann::json::accept(m)) << m;
      }
    }
  }
  EXPECT_GT(accepted_mutants, 100);  // the comparison saw real variety
}

TEST(Grammar, SchemaObjects) {
  auto g = schema_grammar(R"({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
      "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "age"], "additionalProperties": false})");
  EXPECT_EQ(run(g, R"({"name": "x", "age": 3})"), 1);
  EXPECT_EQ(run(g, R"({"name": "x", "age": 3, "tags": ["a", "b"]})"), 1);
  EXPECT_EQ(run(g, R"({"name": "x"})"), -1);                        // age is required
  EXPECT_EQ(run(g, R"({"age": 3, "name": "x"})"), -1);              // schema order
  EXPECT_EQ(run(g, R"({"name": "x", "age": 3, "other": 1})"), -1);  // closed
  EXPECT_EQ(run(g, R"({"name": 1, "age": 3})"), -1);
  EXPECT_EQ(run(g, R"({"name": "x", "age": 3.5})"), -1);
  EXPECT_EQ(run(g, R"({"name": "x", "age": 3, "tags": [1]})"), -1);

  auto open = schema_grammar(R"({"properties": {"a": {"const": 1}}, "additionalProperties": {"type": "boolean"}})");
  EXPECT_EQ(run(open, R"({"a": 1, "b": true, "c": false})"), 1);
  EXPECT_EQ(run(open, R"({"b": true})"), 1);
  EXPECT_EQ(run(open, R"({"b": 1})"), -1);
  EXPECT_EQ(run(open, R"({"a": 1, "a": true})"), -1);  // an other key never repeats a declared one
  EXPECT_EQ(run(open, R"({"a": 1, "\u0061": true})"), -1);
  EXPECT_EQ(run(open, R"({"a": 1, "ab": true})"), 1);
}

TEST(Grammar, SchemaArraysEnumsAndAlternatives) {
  auto g = schema_grammar(R"({"type": "array", "prefixItems": [{"type": "boolean"}, {"enum": ["x", 2, null]}],
      "items": {"type": "null"}, "minItems": 2, "maxItems": 3})");
  EXPECT_EQ(run(g, "[true, \"x\"]"), 1);
  EXPECT_EQ(run(g, "[false, 2, null]"), 1);
  EXPECT_EQ(run(g, "[true"), 0);
  EXPECT_EQ(run(g, "[true]"), -1);
  EXPECT_EQ(run(g, "[true, 3]"), -1);
  EXPECT_EQ(run(g, "[true, null, null, null]"), -1);
  auto any = schema_grammar(R"({"anyOf": [{"type": "string", "maxLength": 2}, {"$ref": "#/$defs/n"}],
      "$defs": {"n": {"type": ["integer", "null"]}}})");
  EXPECT_EQ(run(any, "\"ab\""), 1);
  EXPECT_EQ(run(any, "\"abc\""), -1);
  EXPECT_EQ(run(any, "7"), 1);
  EXPECT_EQ(run(any, "null"), 1);
  EXPECT_EQ(run(any, "7.5"), -1);
  // Recursion through $ref: a tree.
  auto tree = schema_grammar(R"({"$ref": "#/definitions/t", "definitions": {"t": {"type": "object",
      "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/definitions/t"}}},
      "required": ["v"], "additionalProperties": false}}})");
  EXPECT_EQ(run(tree, R"({"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": []}]})"), 1);
  EXPECT_EQ(run(tree, R"({"v": 1, "kids": [{"w": 2}]})"), -1);
}

TEST(Grammar, StringLengthsCountCodePoints) {
  auto g = schema_grammar(R"({"type": "string", "minLength": 2, "maxLength": 3})");
  EXPECT_EQ(run(g, "\"ab\""), 1);
  EXPECT_EQ(run(g, "\"a\""), -1);
  EXPECT_EQ(run(g, "\"\xe4\xb8\xad\xe6\x96\x87\""), 1);  // two code points, six bytes
  EXPECT_EQ(run(g, "\"\\ud83d\\ude00x\""), 1);           // a surrogate pair is one
  EXPECT_EQ(run(g, "\"abcd\""), -1);
  EXPECT_EQ(run(g, "\"a\\n\\t\""), 1);
}

TEST(Grammar, BoundedNumbersMatchTheirDefinition) {
  // Every integer text in a range is accepted exactly when its value is within the bounds.
  auto g = schema_grammar(R"({"type": "integer", "minimum": -12, "exclusiveMaximum": 105})");
  for (int v = -200; v <= 300; v++) EXPECT_EQ(run(g, std::to_string(v)) == 1, v >= -12 && v < 105) << v;
  EXPECT_EQ(run(g, "-0"), 1);
  EXPECT_EQ(run(g, "1.0"), -1);
  auto n = schema_grammar(R"({"type": "number", "minimum": 0.1, "maximum": 2.5})");
  for (int v = 0; v <= 300; v++) {  // v / 100 written with two decimals
    char buf[16];
    std::snprintf(buf, sizeof buf, "%d.%02d", v / 100, v % 100);
    double x = std::stod(buf);
    EXPECT_EQ(run(n, buf) == 1, x >= 0.1 && x <= 2.5) << buf;
  }
  EXPECT_EQ(run(n, "0.1"), 1);
  EXPECT_EQ(run(n, "0.09999"), -1);
  EXPECT_EQ(run(n, "2.5000001"), -1);
  EXPECT_EQ(run(n, "1e0"), -1);  // bounded numbers take no exponent
  auto empty = std::make_shared<Grammar>();
  empty->root = compile_schema(*empty, ojson::parse(R"({"type": "integer", "minimum": 5, "maximum": 4})"));
  EXPECT_THROW(empty->finalize("x"), Error);
}

TEST(Grammar, PatternsAndFormats) {
  auto g = schema_grammar(R"({"type": "string", "pattern": "^[a-z]{2,3}-\\d+$"})");
  EXPECT_EQ(run(g, "\"ab-12\""), 1);
  EXPECT_EQ(run(g, "\"a-1\""), -1);
  EXPECT_EQ(run(g, "\"abcd-1\""), -1);
  EXPECT_EQ(run(g, "\"ab-\""), -1);
  auto search = schema_grammar(R"J({"type": "string", "pattern": "x(y|z)"})J");  // unanchored: anywhere
  EXPECT_EQ(run(search, "\"..xz..\""), 1);
  EXPECT_EQ(run(search, "\"xa\""), -1);
  auto date = schema_grammar(R"({"type": "string", "format": "date"})");
  EXPECT_EQ(run(date, "\"2024-02-28\""), 1);
  EXPECT_EQ(run(date, "\"2024-02-30\""), -1);
  EXPECT_EQ(run(date, "\"2024-13-01\""), -1);
  auto uuid = schema_grammar(R"({"type": "string", "format": "uuid"})");
  EXPECT_EQ(run(uuid, "\"123e4567-e89b-12d3-a456-426614174000\""), 1);
  EXPECT_EQ(run(uuid, "\"123e4567-e89b-12d3-a456-42661417400\""), -1);
  for (const char* bad : {R"J({"type": "string", "pattern": "(a)\\1"})J", R"J({"type": "string", "pattern": "(?=a)"})J",
                          R"({"type": "string", "pattern": "a\\bb"})", R"({"type": "string", "format": "uri"})"})
    EXPECT_THROW(schema_grammar(bad), Error) << bad;
}

TEST(Grammar, UnsupportedKeywordsAreErrorsNamingThem) {
  for (auto [schema, word] : std::vector<std::pair<const char*, const char*>>{
           {R"({"type": "integer", "multipleOf": 2})", "multipleOf"},
           {R"({"type": "object", "patternProperties": {}})", "patternProperties"},
           {R"({"not": {}})", "not"},
           {R"({"properties": {"a": {"type": "array", "uniqueItems": true}}})", "uniqueItems"},
           {R"({"type": "strin"})", "type"},
           {R"({"$ref": "#/nowhere"})", "nowhere"},
           {R"({"$ref": "#"})", "left recursion"}}) {
    try {
      schema_grammar(schema);
      ADD_FAILURE() << "accepted " << schema;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  }
}

TEST(Grammar, ShortestCompletionFallsByOnePerByte) {
  // Following a shortest completion lowers min_units by exactly one per byte (what the token budget relies on).
  auto g = schema_grammar(R"({"type": "object", "properties": {"a": {"type": "string", "minLength": 3},
      "b": {"type": "array", "items": {"type": "integer", "minimum": 10}, "minItems": 2}, "c": {"type": "boolean"}},
      "required": ["a", "b"]})");
  Matcher m(g);
  Config c = m.start();
  uint64_t units = m.min_units(c);
  EXPECT_EQ(units, std::string(R"({"a":"xxx","b":[10,10]})").size());
  for (int steps = 0; units > 0; steps++) {
    ASSERT_LT(steps, 1000);
    bool moved = false;
    std::vector<Config> out;
    for (int b = 0; b < 256 && !moved; b++) {
      out.clear();
      m.feed_byte(c, uint8_t(b), out);
      for (const Config& n : out)
        if (m.min_units(n) == units - 1) {
          c = n, moved = true;
          break;
        }
    }
    ASSERT_TRUE(moved) << "no byte shortens the completion at " << units;
    units--;
  }
  EXPECT_TRUE(m.can_end(c));
}
