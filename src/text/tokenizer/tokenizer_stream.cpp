#include "text/tokenizer/tokenizer.h"
#include "text/tokenizer/tokenizer_impl.h"
#include "text/tokenizer/tokenizer_utf8.h"

namespace seek {

TokenStreamDecoder::TokenStreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tok_(tokenizer), skip_special_(skip_special) {}

std::string TokenStreamDecoder::feed(int32_t id) {
  const TokenizerImpl& t = *tok_.impl_;
  if (id < 0 || size_t(id) >= t.id_flags.size()) return {};
  uint8_t f = t.id_flags[size_t(id)];
  if (!(f & TokenizerImpl::kExists) || (skip_special_ && (f & TokenizerImpl::kSpecial))) return {};
  if (!t.byte_level_decoder && !first_) pending_.push_back(' ');
  pending_ += t.id_bytes[size_t(id)];
  first_ = false;
  // Write out everything except a trailing sequence that later bytes may still complete. Decoding the whole
  // stream at once splits ill-formed bytes the same way, because a sequence is judged only by its own bytes.
  std::string out;
  size_t used = utf8::append_lossy(out, pending_, true);
  pending_.erase(0, used);
  return out;
}

std::string TokenStreamDecoder::finish() {
  std::string out;
  utf8::append_lossy(out, pending_, false);
  pending_.clear();
  first_ = true;
  return out;
}

}  // namespace seek
