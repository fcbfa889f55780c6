// Picks the next token from logits. The pipeline, in order (the order Hugging Face's generate applies them):
//   repetition penalty (over prompt + generated ids) -> presence/frequency penalties (generated ids, OpenAI-style)
//   -> temperature -> top-k -> top-p (nucleus) -> min-p -> draw.
// temperature == 0 means greedy (argmax after penalties). Same seed, same inputs: same tokens, on any machine
// (the generator and the uniform draw are our own, not the standard library's unspecified distributions).
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace seek {

struct SamplingParams {
  float temperature = 1.0f;         // 0: greedy
  int64_t top_k = 0;                // 0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off; keep tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // 1: off; >1 discourages any id already in the context
  float presence_penalty = 0.0f;    // subtracted once from ids generated so far
  float frequency_penalty = 0.0f;   // subtracted per occurrence among ids generated so far
  uint64_t seed = 0;

  void validate() const;  // throws Error naming the bad parameter
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& p);
  // logits [vocab] (modified in place). context = prompt ids; generated = ids produced so far.
  int32_t sample(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                 const std::vector<int32_t>& generated);
  const SamplingParams& params() const { return p_; }

  // For speculative sampling: the distribution sample() draws from (penalties, temperature, top-k, top-p, min-p;
  // normalized, zero outside the candidates), for temperature > 0; logits modified in place as by sample(). draw()
  // picks an id with probability proportional to weights[id] (>= 0, not all 0), and uniform01() is the same
  // generator's next draw in [0, 1): both advance the generator, so the same seed replays the same choices.
  std::vector<double> distribution(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                                   const std::vector<int32_t>& generated) const;
  int32_t draw(const std::vector<double>& weights);
  double uniform01();

 private:
  void penalize(float* logits, int64_t vocab, const std::vector<int32_t>& context,
                const std::vector<int32_t>& generated) const;
  bool weights(const float* logits, int64_t vocab, std::vector<double>& w) const;
  std::vector<int32_t> candidates(const float* logits, int64_t vocab, const std::vector<double>& w) const;
  double uniform();  // [0, 1)
  SamplingParams p_;
  std::mt19937_64 rng_;
};

int32_t argmax(const float* v, int64_t n);

}  // namespace seek
