#include "formats/escape.h"

#include <cstdint>

#include "core/error.h"

namespace seek {

namespace {

void append_u4(std::string& out, uint32_t c) {
  static const char* hex = "0123456789abcdef";
  out += "\\u";
  for (int sh = 12; sh >= 0; sh -= 4) out += hex[(c >> sh) & 15];
}

// Decodes the sequence at s[i] and advances i past it. Returns false (i unchanged) for a malformed sequence; strict
// also rejects overlong forms, surrogates and code points above U+10FFFF, which the lenient reading accepts.
bool decode_utf8(std::string_view s, size_t& i, uint32_t& cp, bool strict) {
  const auto b = static_cast<unsigned char>(s[i]);
  const int extra = b >= 0xc0 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf8 ? 3 : 0;
  if (extra == 0 || i + size_t(extra) >= s.size()) return false;
  cp = extra == 1 ? b & 0x1fu : extra == 2 ? b & 0x0fu : b & 0x07u;
  for (int k = 1; k <= extra; k++) {
    const auto c = static_cast<unsigned char>(s[i + size_t(k)]);
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3fu);
  }
  static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
  if (strict && (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return false;
  i += size_t(extra) + 1;
  return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, const JsonStringStyle& style, const std::string& what) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      i++;
      switch (b) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (b < 0x20 || (b == 0x7f && style.ascii))
            append_u4(out, b);
          else
            out += char(b);
      }
      continue;
    }
    const size_t start = i;
    uint32_t cp = 0;
    if (!decode_utf8(s, i, cp, style.strict_utf8)) {
      if (style.strict_utf8) throw Error(what + " is not valid UTF-8 (byte " + std::to_string(i) + ")");
      cp = b;  // a lone byte stands for itself
      i++;
    }
    if (!style.ascii) {
      out.append(s.substr(start, i - start));
    } else if (cp > 0xffff) {
      append_u4(out, 0xd800 + ((cp - 0x10000) >> 10));
      append_u4(out, 0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      append_u4(out, cp);
    }
  }
  out += '"';
}

std::string json_string(std::string_view s, const JsonStringStyle& style) {
  std::string out;
  append_json_string(out, s, style);
  return out;
}

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&#34;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace seek
