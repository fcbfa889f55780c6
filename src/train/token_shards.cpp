#include "train/token_shards.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

namespace fs = std::filesystem;

TokenDtype token_dtype_for_vocab(int64_t vocab_size) { return vocab_size <= 65536 ? TokenDtype::u16 : TokenDtype::u32; }
const char* token_dtype_name(TokenDtype d) { return d == TokenDtype::u16 ? "uint16" : "uint32"; }
size_t token_dtype_bytes(TokenDtype d) { return d == TokenDtype::u16 ? 2 : 4; }

std::string fnv1a64_hex(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// ---------------------------------------------------------------- documents

namespace {

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Whether the character ending just before `i` / starting at `i` is a non-space character (false for ill-formed
// UTF-8, so no cut is made there).
bool non_space_before(std::string_view s, size_t i) {
  if (i == 0) return false;
  size_t b = i - 1;
  for (int k = 0; k < 3 && b > 0 && (uint8_t(s[b]) & 0xC0) == 0x80; k++) b--;
  size_t bad = 0;
  size_t len = utf8::sequence_length(s, b, &bad, nullptr);
  if (len == 0 || b + len != i) return false;
  char32_t c;
  utf8::decode_valid(s, b, c);
  return !utf8::is_white_space(c);
}
bool non_space_at(std::string_view s, size_t i) {
  if (i >= s.size()) return false;
  size_t bad = 0;
  if (utf8::sequence_length(s, i, &bad, nullptr) == 0) return false;
  char32_t c;
  utf8::decode_valid(s, i, c);
  return !utf8::is_white_space(c);
}

}  // namespace

DocumentReader::DocumentReader(const std::string& path, size_t piece_bytes) : path_(path), piece_bytes_(piece_bytes) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file");
  file_ = MappedFile::open(path);
  jsonl_ = ends_with(path, ".jsonl") || ends_with(path, ".JSONL");
}

DocumentReader::~DocumentReader() = default;

int64_t DocumentReader::size_bytes() const { return int64_t(file_->size()); }

bool DocumentReader::next(DocumentPiece& piece) {
  const std::string_view all(reinterpret_cast<const char*>(file_->data()), file_->size());
  if (jsonl_) {
    while (pos_ < all.size()) {
      size_t eol = all.find('\n', pos_);
      if (eol == std::string_view::npos) eol = all.size();
      std::string_view line = all.substr(pos_, eol - pos_);
      pos_ = std::min(all.size(), eol + 1);
      line_++;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const std::string where = path_ + " line " + std::to_string(line_);
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": not valid JSON: " + e.what());
      }
      if (!j.is_object()) throw Error(where + ": expected a JSON object with a \"text\" field");
      auto it = j.find("text");
      if (it == j.end()) throw Error(where + ": no \"text\" field");
      if (!it->is_string()) throw Error(where + ": \"text\" is not a string");
      std::string text = it->get<std::string>();
      if (text.empty()) continue;
      piece.storage = std::move(text);
      piece.view = {};
      piece.first = piece.last = true;
      return true;
    }
    return false;
  }
  if (pos_ >= all.size()) return false;
  const size_t start = pos_;
  size_t end = all.size();
  if (piece_bytes_ > 0 && all.size() - start > piece_bytes_) {
    for (size_t at = start + piece_bytes_;;) {
      size_t nl = all.find('\n', at);
      if (nl == std::string_view::npos) break;
      if (non_space_before(all, nl) && non_space_at(all, nl + 1)) {
        end = nl + 1;
        break;
      }
      at = nl + 1;
    }
  }
  pos_ = end;
  piece.storage.clear();
  piece.view = all.substr(start, end - start);
  piece.first = start == 0;
  piece.last = end == all.size();
  return true;
}

