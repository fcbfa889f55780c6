// A byte-level tokenizer (7 specials + 256 bytes) for the 256-token fixture models: every id decodes to text.
// Shared by the unit tests that generate text on the fixtures.
#pragma once
#include "text/tokenizer/tokenizer.h"
#include "train/bpe_trainer.h"

namespace seek::test_util {

inline Tokenizer byte_tokenizer() {
  BpeTrainOptions o;
  o.vocab_size = 263;
  BpeTrainer t(o);
  t.add_text("abc");
  return Tokenizer::from_json_string(bpe_tokenizer_json(t.train()), "byte tokenizer");
}

}  // namespace seek::test_util
