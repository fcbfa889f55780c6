// Loading a tokenizer from the reference's tokenizer.json (and BOS/EOS from tokenizer_config.json beside it).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_impl.h"
#include "text/tokenizer/tokenizer_json_sax.h"

namespace seek {

namespace {

using json = nlohmann::json;

// Field access that names the file and the JSON path of whatever is missing or mistyped.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw Error(origin_ + ": " + path + ": " + msg);
  }
  const json* member(const json& obj, const char* key) const {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }
  const json& need(const json& obj, const char* key, const std::string& path) const {
    const json* m = member(obj, key);
    if (!m) fail(path + "." + key, "missing");
    return *m;
  }
  std::string string(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, std::string("expected a string, found ") + v.type_name());
    return v.get<std::string>();
  }
  std::string need_string(const json& obj, const char* key, const std::string& path) const {
    return string(need(obj, key, path), path + "." + key);
  }
  bool opt_bool(const json& obj, const char* key, bool fallback, const std::string& path) const {
    const json* m = member(obj, key);
    if (!m) return fallback;
    if (!m->is_boolean()) fail(path + "." + key, std::string("expected true or false, found ") + m->type_name());
    return m->get<bool>();
  }
  int32_t id(const json& v, const std::string& path) const {
    if (!v.is_number_integer()) fail(path, std::string("expected a token id, found ") + v.type_name());
    int64_t x = v.get<int64_t>();
    if (x < 0 || x >= (int64_t(1) << 30)) fail(path, "token id " + std::to_string(x) + " is out of range");
    return int32_t(x);
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

std::string where(const Reader& r, const std::string& path) { return r.origin() + ": " + path; }

// The pattern of a Split step or Replace normalizer: {"Regex": "..."} or {"String": "..."}.
Regex read_pattern(const Reader& r, const json& obj, const std::string& path) {
  const json& p = r.need(obj, "pattern", path);
  std::string pp = path + ".pattern";
  if (const json* re = r.member(p, "Regex"))
    return Regex::compile(r.string(*re, pp + ".Regex"), where(r, pp + ".Regex"));
  if (const json* s = r.member(p, "String"))
    return Regex::literal(r.string(*s, pp + ".String"), where(r, pp + ".String"));
  r.fail(pp, "expected {\"Regex\": ...} or {\"String\": ...}");
}

constexpr int kMaxNesting = 32;  // Sequence inside Sequence ...: deeper is surely not a real file

void read_normalizer(const Reader& r, const json& j, const std::string& path, Normalizer& out, int depth = 0) {
  if (depth > kMaxNesting) r.fail(path, "nested too deep");
  std::string type = r.need_string(j, "type", path);
  Normalizer::Step st;
  if (type == "Sequence") {
    const json& list = r.need(j, "normalizers", path);
    if (!list.is_array()) r.fail(path + ".normalizers", "expected an array");
    for (size_t i = 0; i < list.size(); i++)
      read_normalizer(r, list[i], path + ".normalizers[" + std::to_string(i) + "]", out, depth + 1);
    return;
  }
  if (type == "NFC") {
    st.kind = Normalizer::Kind::NFC;
  } else if (type == "NFD") {
    st.kind = Normalizer::Kind::NFD;
  } else if (type == "Prepend") {
    st.kind = Normalizer::Kind::Prepend;
    st.text = r.need_string(j, "prepend", path);
  } else if (type == "Replace") {
    st.kind = Normalizer::Kind::Replace;
    st.pattern = read_pattern(r, j, path);
    st.text = r.need_string(j, "content", path);
  } else if (type == "Strip") {
    st.kind = Normalizer::Kind::Strip;
    st.left = r.opt_bool(j, "strip_left", false, path);
    st.right = r.opt_bool(j, "strip_right", false, path);
  } else {
    r.fail(path + ".type",
           "normalizer '" + type + "' is not supported (supported: NFC, NFD, Sequence, Prepend, Replace, Strip)");
  }
  out.add(std::move(st));
}

void read_pre_tokenizer(const Reader& r, const json& j, const std::string& path, PreTokenizer& out, int depth = 0) {
  if (depth > kMaxNesting) r.fail(path, "nested too deep");
  std::string type = r.need_string(j, "type", path);
  std::string w = where(r, path);
  if (type == "Sequence") {
    const json& list = r.need(j, "pretokenizers", path);
    if (!list.is_array()) r.fail(path + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < list.size(); i++)
      read_pre_tokenizer(r, list[i], path + ".pretokenizers[" + std::to_string(i) + "]", out, depth + 1);
  } else if (type == "Split") {
    Regex re = read_pattern(r, j, path);
    SplitBehavior b = split_behavior_from_name(r.need_string(j, "behavior", path), where(r, path + ".behavior"));
    out.add_split(std::move(re), b, r.opt_bool(j, "invert", false, path), w);
  } else if (type == "ByteLevel") {
    out.add_byte_level(r.opt_bool(j, "add_prefix_space", true, path), r.opt_bool(j, "use_regex", true, path), w);
  } else if (type == "Digits") {
    // Digits cut at every numeric character (Nd, Nl, No), singly or as runs.
    bool single = r.opt_bool(j, "individual_digits", false, path);
    out.add_split(Regex::compile(single ? "\\p{N}" : "\\p{N}+", w), SplitBehavior::Isolated, false, w);
  } else if (type == "Whitespace") {
    out.add_split(Regex::compile("\\w+|[^\\w\\s]+", w), SplitBehavior::Removed, true, w);
  } else if (type == "WhitespaceSplit") {
    out.add_split(Regex::compile("\\s+", w), SplitBehavior::Removed, false, w);
  } else {
    r.fail(path + ".type",
           "pre-tokenizer '" + type +
               "' is not supported (supported: Sequence, Split, ByteLevel, Digits, Whitespace, WhitespaceSplit)");
  }
}

void read_model(const Reader& r, const json& j, BigFields& big, TokenizerImpl& t) {
  const std::string path = "model";
  if (const json* type = r.member(j, "type")) {
    std::string ty = r.string(*type, "model.type");
    if (ty != "BPE") r.fail("model.type", "model '" + ty + "' is not supported (only BPE)");
  }
  if (!big.have_vocab) {
    r.need(j, "vocab", path);
    r.fail("model.vocab", "expected an object mapping token text to id");
  }
  Vocab vocab;
  vocab.reserve(big.vocab.size());
  for (auto& [text, id] : big.vocab) vocab.emplace(std::move(text), int32_t(id));
  big.vocab = {};
  t.bpe = BpeModel(std::move(vocab));
  if (const json* d = r.member(j, "dropout")) {
    if (!d->is_number() || d->get<double>() != 0.0) r.fail("model.dropout", "BPE dropout is not supported");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (const json* s = r.member(j, key); s && !r.string(*s, path + "." + key).empty())
      r.fail(path + "." + key, "a non-empty value is not supported");
  }
  if (const json* unk = r.member(j, "unk_token")) {
    std::string u = r.string(*unk, "model.unk_token");
    int32_t id = t.bpe.token_id(u);
    if (id < 0) r.fail("model.unk_token", "'" + u + "' is not in the vocabulary");
    t.bpe.set_unk(id, r.opt_bool(j, "fuse_unk", false, path));
  }
  t.bpe.set_byte_fallback(r.opt_bool(j, "byte_fallback", false, path));
  t.bpe.set_ignore_merges(r.opt_bool(j, "ignore_merges", false, path));
  if (!big.have_merges) {
    r.need(j, "merges", path);
    r.fail("model.merges", "expected an array");
  }
  t.bpe.reserve_merges(big.merges.size());
  std::string joined;
  for (size_t i = 0; i < big.merges.size(); i++) {
    std::string mp = "model.merges[" + std::to_string(i) + "]";
    const auto& [a, b] = big.merges[i];
    int32_t ia = t.bpe.token_id(a), ib = t.bpe.token_id(b);
    joined = a + b;
    int32_t im = t.bpe.token_id(joined);
    if (ia < 0) r.fail(mp, "token '" + a + "' is not in the vocabulary");
    if (ib < 0) r.fail(mp, "token '" + b + "' is not in the vocabulary");
    if (im < 0) r.fail(mp, "merged token '" + joined + "' is not in the vocabulary");
    t.bpe.add_merge(ia, ib, im);
  }
}

void read_added_tokens(const Reader& r, const json& j, TokenizerImpl& t) {
  if (!j.is_array()) r.fail("added_tokens", "expected an array");
  for (size_t i = 0; i < j.size(); i++) {
    std::string p = "added_tokens[" + std::to_string(i) + "]";
    const json& a = j[i];
    if (!a.is_object()) r.fail(p, "expected an object");
    AddedToken tok;
    tok.id = r.id(r.need(a, "id", p), p + ".id");
    tok.content = r.need_string(a, "content", p);
    tok.special = r.opt_bool(a, "special", false, p);
    tok.single_word = r.opt_bool(a, "single_word", false, p);
    tok.lstrip = r.opt_bool(a, "lstrip", false, p);
    tok.rstrip = r.opt_bool(a, "rstrip", false, p);
    tok.normalized = r.opt_bool(a, "normalized", !tok.special, p);
    t.added.push_back(std::move(tok));
  }
}

// "bos_token": "<s>" or {"content": "<s>", ...}
std::string config_token(const json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return c->get<std::string>();
  }
  return {};
}

