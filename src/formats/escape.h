// The one JSON string escaper and the one HTML escaper of the code base.
//
// JSON strings: '"' and '\\' escaped, \b \f \n \r \t by letter, other bytes below 0x20 as \u00XX (lowercase hex).
// With ascii = true (Python's json.dumps default, ensure_ascii) 0x7f and every code point above it are written as
// \uXXXX too, code points above U+FFFF as a surrogate pair; with ascii = false they are copied as they are.
// Invalid UTF-8 is, with strict_utf8, an Error naming `what` and the byte offset; without it, each byte that does
// not start a well-formed sequence counts as the code point of the same value (what a lenient decoder that reads
// one lead byte and its continuation bytes does: Jinja's tojson in our template engine).
//
// HTML text and attribute values: & < > " ' as &amp; &lt; &gt; &#34; &#39; (markupsafe's table, which Jinja's
// `escape` filter uses); every other byte unchanged.
#pragma once
#include <string>
#include <string_view>

namespace seek {

struct JsonStringStyle {
  bool ascii = true;
  bool strict_utf8 = true;
};

// Appends s as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s, const JsonStringStyle& style = {},
                        const std::string& what = "string");
std::string json_string(std::string_view s, const JsonStringStyle& style = {});

std::string html_escape(std::string_view s);

}  // namespace seek
