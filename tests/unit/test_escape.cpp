// The shared JSON string and HTML escapers. JSON is checked against nlohmann::json's serializer (an independent
// implementation of the same rules: ensure_ascii on and off) over hand-picked and random valid UTF-8, and against
// Python's json.dumps outputs written out by hand; HTML against markupsafe's documented table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"
#include "formats/escape.h"

using namespace seek;

namespace {

std::string nlohmann_dump(const std::string& s, bool ascii) { return nlohmann::json(s).dump(-1, ' ', ascii); }

// A random string of valid UTF-8: ASCII (controls included), 2-, 3- and 4-byte characters.
std::string random_utf8(std::mt19937& rng) {
  std::string s;
  std::uniform_int_distribution<int> kind(0, 4), len(0, 12);
  auto put = [&](uint32_t cp) {
    if (cp < 0x80) {
      s += char(cp);
    } else if (cp < 0x800) {
      s += char(0xc0 | (cp >> 6)), s += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += char(0xe0 | (cp >> 12)), s += char(0x80 | ((cp >> 6) & 0x3f)), s += char(0x80 | (cp & 0x3f));
    } else {
      s += char(0xf0 | (cp >> 18)), s += char(0x80 | ((cp >> 12) & 0x3f));
      s += char(0x80 | ((cp >> 6) & 0x3f)), s += char(0x80 | (cp & 0x3f));
    }
  };
  for (int n = len(rng); n > 0; n--) {
    switch (kind(rng)) {
      case 0: put(std::uniform_int_distribution<uint32_t>(0, 0x7f)(rng)); break;
      case 1: put(std::uniform_int_distribution<uint32_t>(0x80, 0x7ff)(rng)); break;
      case 2: {
        uint32_t cp = std::uniform_int_distribution<uint32_t>(0x800, 0xfffd)(rng);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x4e2d;
        put(cp);
        break;
      }
      case 3: put(std::uniform_int_distribution<uint32_t>(0x10000, 0x10ffff)(rng)); break;
      default: put(uint32_t("\"\\/\b\f\n\r\t"[std::uniform_int_distribution<int>(0, 7)(rng)])); break;
    }
  }
  return s;
}

}  // namespace

TEST(Escape, JsonMatchesNlohmannOnValidUtf8) {
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; i++) {
    const std::string s = random_utf8(rng);
    ASSERT_EQ(json_string(s, {true, true}), nlohmann_dump(s, true)) << i;
    ASSERT_EQ(json_string(s, {false, true}), nlohmann_dump(s, false)) << i;
    ASSERT_EQ(json_string(s, {true, false}), nlohmann_dump(s, true)) << i;  // lenient agrees on valid input
  }
}

TEST(Escape, JsonMatchesPythonJsonDumps) {
  // json.dumps(s) (ensure_ascii) and json.dumps(s, ensure_ascii=False), from Python 3.11.
  EXPECT_EQ(json_string("a\"b\\c\x01\x1f\x7f"), R"("a\"b\\c\u0001\u001f\u007f")");
  EXPECT_EQ(json_string("a\"b\\c\x01\x1f\x7f", {false, true}), "\"a\\\"b\\\\c\\u0001\\u001f\x7f\"");
  EXPECT_EQ(json_string("\b\f\n\r\t/"), R"("\b\f\n\r\t/")");
  EXPECT_EQ(json_string("é中😀"), R"("\u00e9\u4e2d\ud83d\ude00")");
  EXPECT_EQ(json_string("é中😀", {false, true}), "\"é中😀\"");
  EXPECT_EQ(json_string(""), "\"\"");
}

TEST(Escape, StrictUtf8RejectsWhatIsNotUtf8) {
  for (const char* bad : {"\xff", "a\xc3", "\xc3(", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    std::string out;
    try {
      append_json_string(out, bad, {}, "tensor name 'x'");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor name 'x' is not valid UTF-8"), std::string::npos) << e.what();
    }
    // nlohmann, the oracle, refuses the same strings
    EXPECT_THROW(nlohmann_dump(bad, true), nlohmann::json::type_error) << bad;
  }
}

TEST(Escape, LenientUtf8TakesABadByteAsItsOwnCodePoint) {
  const JsonStringStyle ascii{true, false}, raw{false, false};
  EXPECT_EQ(json_string("a\xff"
                        "b",
                        ascii),
            R"("a\u00ffb")");
  EXPECT_EQ(json_string("\xc3(", ascii), R"("\u00c3(")");
  EXPECT_EQ(json_string("a\xff"
                        "b",
                        raw),
            "\"a\xff"
            "b\"");
  EXPECT_EQ(json_string("\xc3", ascii), R"("\u00c3")");  // a lead byte with nothing after it
}

TEST(Escape, HtmlEscapesMarkupsafesFiveCharacters) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&#34;x&#34;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain é 中 \n"), "plain é 中 \n");
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");  // not idempotent: text is escaped, never interpreted
}