void read_special_ids(const Reader& r, const json& root, std::string_view config_text, TokenizerImpl& t) {
  std::string bos, eos;
  bool have_add_bos = false;
  if (!config_text.empty()) {
    json cfg;
    try {
      cfg = json::parse(config_text);
    } catch (const json::exception& e) {
      throw Error(r.origin() + ": tokenizer_config.json beside it is not valid JSON: " + e.what());
    }
    if (cfg.is_object()) {
      bos = config_token(cfg, "bos_token");
      eos = config_token(cfg, "eos_token");
      auto ab = cfg.find("add_bos_token");
      if (ab != cfg.end() && ab->is_boolean()) {
        t.add_bos = ab->get<bool>();
        have_add_bos = true;
      }
    }
  }
  // A post-processor that puts a special token in front of every sequence means BOS.
  if (const json* pp = r.member(root, "post_processor")) {
    const json* single = r.member(*pp, "single");
    if (pp->value("type", "") == "TemplateProcessing" && single && single->is_array() && !single->empty()) {
      const json& first = (*single)[0];
      if (first.is_object() && first.contains("SpecialToken")) {
        const json& st = first["SpecialToken"];
        if (st.is_object() && st.contains("id") && st["id"].is_string()) {
          if (bos.empty()) bos = st["id"].get<std::string>();
          if (!have_add_bos) t.add_bos = true;
        }
      }
    }
  }
  // Without a config, recognise the usual spellings among the special tokens (an ordinary vocabulary entry that
  // happens to read "<s>" is not a BOS token).
  auto first_known = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* n : names) {
      int32_t id = t.token_id(n);
      if (id >= 0 && size_t(id) < t.id_flags.size() && (t.id_flags[size_t(id)] & TokenizerImpl::kSpecial)) return n;
    }
    return {};
  };
  if (bos.empty()) bos = first_known({"<｜begin▁of▁sentence｜>", "<|begin_of_text|>", "<s>"});
  if (eos.empty()) eos = first_known({"<｜end▁of▁sentence｜>", "<|endoftext|>", "<|end_of_text|>", "</s>"});
  t.bos = bos.empty() ? -1 : t.token_id(bos);
  t.eos = eos.empty() ? -1 : t.token_id(eos);
}

}  // namespace

