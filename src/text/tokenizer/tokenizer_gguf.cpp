// Loading a tokenizer from the tokenizer.ggml.* keys of a GGUF file (byte-level BPE vocabularies, model "gpt2").
// The pre-tokenizer is named by tokenizer.ggml.pre; each name stands for the sequence of isolating regex splits
// GGUF consumers use for it (the regexes of the original tokenizer.json files).
#include "core/error.h"
#include "formats/gguf.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_gguf_write.h"
#include "text/tokenizer/tokenizer_impl.h"

namespace seek {

namespace {

// Token types of tokenizer.ggml.token_type.
constexpr int64_t kTypeNormal = 1, kTypeUnknown = 2, kTypeControl = 3, kTypeUserDefined = 4;

struct PreSpec {
  std::vector<const char*> names;
  std::vector<const char*> regexes;
  bool nfc;  // the original tokenizer.json also normalizes to NFC
};

const std::vector<PreSpec>& pre_specs() {
  static const std::vector<PreSpec> specs = {
      {{"deepseek-llm"},
       {"[\r\n]",
        "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}"
        "\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}"
        "\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}"
        "\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}"
        "\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}"
        "\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}"
        "\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
        "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
        "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
        "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
        "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
        "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
        "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
        "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
        "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
        "\\x{1E900}-\\x{1E943}]+",
        "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$",
        "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", "\\p{N}+"},
       false},
      {{"deepseek-coder"},
       {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
        "\\p{N}"},
       false},
      {{"deepseek-v3"},
       {"\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| "
        "?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
       false},
      {{"qwen2", "deepseek-r1-qwen"},
       {"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
        "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
       true},
      {{"gpt-2", "gpt2"}, {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"}, false},
  };
  return specs;
}

const PreSpec& find_pre(const GgufFile& g, const std::string& pre) {
  std::string known;
  for (const PreSpec& s : pre_specs()) {
    for (const char* n : s.names) {
      if (pre == n) return s;
      known += known.empty() ? "" : ", ";
      known += n;
    }
  }
  throw Error(g.path() + ": tokenizer.ggml.pre '" + pre + "' is not supported (supported: " + known + ")");
}

const PreSpec& find_pre_by_name(const std::string& name) {
  for (const PreSpec& s : pre_specs())
    for (const char* n : s.names)
      if (name == n) return s;
  throw Error("no pre-tokenizer named " + name);
}

}  // namespace

std::string gguf_pre_name(const std::vector<std::string>& regexes) {
  // tokenizer.json spellings of a set that differ from the GGUF consumers' (the same language in other syntax:
  // a case-insensitive group, literal CJK characters instead of escapes); "" stands for the set's own regex.
  static const std::vector<std::pair<const char*, std::vector<const char*>>> aliases = {
      {"qwen2",
       {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
        "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
      {"deepseek-v3", {"", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+", ""}},
  };
  for (const auto& [name, alias] : aliases) {
    const PreSpec& spec = find_pre_by_name(name);
    bool same = regexes.size() == alias.size();
    for (size_t i = 0; i < alias.size() && same; i++) same = regexes[i] == (*alias[i] ? alias[i] : spec.regexes[i]);
    if (same) return name;
  }
  for (const PreSpec& s : pre_specs()) {
    if (s.regexes.size() != regexes.size()) continue;
    bool same = true;
    for (size_t i = 0; i < regexes.size() && same; i++) same = regexes[i] == s.regexes[i];
    if (same) return s.names[0];
  }
  return "";
}

Tokenizer Tokenizer::from_gguf(const GgufFile& g) {
  auto impl = std::make_shared<TokenizerImpl>();
  impl->origin = g.path();
  const std::string model = g.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw Error(g.path() + ": tokenizer.ggml.model '" + model + "' is not supported (only \"gpt2\", byte-level BPE)");

  std::vector<std::string_view> tokens = g.get_strings("tokenizer.ggml.tokens");
  if (tokens.empty()) throw Error(g.path() + ": tokenizer.ggml.tokens is empty");
  if (tokens.size() > (size_t(1) << 30)) throw Error(g.path() + ": tokenizer.ggml.tokens is impossibly long");
  std::vector<int64_t> types(tokens.size(), kTypeNormal);
  if (g.has("tokenizer.ggml.token_type")) {
    types = g.get_ints("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      throw Error(g.path() + ": tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                  " entries, tokenizer.ggml.tokens has " + std::to_string(tokens.size()));
  }

  // Control tokens are special added tokens; user-defined ones are added tokens matched in any text.
  Vocab vocab;
  vocab.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); i++) {
    int32_t id = int32_t(i);
    vocab.insert_or_assign(std::string(tokens[i]), id);  // a repeated text maps to its last id
    if (types[i] == kTypeControl || types[i] == kTypeUserDefined || types[i] == kTypeUnknown) {
      AddedToken t;
      t.id = id;
      t.content = std::string(tokens[i]);
      t.special = types[i] != kTypeUserDefined;
      impl->added.push_back(std::move(t));
    }
  }
  impl->bpe = BpeModel(std::move(vocab));

  std::vector<std::string_view> merges = g.get_strings("tokenizer.ggml.merges");
  impl->bpe.reserve_merges(merges.size());
  std::string joined;
  for (size_t i = 0; i < merges.size(); i++) {
    std::string_view m = merges[i];
    std::string at = g.path() + ": tokenizer.ggml.merges[" + std::to_string(i) + "]";
    // The split is at the first space after the first byte: a merge's left part is never empty.
    size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (sp == std::string_view::npos) throw Error(at + ": expected \"left right\", found \"" + std::string(m) + "\"");
    std::string_view a = m.substr(0, sp), b = m.substr(sp + 1);
    joined.assign(a);
    joined.append(b);
    int32_t ia = impl->bpe.token_id(a), ib = impl->bpe.token_id(b), im = impl->bpe.token_id(joined);
    if (ia < 0 || ib < 0 || im < 0)
      throw Error(at + ": '" +
                  std::string(ia < 0   ? a
                              : ib < 0 ? b
                                       : std::string_view(joined)) +
                  "' is not in tokenizer.ggml.tokens");
    impl->bpe.add_merge(ia, ib, im);
  }

  const PreSpec& spec = find_pre(g, g.has("tokenizer.ggml.pre") ? g.get_string("tokenizer.ggml.pre") : "gpt-2");
  for (size_t i = 0; i < spec.regexes.size(); i++) {
    std::string w = g.path() + ": pre-tokenizer regex " + std::to_string(i);
    impl->pre.add_split(Regex::compile(spec.regexes[i], w), SplitBehavior::Isolated, false, w);
  }
  impl->pre.add_byte_level(false, false, g.path());
  if (spec.nfc) impl->normalizer.add(Normalizer::Step{});  // Step{} is NFC
  impl->bpe.set_byte_level(true);
  impl->byte_level_decoder = true;

  auto id_key = [&](const char* key) -> int32_t {
    int64_t v = g.get_int(key, -1);
    return v >= 0 && v < int64_t(tokens.size()) ? int32_t(v) : -1;
  };
  impl->bos = id_key("tokenizer.ggml.bos_token_id");
  impl->eos = id_key("tokenizer.ggml.eos_token_id");
  impl->add_bos = g.get_bool("tokenizer.ggml.add_bos_token", false);
  impl->finalize();
  return Tokenizer(std::move(impl));
}

}  // namespace seek
