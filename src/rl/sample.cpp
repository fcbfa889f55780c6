#include "rl/sample.h"

#include "core/error.h"
#include "rl/rng.h"

namespace seek {

uint64_t sample_seed(uint64_t prompt_seed, int64_t sample_index) {
  return derive_seed(prompt_seed, uint64_t(sample_index));
}

std::vector<std::vector<Completion>> sample_completions(
    const Assistant& as, const std::vector<std::vector<int32_t>>& prompts, int64_t k, const RolloutParams& params,
    const std::vector<uint64_t>& seeds, const std::function<void(size_t, int64_t, const Completion&)>& on_done) {
  if (k < 1) throw Error("samples per prompt must be >= 1");
  if (seeds.size() != prompts.size()) throw Error("sample_completions: one seed per prompt is needed");
  std::vector<std::vector<Completion>> out(prompts.size());
  for (size_t i = 0; i < prompts.size(); i++) {
    Session session(*as.model, &as.tokenizer, params.forward);
    for (int64_t j = 0; j < k; j++) {
      GenerationRequest req;
      req.prompt = prompts[i];
      req.max_tokens = params.max_tokens;
      req.sampling = params.sampling;
      req.sampling.seed = sample_seed(seeds[i], j);
      req.stop = params.stop;
      req.stop_ids = params.stop_ids;
      GenerationResult r = session.generate(req, [](const std::string&) {});
      Completion c{std::move(r.text), std::move(r.tokens), r.finish};
      if (c.finish == FinishReason::stop && !params.stop.empty()) {
        // Session cuts a stop string off; put back the one that ended the text (none if a stop id ended it).
        const std::string full = as.tokenizer.decode(c.tokens);
        if (full.size() > c.text.size() && full.compare(0, c.text.size(), c.text) == 0)
          for (const std::string& s : params.stop)
            if (full.compare(c.text.size(), s.size(), s) == 0) {
              c.text += s;
              break;
            }
      }
      if (on_done) on_done(i, j, c);
      out[i].push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace seek
