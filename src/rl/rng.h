// Deterministic randomness for the RL layer: task generators, worked solutions and per-sample seeds. Our own
// generator (splitmix64) and integer draws, so the same seed gives the same problems on every machine and
// standard library (std::uniform_int_distribution does not promise that).
#pragma once
#include <cstdint>
#include <string_view>

namespace seek {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();                        // 64 uniform bits
  uint64_t below(uint64_t n);             // uniform in [0, n); n > 0
  int64_t range(int64_t lo, int64_t hi);  // uniform in [lo, hi]; lo <= hi
  double uniform();                       // [0, 1)
  bool chance(double p) { return uniform() < p; }

 private:
  uint64_t state_;
};

// A seed derived from a parent seed and an index (e.g. (eval seed, problem) -> problem seed -> sample seed):
// independent-looking streams for different indices, the same stream for the same pair.
uint64_t derive_seed(uint64_t parent, uint64_t index);

// 64-bit FNV-1a of the bytes, finished with the splitmix64 mixer: a stable hash (the same on every platform
// and in every build), used to split problems into train and held-out sets by their content.
uint64_t stable_hash(std::string_view bytes);

}  // namespace seek
