#include "rl/rng.h"

namespace seek {

namespace {
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t Rng::next() { return mix(state_ += 0x9e3779b97f4a7c15ull); }

uint64_t Rng::below(uint64_t n) { return uint64_t((static_cast<unsigned __int128>(next()) * n) >> 64); }

int64_t Rng::range(int64_t lo, int64_t hi) { return lo + int64_t(below(uint64_t(hi - lo) + 1)); }

double Rng::uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }

uint64_t derive_seed(uint64_t parent, uint64_t index) {
  return mix(mix(parent ^ 0x5851f42d4c957f2dull) + 0x9e3779b97f4a7c15ull * (index + 1));
}

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return mix(h);
}

}  // namespace seek
