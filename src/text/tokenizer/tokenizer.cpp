#include "text/tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "formats/gguf.h"
#include "text/tokenizer/tokenizer_impl.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

// ---------------------------------------------------------------- scratch pool

ScratchPool::Lease ScratchPool::borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return Lease(*this, std::move(s));
    }
  }
  return Lease(*this, std::make_unique<EncodeScratch>());
}

void ScratchPool::give_back(std::unique_ptr<EncodeScratch> s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() < 64) free_.push_back(std::move(s));
}

// ---------------------------------------------------------------- tables

void TokenizerImpl::finalize() {
  int32_t n = 0;
  for (const auto& [text, id] : bpe.vocab()) n = std::max(n, id + 1);
  for (const AddedToken& t : added) n = std::max(n, t.id + 1);
  // Tables are indexed by id; a few huge ids in a small vocabulary would make them absurdly large.
  size_t entries = bpe.vocab().size() + added.size();
  if (size_t(n) > 2 * entries + 1024)
    throw Error(origin + ": token ids are too sparse (largest id " + std::to_string(n - 1) + " for " +
                std::to_string(entries) + " tokens)");
  id_text.assign(size_t(n), std::string());
  id_flags.assign(size_t(n), 0);
  for (const auto& [text, id] : bpe.vocab()) {
    // Several texts with one id: keep one deterministically (the smallest).
    if (!(id_flags[size_t(id)] & kExists) || text < id_text[size_t(id)]) id_text[size_t(id)] = text;
    id_flags[size_t(id)] |= kExists;
  }
  // Added tokens take precedence over the model's vocabulary, both ways.
  added_ids.clear();
  Vocab special_texts;
  std::vector<AddedToken> raw, norm;
  std::vector<std::string> raw_pat, norm_pat;
  RegexScratch scratch;
  for (const AddedToken& t : added) {
    if (t.content.empty()) continue;
    if (utf8::first_invalid(t.content) != t.content.size())
      throw Error(origin + ": added token " + std::to_string(t.id) + " is not valid UTF-8");
    added_ids.emplace(t.content, t.id);
    id_text[size_t(t.id)] = t.content;
    id_flags[size_t(t.id)] |= kExists;
    if (t.special) special_texts.emplace(t.content, t.id);
    if (t.normalized && !normalizer.empty()) {
      std::string buf;
      norm_pat.emplace_back(normalizer.apply(t.content, buf, scratch));
      norm.push_back(t);
    } else {
      raw_pat.push_back(t.content);
      raw.push_back(t);
    }
  }
  added_raw.build(std::move(raw), raw_pat);
  added_normalized.build(std::move(norm), norm_pat);
  // The reference decides "special" by the token's text, so a vocabulary entry spelled like a special token is
  // special too.
  for (size_t id = 0; id < id_text.size(); id++) {
    if ((id_flags[id] & kExists) && special_texts.count(id_text[id])) id_flags[id] |= kSpecial;
  }
  id_bytes.assign(size_t(n), std::string());
  for (size_t id = 0; id < id_text.size(); id++) {
    const std::string& t = id_text[id];
    if (!byte_level_decoder) {
      id_bytes[id] = t;
      continue;
    }
    // Each character stands for one byte; a token with any character outside the alphabet (an added token
    // such as "<｜end▁of▁sentence｜>") is passed through as its own UTF-8.
    std::string bytes;
    bool all = true;
    for (size_t i = 0; i < t.size() && all;) {
      char32_t c;
      i += utf8::decode_valid(t, i, c);
      int b = utf8::char_to_byte(c);
      if (b < 0) all = false;
      bytes.push_back(char(b));
    }
    id_bytes[id] = all ? bytes : t;
  }
  if (bos >= n) bos = -1;
  if (eos >= n) eos = -1;
}

int32_t TokenizerImpl::token_id(std::string_view text) const {
  auto it = added_ids.find(text);
  if (it != added_ids.end()) return it->second;
  return bpe.token_id(text);
}

void TokenizerImpl::encode(std::string_view text, bool allow_special, std::vector<int32_t>& out) const {
  auto lease = pool.borrow();
  EncodeScratch& s = *lease;
  if (utf8::first_invalid(text) != text.size()) {
    s.repaired.clear();
    utf8::append_lossy(s.repaired, text, false);
    text = s.repaired;
  }
  auto model = [&](std::string_view piece) {
    if (pre.empty()) {
      bpe.encode_word(piece, s.bpe, out);
    } else {
      auto word = [&](std::string_view w) { bpe.encode_word(w, s.bpe, out); };
      pre.run(piece, s.pre, PieceSink(word));
    }
  };
  auto emit_token = [&](int32_t id) { out.push_back(id); };
  auto segment = [&](std::string_view seg) {
    std::string_view norm = normalizer.empty() ? seg : normalizer.apply(seg, s.normalized, s.pre.regex);
    if (added_normalized.empty()) {
      model(norm);
    } else {
      added_normalized.split(norm, allow_special, s.pre.regex, model, emit_token);
    }
  };
  added_raw.split(text, allow_special, s.pre.regex, segment, emit_token);
}

// ---------------------------------------------------------------- Tokenizer

Tokenizer::Tokenizer(std::shared_ptr<const TokenizerImpl> impl) : add_bos(impl->add_bos), impl_(std::move(impl)) {}

Tokenizer Tokenizer::from_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    fs::path json = fs::path(path) / "tokenizer.json";
    if (!fs::exists(json, ec)) throw Error(path + ": folder has no tokenizer.json");
    return from_json_file(json.string());
  }
  if (!fs::exists(path, ec)) throw Error(path + ": no such file or folder");
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext == ".gguf") return from_gguf(GgufFile::open(path));
  return from_json_file(path);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  impl_->encode(text, allow_special, out);
  return out;
}

void Tokenizer::encode_append(std::string_view text, bool allow_special, std::vector<int32_t>& out) const {
  impl_->encode(text, allow_special, out);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  return decode(ids.data(), ids.size(), skip_special);
}

std::string Tokenizer::decode(const int32_t* ids, size_t n, bool skip_special) const {
  const TokenizerImpl& t = *impl_;
  std::string bytes;
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || size_t(id) >= t.id_flags.size()) continue;
    uint8_t f = t.id_flags[size_t(id)];
    if (!(f & TokenizerImpl::kExists)) continue;
    if (skip_special && (f & TokenizerImpl::kSpecial)) continue;
    if (!t.byte_level_decoder && !first) bytes.push_back(' ');
    bytes += t.id_bytes[size_t(id)];
    first = false;
  }
  std::string out;
  out.reserve(bytes.size());
  utf8::append_lossy(out, bytes, false);
  return out;
}

std::string Tokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    throw Error(impl_->origin + ": token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                std::to_string(vocab_size()) + ")");
  return impl_->id_text[size_t(id)];
}

std::string_view Tokenizer::token_bytes(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return impl_->id_bytes[size_t(id)];
}

int32_t Tokenizer::token_id(std::string_view text) const { return impl_->token_id(text); }

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && id < vocab_size() && (impl_->id_flags[size_t(id)] & TokenizerImpl::kSpecial);
}

int32_t Tokenizer::vocab_size() const { return int32_t(impl_->id_text.size()); }
int32_t Tokenizer::bos_id() const { return impl_->bos; }
int32_t Tokenizer::eos_id() const { return impl_->eos; }
const std::string& Tokenizer::origin() const { return impl_->origin; }

}  // namespace seek
