// JSON Schema -> grammar nodes (see schema.h for the keywords and choices).
#include "infer/grammar/schema.h"

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"

namespace seek::grammar {

namespace {
using ojson = nlohmann::ordered_json;

const std::set<std::string> kAnnotations = {"title",    "description", "$schema",  "$id",
                                            "$comment", "default",     "examples", "deprecated",
                                            "readOnly", "writeOnly",   "$defs",    "definitions"};
const std::set<std::string> kObjectWords = {"properties", "required", "additionalProperties"};
const std::set<std::string> kArrayWords = {"items", "prefixItems", "additionalItems", "minItems", "maxItems"};
const std::set<std::string> kStringWords = {"minLength", "maxLength", "pattern", "format"};
const std::set<std::string> kNumberWords = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
const std::vector<std::string> kTypes = {"object", "array", "string", "number", "integer", "boolean", "null"};

std::string at(const std::string& path) { return path.empty() ? "/" : path; }

// Scaled bounds. A bounded number's text D (at most 18 integer and F fraction digits) is valid when the double
// nearest to D (what a validator compares) satisfies the bound. As a scaled integer N = D * 10^F that is a
// threshold: the smallest N whose double is >= v (lower), or the largest whose double is <= v (upper), found by a
// binary search with strtod (correctly rounded) over a window around v * 10^F.
__int128 pow10i(int k) {
  __int128 r = 1;
  while (k-- > 0) r *= 10;
  return r;
}
double value_of(__int128 n, int F) {
  bool neg = n < 0;
  unsigned __int128 u = neg ? (unsigned __int128)(-n) : (unsigned __int128)n;
  std::string digits;
  do {
    digits.insert(digits.begin(), char('0' + int(u % 10)));
    u /= 10;
  } while (u);
  if (F > 0) {
    if (digits.size() <= size_t(F)) digits.insert(0, size_t(F) + 1 - digits.size(), '0');
    digits.insert(digits.size() - size_t(F), ".");
  }
  return std::strtod(((neg ? "-" : "") + digits).c_str(), nullptr);
}
__int128 scaled(double v, int F, bool lower) {
  const __int128 big = pow10i(19 + F);
  if (v >= 1e19) return big;
  if (v <= -1e19) return -big;
  const __int128 center = __int128(std::floor(v * double(pow10i(F))));
  const double ulp = std::nextafter(std::fabs(v), INFINITY) - std::fabs(v);
  const __int128 w = __int128(std::ceil(ulp * double(pow10i(F)))) * 4 + 4;  // covers the product's rounding
  __int128 lo = center - w, hi = center + w;
  // lower: smallest N with value >= v; upper: largest N with value <= v.
  if (lower) {
    while (lo < hi) {
      __int128 mid = lo + (hi - lo) / 2;
      if (value_of(mid, F) >= v)
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }
  while (lo < hi) {
    __int128 mid = lo + (hi - lo + 1) / 2;
    if (value_of(mid, F) <= v)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

class Compiler {
 public:
  Compiler(Grammar& g, const ojson& root) : g_(g), root_(root) {}

  uint32_t compile(const ojson& s, const std::string& path, int depth = 0) {
    if (depth > 64) throw Error("schema at " + at(path) + ": nested too deeply (over 64 levels)");
    if (s.is_boolean()) return s.get<bool>() ? g_.any_json() : g_.alt({});
    if (!s.is_object()) throw Error("schema at " + at(path) + ": expected an object or a boolean");
    check_keywords(s, path);
    if (s.contains("$ref")) return only(s, "$ref", path), ref(s["$ref"], path, depth);
    if (s.contains("allOf")) {
      only(s, "allOf", path);
      if (!s["allOf"].is_array() || s["allOf"].size() != 1)
        throw Error("schema at " + at(path) + ": allOf with more than one schema is not supported");
      return compile(s["allOf"][0], path + "/allOf/0", depth + 1);
    }
    for (const char* word : {"anyOf", "oneOf"})
      if (s.contains(word)) {
        only(s, word, path);
        const ojson& list = s[word];
        if (!list.is_array() || list.empty())
          throw Error("schema at " + at(path) + ": " + word + " must be a non-empty array");
        std::vector<uint32_t> kids;
        for (size_t i = 0; i < list.size(); i++)
          kids.push_back(compile(list[i], path + "/" + word + "/" + std::to_string(i), depth + 1));
        return g_.alt(std::move(kids));
      }
    std::vector<uint32_t> kids;
    for (const std::string& type : types(s, path)) kids.push_back(typed(s, type, path, depth));
    return kids.size() == 1 ? kids[0] : g_.alt(std::move(kids));
  }

 private:
  void check_keywords(const ojson& s, const std::string& path) const {
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      if (kAnnotations.count(k) || kObjectWords.count(k) || kArrayWords.count(k) || kStringWords.count(k) ||
          kNumberWords.count(k) || k == "type" || k == "enum" || k == "const" || k == "anyOf" || k == "oneOf" ||
          k == "allOf" || k == "$ref")
        continue;
      if (k == "uniqueItems" && it.value() == false) continue;
      throw Error("schema at " + at(path) + ": keyword '" + k + "' is not supported");
    }
  }

  // A combinator or $ref next to constraining keywords would be an intersection: refused.
  void only(const ojson& s, const std::string& word, const std::string& path) const {
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != word && !kAnnotations.count(it.key()))
        throw Error("schema at " + at(path) + ": '" + word + "' together with '" + it.key() + "' is not supported");
  }

  uint32_t ref(const ojson& r, const std::string& path, int depth) {
    if (!r.is_string() || r.get<std::string>().rfind('#', 0) != 0)
      throw Error("schema at " + at(path) + ": $ref must be a string starting with '#' (a pointer into this schema)");
    const std::string target = r.get<std::string>();
    auto found = refs_.find(target);
    if (found != refs_.end()) return found->second;
    const ojson* node;
    try {
      node = &root_.at(ojson::json_pointer(target.substr(1)));
    } catch (const std::exception&) {
      throw Error("schema at " + at(path) + ": $ref '" + target + "' points to nothing");
    }
    uint32_t id = g_.alt({});  // filled below; recursive references see this node
    refs_[target] = id;
    uint32_t body = compile(*node, target.substr(1), depth + 1);
    g_.nodes[id].kids = {body};
    return id;
  }

  std::vector<std::string> types(const ojson& s, const std::string& path) const {
    std::vector<std::string> out;
    if (s.contains("type")) {
      const ojson& t = s["type"];
      std::vector<ojson> list = t.is_array() ? std::vector<ojson>(t.begin(), t.end()) : std::vector<ojson>{t};
      for (const ojson& one : list) {
        if (!one.is_string() || std::find(kTypes.begin(), kTypes.end(), one.get<std::string>()) == kTypes.end())
          throw Error("schema at " + at(path) +
                      ": type must be one of object, array, string, number, integer, "
                      "boolean, null (or a list of them)");
        out.push_back(one.get<std::string>());
      }
      if (out.empty()) throw Error("schema at " + at(path) + ": type must not be an empty list");
      return out;
    }
    auto uses = [&](const std::set<std::string>& words) {
      for (const std::string& w : words)
        if (s.contains(w)) return true;
      return false;
    };
    if (uses(kObjectWords)) out.push_back("object");
    if (uses(kArrayWords)) out.push_back("array");
    if (uses(kStringWords)) out.push_back("string");
    if (uses(kNumberWords)) out.push_back("number");
    if (out.empty()) out = {"object", "array", "string", "number", "boolean", "null"};
    return out;
  }

  uint32_t typed(const ojson& s, const std::string& type, const std::string& path, int depth) {
    if (s.contains("enum") || s.contains("const")) return constants(s, type, path);
    if (type == "object") return object(s, path, depth);
    if (type == "array") return array(s, path, depth);
    if (type == "string") return string(s, path);
    if (type == "number" || type == "integer") return number(s, type == "integer", path);
    if (type == "boolean") return g_.alt({g_.lit("true"), g_.lit("false")});
    return g_.lit("null");
  }

  static bool of_type(const ojson& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "integer")
      return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    if (type == "boolean") return v.is_boolean();
    return v.is_null();
  }

  // enum / const: the values of this type, each as its compact JSON text.
  uint32_t constants(const ojson& s, const std::string& type, const std::string& path) {
    for (const auto* words : {&kObjectWords, &kArrayWords, &kStringWords, &kNumberWords})
      for (const std::string& w : *words)
        if (s.contains(w))
          throw Error("schema at " + at(path) + ": enum/const together with '" + w + "' is not supported");
    std::vector<ojson> values;
    if (s.contains("const")) values.push_back(s["const"]);
    if (s.contains("enum")) {
      if (!s["enum"].is_array()) throw Error("schema at " + at(path) + ": enum must be an array");
      for (const ojson& v : s["enum"])
        if (!s.contains("const") || v == s["const"]) values.push_back(v);
    }
    std::vector<uint32_t> kids;
    for (const ojson& v : values) {
      if (!of_type(v, type)) continue;
      try {
        kids.push_back(g_.lit(v.dump()));
      } catch (const nlohmann::json::exception&) {
        throw Error("schema at " + at(path) + ": enum/const value is not valid UTF-8");
      }
    }
    return g_.alt(std::move(kids));
  }

  uint32_t object(const ojson& s, const std::string& path, int depth) {
    Node n;
    n.kind = Kind::Obj;
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) throw Error("schema at " + at(path) + ": required must be an array of names");
      for (const ojson& r : s["required"]) {
        if (!r.is_string()) throw Error("schema at " + at(path) + ": required must be an array of names");
        required.insert(r.get<std::string>());
      }
    }
    uint32_t additional = g_.any_json();
    if (s.contains("additionalProperties"))
      additional = compile(s["additionalProperties"], path + "/additionalProperties", depth + 1);
    const bool closed = s.contains("additionalProperties") && s["additionalProperties"] == false;
    std::vector<std::string> names;
    if (s.contains("properties")) {
      if (!s["properties"].is_object()) throw Error("schema at " + at(path) + ": properties must be an object");
      for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
        names.push_back(it.key());
        uint32_t v = compile(it.value(), path + "/properties/" + it.key(), depth + 1);
        n.props.push_back(Prop{g_.lit(ojson(it.key()).dump()), v, required.count(it.key()) > 0});
      }
    }
    for (const std::string& r : required)  // required names not among the properties: other keys, required
      if (std::find(names.begin(), names.end(), r) == names.end()) {
        if (closed)
          throw Error("schema at " + at(path) + ": '" + r + "' is required but additionalProperties is false");
        names.push_back(r);
        n.props.push_back(Prop{g_.lit(ojson(r).dump()), additional, true});
      }
    if (!closed) {
      KeySet keys;
      keys.nodes.emplace_back().next.fill(kNone);
      for (const std::string& name : names) keys.add(name);
      g_.key_sets.push_back(std::move(keys));
      StrSpec spec;
      spec.exclude = int32_t(g_.key_sets.size() - 1);
      n.add_key = g_.str(spec);
      n.additional = additional;
    }
    return g_.add(std::move(n));
  }

  uint32_t count(const ojson& s, const char* word, const std::string& path) const {
    const ojson& v = s[word];
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      throw Error("schema at " + at(path) + ": " + word + " must be a non-negative integer");
    return uint32_t(std::min<int64_t>(v.get<int64_t>(), int64_t(kNone - 1)));
  }

  uint32_t array(const ojson& s, const std::string& path, int depth) {
    Node n;
    n.kind = Kind::Arr;
    n.item = g_.any_json();
    const ojson* prefix = s.contains("prefixItems") ? &s["prefixItems"] : nullptr;
    std::string prefix_word = "prefixItems", rest_word = "items";
    if (s.contains("items") && s["items"].is_array())
      prefix = &s["items"], prefix_word = "items", rest_word = "additionalItems";
    if (prefix) {
      if (!prefix->is_array()) throw Error("schema at " + at(path) + ": " + prefix_word + " must be an array");
      for (size_t i = 0; i < prefix->size(); i++)
        n.kids.push_back(compile((*prefix)[i], path + "/" + prefix_word + "/" + std::to_string(i), depth + 1));
    }
    if (s.contains(rest_word)) {
      n.item = s[rest_word] == false ? kNone : compile(s[rest_word], path + "/" + rest_word, depth + 1);
    }
    if (s.contains("minItems")) n.min_items = count(s, "minItems", path);
    if (s.contains("maxItems")) n.max_items = count(s, "maxItems", path);
    return g_.add(std::move(n));
  }

  uint32_t string(const ojson& s, const std::string& path) {
    StrSpec spec;
    if (s.contains("minLength")) spec.min_len = count(s, "minLength", path);
    if (s.contains("maxLength")) spec.max_len = count(s, "maxLength", path);
    std::string regex, what;
    if (s.contains("pattern") && s.contains("format"))
      throw Error("schema at " + at(path) + ": pattern together with format is not supported");
    if (s.contains("pattern")) {
      if (!s["pattern"].is_string()) throw Error("schema at " + at(path) + ": pattern must be a string");
      regex = s["pattern"].get<std::string>();
      what = "schema pattern at " + at(path);
    }
    if (s.contains("format")) {
      const std::string f = s["format"].is_string() ? s["format"].get<std::string>() : "";
      regex = format_regex(f);
      if (regex.empty()) throw Error("schema at " + at(path) + ": format '" + f + "' is not supported");
      what = "format '" + f + "' at " + at(path);
    }
    if (!regex.empty()) {
      if (s.contains("minLength") || s.contains("maxLength"))
        throw Error("schema at " + at(path) + ": minLength/maxLength together with pattern or format is not supported");
      g_.dfas.push_back(compile_regex(regex, what));
      spec.dfa = int32_t(g_.dfas.size() - 1);
    }
    return g_.str(spec);
  }

  uint32_t number(const ojson& s, bool integer, const std::string& path) {
    NumSpec spec;
    spec.integer = integer;
    for (const std::string& w : kNumberWords)
      if (s.contains(w)) {
        if (!s[w].is_number()) throw Error("schema at " + at(path) + ": " + w + " must be a number");
        spec.bounded = true;
      }
    if (!spec.bounded) return g_.num(spec);
    spec.frac_max = integer ? 0 : 15;
    const int F = spec.frac_max;
    spec.lo = -pow10i(19 + F);
    spec.hi = pow10i(19 + F);
    auto bound = [&](const char* w) { return s[w].get<double>(); };
    if (s.contains("minimum")) spec.lo = std::max(spec.lo, scaled(bound("minimum"), F, true));
    if (s.contains("exclusiveMinimum"))
      spec.lo = std::max(spec.lo, scaled(std::nextafter(bound("exclusiveMinimum"), INFINITY), F, true));
    if (s.contains("maximum")) spec.hi = std::min(spec.hi, scaled(bound("maximum"), F, false));
    if (s.contains("exclusiveMaximum"))
      spec.hi = std::min(spec.hi, scaled(std::nextafter(bound("exclusiveMaximum"), -INFINITY), F, false));
    return g_.num(spec);
  }

  Grammar& g_;
  const ojson& root_;
  std::map<std::string, uint32_t> refs_;
};
}  // namespace

uint32_t compile_schema(Grammar& g, const nlohmann::ordered_json& schema) {
  return Compiler(g, schema).compile(schema, "");
}

}  // namespace seek::grammar