Tokenizer Tokenizer::from_json_string(std::string_view text, const std::string& origin, std::string_view config_json) {
  Reader r(origin);
  json root;
  BigFields big;
  try {
    TokenizerSax sax(root, big, origin);
    json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const json::exception& e) {
    throw Error(origin + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw Error(origin + ": expected a JSON object at the top level");
  auto impl = std::make_shared<TokenizerImpl>();
  impl->origin = origin;
  try {
    read_model(r, r.need(root, "model", "(root)"), big, *impl);
    if (const json* a = r.member(root, "added_tokens")) read_added_tokens(r, *a, *impl);
    if (const json* n = r.member(root, "normalizer")) read_normalizer(r, *n, "normalizer", impl->normalizer);
    if (const json* p = r.member(root, "pre_tokenizer")) read_pre_tokenizer(r, *p, "pre_tokenizer", impl->pre);
    impl->bpe.set_byte_level(impl->pre.byte_level());
    impl->byte_level_decoder = false;
    if (const json* d = r.member(root, "decoder")) {
      std::string type = r.need_string(*d, "type", "decoder");
      if (type != "ByteLevel") r.fail("decoder.type", "decoder '" + type + "' is not supported (only ByteLevel)");
      impl->byte_level_decoder = true;
    }
    impl->finalize();
    read_special_ids(r, root, config_json, *impl);
  } catch (const json::exception& e) {
    throw Error(origin + ": unexpected JSON content: " + e.what());
  }
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_json_file(const std::string& path) {
  auto file = MappedFile::open(path);
  std::string_view text(reinterpret_cast<const char*>(file->data()), file->size());
  std::string config;
  std::filesystem::path cfg = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::error_code ec;
  if (std::filesystem::is_regular_file(cfg, ec)) config = read_text_file(cfg.string());
  return from_json_string(text, path, config);
}

}  // namespace seek
