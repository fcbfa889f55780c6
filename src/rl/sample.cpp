#include "rl/sample.h"

#include "core/error.h"
#include "infer/batch_generate.h"
#include "rl/rng.h"

namespace seek {

uint64_t sample_seed(uint64_t prompt_seed, int64_t sample_index) {
  return derive_seed(prompt_seed, uint64_t(sample_index));
}

namespace {

// The decoder cuts a stop string off the text; put back the one that ended it (none if a stop id ended it).
Completion to_completion(const GenerationResult& r, const Tokenizer& tok, const std::vector<std::string>& stop) {
  Completion c{r.text, r.tokens, r.finish};
  if (c.finish == FinishReason::stop && !stop.empty()) {
    const std::string full = tok.decode(c.tokens);
    if (full.size() > c.text.size() && full.compare(0, c.text.size(), c.text) == 0)
      for (const std::string& s : stop)
        if (full.compare(c.text.size(), s.size(), s) == 0) {
          c.text += s;
          break;
        }
  }
  return c;
}

}  // namespace

std::vector<std::vector<Completion>> sample_completions(const LanguageModel& model, const Tokenizer& tokenizer,
                                                        const std::vector<std::vector<int32_t>>& prompts, int64_t k,
                                                        const RolloutParams& params, const std::vector<uint64_t>& seeds,
                                                        const CompletionCallback& on_done) {
  if (k < 1) throw Error("samples per prompt must be >= 1");
  if (seeds.size() != prompts.size()) throw Error("sample_completions: one seed per prompt is needed");
  // Request i * k + j is sample j of prompt i.
  std::vector<GenerationRequest> reqs;
  reqs.reserve(prompts.size() * size_t(k));
  for (size_t i = 0; i < prompts.size(); i++)
    for (int64_t j = 0; j < k; j++) {
      GenerationRequest req;
      req.prompt = prompts[i];
      req.max_tokens = params.max_tokens;
      req.sampling = params.sampling;
      req.sampling.seed = sample_seed(seeds[i], j);
      req.stop = params.stop;
      req.stop_ids = params.stop_ids;
      reqs.push_back(std::move(req));
    }
  BatchOptions bo;
  bo.max_active = params.max_active;
  bo.forward = params.forward;
  bo.form = params.form;

  const size_t K = size_t(k);
  std::vector<std::vector<Completion>> out(prompts.size(), std::vector<Completion>(K));
  generate_batch(model, &tokenizer, reqs, bo, nullptr, [&](size_t r, const GenerationResult& res) {
    Completion& c = out[r / K][r % K];
    c = to_completion(res, tokenizer, params.stop);
    if (on_done) on_done(r / K, int64_t(r % K), c);
  });
  return out;
}

std::vector<std::vector<Completion>> sample_completions(const Assistant& as,
                                                        const std::vector<std::vector<int32_t>>& prompts, int64_t k,
                                                        const RolloutParams& params, const std::vector<uint64_t>& seeds,
                                                        const CompletionCallback& on_done) {
  return sample_completions(*as.model, as.tokenizer, prompts, k, params, seeds, on_done);
}

}  // namespace seek
