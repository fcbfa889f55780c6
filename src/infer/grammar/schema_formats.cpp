// String formats as regular expressions, each accepting a subset of what ajv-formats' full mode accepts (so an
// output always validates), written without lookaround so regex.h can compile them.
#include <map>

#include "infer/grammar/schema.h"

namespace seek::grammar {

namespace {
// Days that exist in every year (no February 29).
const std::string kDate =
    R"(\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31))";
// A time zone is required (ajv-formats' strict time zones); no leap seconds.
const std::string kTime = R"((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:[zZ]|[+-](?:[01]\d|2[0-3]):[0-5]\d))";
const std::string kHex = "[0-9a-fA-F]";
const std::string kOctet = R"((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))";
const std::string kLabel = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";
const std::string kDurDate = R"((?:\d+Y(?:\d+M)?(?:\d+D)?|\d+M(?:\d+D)?|\d+D))";
const std::string kDurTime = R"(T(?:\d+H(?:\d+M)?(?:\d+S)?|\d+M(?:\d+S)?|\d+S))";

std::string ipv6() {
  // ajv-formats' expression with its /i flag spelled out.
  std::string h4 = kHex + "{1,4}", v4 = kOctet + R"((?:\.)" + kOctet + "){3}";
  std::string r = "^(?:";
  r += "(?:" + h4 + ":){7}(?:" + h4 + "|:)";
  r += "|(?:" + h4 + ":){6}(?::" + h4 + "|" + v4 + "|:)";
  r += "|(?:" + h4 + ":){5}(?:(?::" + h4 + "){1,2}|:" + v4 + "|:)";
  r += "|(?:" + h4 + ":){4}(?:(?::" + h4 + "){1,3}|(?::" + h4 + ")?:" + v4 + "|:)";
  r += "|(?:" + h4 + ":){3}(?:(?::" + h4 + "){1,4}|(?::" + h4 + "){0,2}:" + v4 + "|:)";
  r += "|(?:" + h4 + ":){2}(?:(?::" + h4 + "){1,5}|(?::" + h4 + "){0,3}:" + v4 + "|:)";
  r += "|(?:" + h4 + ":){1}(?:(?::" + h4 + "){1,6}|(?::" + h4 + "){0,4}:" + v4 + "|:)";
  r += "|:(?:(?::" + h4 + "){1,7}|(?::" + h4 + "){0,5}:" + v4 + "|:)";
  return r + ")$";
}
}  // namespace

std::string format_regex(const std::string& format) {
  static const std::map<std::string, std::string> kFormats = {
      {"date", "^" + kDate + "$"},
      {"time", "^" + kTime + "$"},
      {"date-time", "^" + kDate + "[tT]" + kTime + "$"},
      {"uuid", "^" + kHex + "{8}-(?:" + kHex + "{4}-){3}" + kHex + "{12}$"},
      {"ipv4", "^(?:" + kOctet + R"(\.){3})" + kOctet + "$"},
      {"ipv6", ipv6()},
      {"email",
       R"(^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$)"},
      {"hostname", "^" + kLabel + R"((?:\.)" + kLabel + R"(){0,2}\.?$)"},
      {"duration", "^P(?:" + kDurDate + "(?:" + kDurTime + ")?|" + kDurTime + R"(|\d+W)$)"},
  };
  auto it = kFormats.find(format);
  return it == kFormats.end() ? std::string() : it->second;
}

}  // namespace seek::grammar
