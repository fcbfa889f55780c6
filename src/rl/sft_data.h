// Supervised fine-tuning data: JSONL made into token rows with a loss mask, and packed. Three shapes of line, as
// common SFT trainers read them (the first key present decides):
//   {"messages": [{"role", "content"}, ...]}   conversational: roles system, user, assistant, rendered by the
//                                              model's chat template (below)
//   {"prompt": "...", "completion": "..."}     plain text, no template: loss on the completion and the EOS token
//                                              after it (R1-Zero's plain-text prompt form, for instance)
//   {"text": "..."}                            language modeling: loss on every token and the EOS after it, as
//                                              pretraining documents are trained (continued pretraining)
// Plain text is tokenized as text: a special token's spelling in it stays text.
//
// A sample trains its LAST message, which must be the assistant's (the trained turn); everything before it is
// context, rendered as the model's chat template renders history. The trained turn is NOT rendered through the
// template's history rule: R1-style templates strip everything up to "</think>" from assistant turns in the
// history, which is right for earlier turns but would delete the reasoning the sample exists to teach. So the
// conversation is rendered with a marker in place of the trained turn's content; the text before the marker is the
// prompt (no loss), and the trained turn's own content (its <think> block kept; a "reasoning_content" field becomes
// "<think>\n...\n</think>\n\n" in front of it) followed by the template's turn ending (its end-of-sequence token)
// is the completion, on which the loss is computed.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "text/chat/chat_template.h"
#include "text/tokenizer/tokenizer.h"

namespace seek::rl {

struct SftText {
  std::string prompt;      // the conversation up to the trained turn's content (no loss)
  std::string completion;  // the trained turn's content and the template's turn ending (the loss)
  bool plain = false;      // prompt/completion or text lines: tokenized as text, the tokenizer's EOS appended
};

// Renders one sample. `where` names it in errors ("data.jsonl:3"): unknown roles, a non-string content, no
// messages, a last message that is not the assistant's, a line with none of the three shapes are one-line errors
// naming it.
SftText render_sft_sample(const ChatTemplate& chat, const nlohmann::json& sample, const std::string& where);

struct SftSample {
  std::vector<int32_t> tokens;   // prompt then completion
  std::vector<uint8_t> trained;  // per token: 1 for the completion's tokens (the model learns to predict them)
  int64_t line = 0;              // 1-based line of the JSONL file
  bool plain = false;            // a prompt/completion or text line (no chat template)
};

SftSample encode_sft_sample(const Tokenizer& tok, const SftText& text, int64_t line);

// Every sample of a JSONL file (blank lines skipped). A sample longer than seq_len tokens is an error naming its
// line (never truncated); so is a line that is not JSON.
std::vector<SftSample> read_sft_jsonl(const std::string& path, const Tokenizer& tok, const ChatTemplate& chat,
                                      int64_t seq_len);

// Rows of packed samples: each row holds whole samples back to back (first fit in the given order), at most seq_len
// tokens. targets[r] = the next token of the same sample where that token is trained, else -1; segments[r] = the
// sample's index (rows restart attention and positions at each new id).
struct PackedRow {
  std::vector<int32_t> tokens, targets, segments;
};
std::vector<PackedRow> pack_samples(const std::vector<SftSample>& samples, const std::vector<size_t>& order,
                                    int64_t seq_len);

// Targets of one sample alone: targets[r] = tokens[r + 1] if trained[r + 1], else -1 (the last row: -1).
std::vector<int32_t> sft_targets(const SftSample& s);

}  // namespace seek::rl
