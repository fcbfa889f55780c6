// Writing a model folder's tokenizer as GGUF's tokenizer.ggml.* keys (and its chat template as
// tokenizer.chat_template), the inverse of Tokenizer::from_gguf: byte-level BPE vocabularies only ("gpt2"), whose
// pre-tokenizer regexes are one of the sets GGUF names (tokenizer.ggml.pre: deepseek-v3, qwen2, gpt-2, ...).
#pragma once
#include <string>
#include <vector>

namespace seek {

class GgufWriter;

// The tokenizer.ggml.pre name whose isolating regex splits are exactly `regexes`, or "" when none is.
std::string gguf_pre_name(const std::vector<std::string>& regexes);

// Adds the keys for DIR/tokenizer.json (+ tokenizer_config.json, chat template). `vocab_size`: the model's, which
// may exceed the tokenizer's (unused ids are written as "[PAD<id>]"). Throws Error naming the file and what GGUF
// cannot express.
void add_gguf_tokenizer(const std::string& dir, int64_t vocab_size, GgufWriter& w);

// For a model without a tokenizer (ids only): a byte-level vocabulary of the 256 byte tokens at ids 0..255 and
// "[PAD<id>]" beyond, no merges, so GGUF readers that insist on a vocabulary load the file. bos/eos: -1 for none.
void add_gguf_byte_vocab(int64_t vocab_size, int64_t bos, int64_t eos, GgufWriter& w);

}  // namespace seek
