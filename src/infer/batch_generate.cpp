#include "infer/batch_generate.h"

#include "core/error.h"

namespace seek {

std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats, const std::function<void(size_t)>& on_done) {
  std::function<void(size_t, const GenerationResult&)> each;
  if (on_done) each = [&](size_t i, const GenerationResult&) { on_done(i); };
  return generate_batch(model, tokenizer, requests, opt, stats, each);
}

std::vector<GenerationResult> generate_batch(const LanguageModel& model, const Tokenizer* tokenizer,
                                             const std::vector<GenerationRequest>& requests, const BatchOptions& opt,
                                             BatchStats* stats,
                                             const std::function<void(size_t, const GenerationResult&)>& on_done) {
  check(opt.max_active >= 1, "generate_batch: max_active must be >= 1");
  for (const GenerationRequest& r : requests) check_generation_request(r, tokenizer != nullptr, model.context_length());
  DecoderOptions d;
  d.max_active = opt.max_active;
  d.forward = opt.forward;
  d.form = opt.form;
  BatchDecoder decoder(model, tokenizer, d);
  std::vector<GenerationResult> results(requests.size());
  for (size_t i = 0; i < requests.size(); i++) {
    SequenceHooks hooks;
    hooks.on_done = [&, i](GenerationResult&& r) {
      results[i] = std::move(r);
      if (on_done) on_done(i, results[i]);
    };
    decoder.add(requests[i], std::move(hooks));
  }
  while (!decoder.idle()) decoder.step();
  if (stats) *stats = decoder.stats();
  return results;
}

}  // namespace seek