bool pieces_encode_like_whole(const Tokenizer& tok) {
  static const char* const probes[] = {"Hello\nWorld", "end.\nNext one", "12\n345", "x;\n\"y\"",
                                       "λ\n日本語",    "a\n<b>",         "ok!\n!ok"};
  for (const char* p : probes) {
    std::string_view s(p);
    size_t cut = s.find('\n') + 1;
    std::vector<int32_t> parts = tok.encode(s.substr(0, cut));
    tok.encode_append(s.substr(cut), false, parts);
    if (parts != tok.encode(s)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- index

std::string token_shards_index_json(const TokenShardsIndex& x) {
  using ojson = nlohmann::ordered_json;
  auto split = [](const SplitInfo& s) {
    ojson shards = ojson::array();
    for (const ShardInfo& sh : s.shards) shards.push_back({{"file", sh.file}, {"tokens", sh.tokens}});
    return ojson{{"shards", shards}, {"tokens", s.tokens}, {"documents", s.documents}};
  };
  ojson j = {{"format", kTokenShardsFormat},
             {"version", kTokenShardsVersion},
             {"dtype", token_dtype_name(x.dtype)},
             {"vocab_size", x.vocab_size},
             {"eos_id", x.eos_id}};
  j["bos_id"] = x.bos_id >= 0 ? ojson(x.bos_id) : ojson(nullptr);
  j["tokenizer"] = "tokenizer.json";
  j["tokenizer_fnv1a64"] = x.tokenizer_hash;
  for (const auto& [k, v] : x.provenance.items()) j[k] = v;
  j["splits"] = {{"train", split(x.train)}, {"val", split(x.val)}};
  return j.dump(2) + "\n";
}

TokenShardsIndex read_token_shards_index(const std::string& dir) {
  using json = nlohmann::ordered_json;  // keeps the provenance fields in file order
  const std::string path = (fs::path(dir) / "index.json").string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file (is " + dir + " a token shard folder?)");
  json j;
  try {
    j = json::parse(read_text_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  auto fail = [&](const std::string& field, const std::string& msg) -> Error {
    return Error(path + ": " + field + ": " + msg);
  };
  if (!j.is_object()) throw Error(path + ": expected a JSON object");
  auto need = [&](const json& obj, const std::string& key, const std::string& field) -> const json& {
    auto it = obj.find(key);
    if (it == obj.end()) throw fail(field, "missing");
    return *it;
  };
  auto integer = [&](const json& v, const std::string& field, int64_t lo, int64_t hi) {
    if (!v.is_number_integer()) throw fail(field, std::string("expected an integer, found ") + v.type_name());
    int64_t x = v.get<int64_t>();
    if (x < lo || x > hi)
      throw fail(field,
                 std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return x;
  };
  const json& fmt = need(j, "format", "format");
  if (fmt != kTokenShardsFormat) throw fail("format", std::string("expected \"") + kTokenShardsFormat + "\"");
  int64_t version = integer(need(j, "version", "version"), "version", 1, 1 << 30);
  if (version != kTokenShardsVersion)
    throw fail("version", std::to_string(version) + " is not a version this seek reads (" +
                              std::to_string(kTokenShardsVersion) + ")");
  TokenShardsIndex x;
  const json& dt = need(j, "dtype", "dtype");
  if (dt == "uint16") {
    x.dtype = TokenDtype::u16;
  } else if (dt == "uint32") {
    x.dtype = TokenDtype::u32;
  } else {
    throw fail("dtype", "expected \"uint16\" or \"uint32\", found " + dt.dump());
  }
  x.vocab_size = integer(need(j, "vocab_size", "vocab_size"), "vocab_size", 1,
                         x.dtype == TokenDtype::u16 ? 65536 : (int64_t(1) << 31) - 1);
  x.eos_id = int32_t(integer(need(j, "eos_id", "eos_id"), "eos_id", 0, x.vocab_size - 1));
  if (auto it = j.find("bos_id"); it != j.end() && !it->is_null())
    x.bos_id = int32_t(integer(*it, "bos_id", 0, x.vocab_size - 1));
  if (auto it = j.find("tokenizer_fnv1a64"); it != j.end() && it->is_string())
    x.tokenizer_hash = it->get<std::string>();
  const json& splits = need(j, "splits", "splits");
  if (!splits.is_object()) throw fail("splits", "expected an object with \"train\" and \"val\"");
  for (const char* name : {"train", "val"}) {
    const std::string f = std::string("splits.") + name;
    const json& s = need(splits, name, f);
    if (!s.is_object()) throw fail(f, "expected an object");
    SplitInfo& out = std::string(name) == "train" ? x.train : x.val;
    const json& shards = need(s, "shards", f + ".shards");
    if (!shards.is_array()) throw fail(f + ".shards", "expected an array");
    int64_t sum = 0;
    for (size_t i = 0; i < shards.size(); i++) {
      const std::string sf = f + ".shards[" + std::to_string(i) + "]";
      const json& sh = shards[i];
      if (!sh.is_object()) throw fail(sf, "expected an object with \"file\" and \"tokens\"");
      const json& file = need(sh, "file", sf + ".file");
      if (!file.is_string()) throw fail(sf + ".file", "expected a file name");
      std::string name_s = file.get<std::string>();
      if (name_s.empty() || name_s.find('/') != std::string::npos || name_s == "." || name_s == "..")
        throw fail(sf + ".file", "'" + name_s + "' is not a file name inside the folder");
      int64_t t = integer(need(sh, "tokens", sf + ".tokens"), sf + ".tokens", 0, int64_t(1) << 50);
      sum += t;
      out.shards.push_back({name_s, t});
    }
    out.tokens = integer(need(s, "tokens", f + ".tokens"), f + ".tokens", 0, int64_t(1) << 60);
    if (out.tokens != sum)
      throw fail(f + ".tokens",
                 std::to_string(out.tokens) + " is not the sum of the shards' tokens (" + std::to_string(sum) + ")");
    out.documents = integer(need(s, "documents", f + ".documents"), f + ".documents", 0, int64_t(1) << 60);
  }
  static const std::unordered_set<std::string> known = {"format", "version", "dtype",     "vocab_size",       "eos_id",
                                                        "bos_id", "splits",  "tokenizer", "tokenizer_fnv1a64"};
  for (const auto& [k, v] : j.items())
    if (!known.count(k)) x.provenance[k] = v;
  return x;
}

// ---------------------------------------------------------------- shard writer

TokenShardWriter::TokenShardWriter(std::string dir, std::string split, TokenDtype dtype, int64_t shard_tokens)
    : dir_(std::move(dir)), split_(std::move(split)), dtype_(dtype), shard_tokens_(shard_tokens) {
  check(shard_tokens_ >= 1, "tokens per shard must be at least 1");
}

TokenShardWriter::~TokenShardWriter() {
  if (f_) {
    std::fclose(f_);
    std::remove(tmp_path_.c_str());
  }
}

void TokenShardWriter::open_shard() {
  char name[64];
  std::snprintf(name, sizeof(name), "-%05zu.bin", shards_.size());
  tmp_path_ = (fs::path(dir_) / (split_ + name)).string() + ".tmp";
  f_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!f_) throw Error(tmp_path_ + ": cannot create: " + std::strerror(errno));
}

void TokenShardWriter::flush_buffer() {
  if (buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
    throw Error(tmp_path_ + ": write failed: " + std::strerror(errno));
  buf_.clear();
}

void TokenShardWriter::close_shard() {
  flush_buffer();
  bool ok = std::fflush(f_) == 0;
  ok = (fsync(fileno(f_)) == 0) && ok;
  ok = (std::fclose(f_) == 0) && ok;
  f_ = nullptr;
  std::string final_path = tmp_path_.substr(0, tmp_path_.size() - 4);
  if (!ok || std::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    std::remove(tmp_path_.c_str());
    throw Error(final_path + ": write failed: " + std::strerror(errno));
  }
  shards_.push_back({fs::path(final_path).filename().string(), in_shard_});
  in_shard_ = 0;
}

void TokenShardWriter::append(const int32_t* ids, size_t n) {
  const bool u16 = dtype_ == TokenDtype::u16;
  const int64_t limit = u16 ? 65536 : (int64_t(1) << 32);
  for (size_t i = 0; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || id >= limit)
      throw Error(split_ + " shard: token id " + std::to_string(id) + " does not fit " + token_dtype_name(dtype_));
    if (!f_) open_shard();
    // Little-endian on every host.
    uint32_t v = uint32_t(id);
    buf_.push_back(uint8_t(v));
    buf_.push_back(uint8_t(v >> 8));
    if (!u16) {
      buf_.push_back(uint8_t(v >> 16));
      buf_.push_back(uint8_t(v >> 24));
    }
    in_shard_++, total_++;
    if (in_shard_ == shard_tokens_) {
      close_shard();
    } else if (buf_.size() >= (size_t(1) << 20)) {
      flush_buffer();
    }
  }
}

std::vector<ShardInfo> TokenShardWriter::finish() {
  if (f_) close_shard();
  return shards_;
}

// ---------------------------------------------------------------- text -> shards

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// Uniform in [0, n) (multiply-high; the bias is below 2^-40 for the sizes here, and the result is the same on every
// platform, which std::uniform_int_distribution does not promise).
uint64_t uniform_below(uint64_t& state, uint64_t n) {
  return uint64_t((static_cast<unsigned __int128>(splitmix64(state)) * n) >> 64);
}

// k of n documents for validation, by Floyd's sampling: every k-subset equally likely, O(k) random draws.
std::vector<bool> choose_val_documents(int64_t n, int64_t k, uint64_t seed) {
  std::vector<bool> chosen(size_t(n), false);
  uint64_t state = seed;
  for (int64_t j = n - k; j < n; j++) {
    uint64_t t = uniform_below(state, uint64_t(j) + 1);
    if (chosen[t]) {
      chosen[size_t(j)] = true;
    } else {
      chosen[t] = true;
    }
  }
  return chosen;
}

std::string resolve_tokenizer_json(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    fs::path j = fs::path(path) / "tokenizer.json";
    if (!fs::exists(j, ec)) throw Error(path + ": folder has no tokenizer.json");
    return j.string();
  }
  if (!fs::exists(path, ec)) throw Error(path + ": no such file or folder");
  if (ends_with(path, ".gguf"))
    throw Error(path + ": token shards need a tokenizer.json (it is copied beside the shards), not a .gguf file");
  return path;
}

bool is_shard_name(const std::string& n) {
  auto digits_bin = [&](size_t at) {
    if (n.size() < at + 9) return false;
    for (size_t i = at; i < at + 5; i++)
      if (n[i] < '0' || n[i] > '9') return false;
    std::string rest = n.substr(at + 5);
    return rest == ".bin" || rest == ".bin.tmp";
  };
  return (n.rfind("train-", 0) == 0 && digits_bin(6)) || (n.rfind("val-", 0) == 0 && digits_bin(4));
}

void copy_beside(const std::string& src, const fs::path& dst, const std::string& bytes) {
  std::error_code ec;
  if (fs::exists(dst, ec) && fs::equivalent(src, dst, ec)) return;
  write_file_atomic(dst.string(), bytes.data(), bytes.size());
}

}  // namespace

TokenShardsIndex write_token_shards(const std::string& tokenizer_path, const TokenShardsOptions& o) {
  if (!(o.val_fraction >= 0.0 && o.val_fraction < 1.0))
    throw Error("val fraction " + nlohmann::json(o.val_fraction).dump() + " is outside [0, 1)");
  if (o.shard_tokens < 1) throw Error("tokens per shard must be at least 1");
  if (o.inputs.empty()) throw Error("no input files");
  if (o.out_dir.empty()) throw Error("no output folder");

  const std::string tok_json = resolve_tokenizer_json(tokenizer_path);
  const Tokenizer tok = Tokenizer::from_json_file(tok_json);
  if (tok.eos_id() < 0)
    throw Error(tok_json +
                ": the tokenizer has no EOS token (eos_token in tokenizer_config.json), which every "
                "document is followed by");
  const std::string tok_bytes = read_text_file(tok_json);
  const fs::path cfg_src = fs::path(tok_json).parent_path() / "tokenizer_config.json";
  std::error_code ec;
  const bool have_cfg = fs::is_regular_file(cfg_src, ec);

  // Pass 1: count documents (and check every JSONL line) before any work is done.
  int64_t n_docs = 0, total_bytes = 0;
  for (const std::string& in : o.inputs) {
    DocumentReader r(in, 0);
    total_bytes += r.size_bytes();
    if (!r.jsonl()) {
      n_docs += r.size_bytes() > 0 ? 1 : 0;
      continue;
    }
    DocumentPiece p;
    while (r.next(p)) n_docs++;
  }
  if (n_docs == 0) throw Error("no documents in the inputs (empty files, or JSONL lines without text)");

  TokenShardsIndex index;
  index.vocab_size = tok.vocab_size();
  index.dtype = token_dtype_for_vocab(index.vocab_size);
  index.eos_id = tok.eos_id();
  index.bos_id = tok.bos_id();
  index.tokenizer_hash = fnv1a64_hex(tok_bytes);

  const bool by_documents = n_docs >= kWholeDocumentSplitMin;
  std::vector<bool> val_doc;
  if (by_documents) {
    int64_t k = std::llround(double(n_docs) * o.val_fraction);
    if (o.val_fraction > 0) k = std::clamp<int64_t>(k, 1, n_docs - 1);
    val_doc = choose_val_documents(n_docs, k, o.seed);
  }

  fs::create_directories(o.out_dir, ec);
  if (!fs::is_directory(o.out_dir, ec)) throw Error(o.out_dir + ": cannot create the output folder");
  const fs::path out(o.out_dir);
  // Until the new index.json is written, the folder must not claim to hold a whole dataset.
  fs::remove(out / "index.json", ec);

  TokenShardWriter train(o.out_dir, "train", index.dtype, o.shard_tokens);
  TokenShardWriter val(o.out_dir, "val", index.dtype, o.shard_tokens);
  const size_t piece_bytes = pieces_encode_like_whole(tok) ? o.piece_bytes : 0;
  std::unique_ptr<Progress> bar;
  if (o.progress) bar = std::make_unique<Progress>("data", total_bytes, "B");

  const int32_t eos = index.eos_id;
  int64_t doc = 0;
  std::vector<int32_t> doc_ids;  // the current document, when documents are cut into train and val parts
  auto consume = [&](const DocumentPiece& p, const std::vector<int32_t>& ids) {
    if (by_documents) {
      const bool to_val = val_doc[size_t(doc)];
      TokenShardWriter& w = to_val ? val : train;
      w.append(ids.data(), ids.size());
      if (p.last) {
        w.append(eos);
        (to_val ? index.val : index.train).documents++;
        doc++;
      }
      return;
    }
    doc_ids.insert(doc_ids.end(), ids.begin(), ids.end());
    if (!p.last) return;
    const int64_t n = int64_t(doc_ids.size());
    int64_t v = std::llround(double(n) * o.val_fraction);
    v = std::min(v, n - 1);
    if (n > 0) {
      train.append(doc_ids.data(), size_t(n - v));
      train.append(eos);
      index.train.documents++;
    }
    if (v > 0) {
      val.append(doc_ids.data() + (n - v), size_t(v));
      val.append(eos);
      index.val.documents++;
    }
    doc_ids.clear();
    doc++;
  };

  int64_t bytes_before = 0;
  for (const std::string& in : o.inputs) {
    DocumentReader r(in, piece_bytes);
    std::vector<DocumentPiece> batch;
    std::vector<std::vector<int32_t>> ids;
    size_t batch_bytes = 0;
    auto flush = [&] {
      ids.assign(batch.size(), {});
      // The tokenizer is safe to share between threads; each piece is encoded on its own.
      parallel_for(0, int64_t(batch.size()), [&](int64_t i) { ids[size_t(i)] = tok.encode(batch[size_t(i)].text()); });
      for (size_t i = 0; i < batch.size(); i++) consume(batch[i], ids[i]);
      batch.clear();
      batch_bytes = 0;
      if (bar) bar->update(bytes_before + r.bytes_read());
    };
    DocumentPiece p;
    while (r.next(p)) {
      batch_bytes += p.text().size();
      batch.push_back(std::move(p));
      p = DocumentPiece();
      if (batch_bytes >= (size_t(16) << 20) || batch.size() >= 4096) flush();
    }
    flush();
    bytes_before += r.size_bytes();
  }
  if (bar) bar->done();
  check(doc == n_docs, "internal error: " + std::to_string(doc) + " documents encoded of " + std::to_string(n_docs));

  index.train.shards = train.finish();
  index.train.tokens = train.tokens();
  index.val.shards = val.finish();
  index.val.tokens = val.tokens();
  index.provenance["inputs"] = o.inputs;
  index.provenance["val_fraction"] = o.val_fraction;
  index.provenance["val_split"] = by_documents ? "whole documents" : "document tails";
  index.provenance["seed"] = o.seed;
  index.provenance["shard_tokens"] = o.shard_tokens;

  // Shards of an earlier run that this one did not overwrite.
  std::unordered_set<std::string> keep;
  for (const auto* s : {&index.train, &index.val})
    for (const ShardInfo& sh : s->shards) keep.insert(sh.file);
  for (const auto& e : fs::directory_iterator(out, ec)) {
    std::string name = e.path().filename().string();
    if (is_shard_name(name) && !keep.count(name)) fs::remove(e.path(), ec);
  }

  copy_beside(tok_json, out / "tokenizer.json", tok_bytes);
  if (have_cfg) {
    copy_beside(cfg_src.string(), out / "tokenizer_config.json", read_text_file(cfg_src.string()));
  } else if (!(fs::exists(out / "tokenizer.json", ec) && fs::equivalent(tok_json, out / "tokenizer.json", ec))) {
    fs::remove(out / "tokenizer_config.json", ec);
  }
  const std::string text = token_shards_index_json(index);
  write_file_atomic((out / "index.json").string(), text.data(), text.size());
  return index;
}

}  // namespace seek
