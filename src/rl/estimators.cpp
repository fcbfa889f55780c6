#include "rl/estimators.h"

#include <cmath>
#include <map>

#include "core/error.h"

namespace seek {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n)
    throw Error("pass@k needs 0 <= c <= n and 1 <= k <= n (n " + std::to_string(n) + ", c " + std::to_string(c) +
                ", k " + std::to_string(k) + ")");
  if (n - c < k) return 1.0;
  double miss = 1.0;  // C(n-c, k) / C(n, k)
  for (int64_t i = n - c + 1; i <= n; i++) miss *= 1.0 - double(k) / double(i);
  return 1.0 - miss;
}

MeanStderr mean_stderr(const std::vector<double>& v) {
  MeanStderr r;
  if (v.empty()) return r;
  double s = 0;
  for (double x : v) s += x;
  r.mean = s / double(v.size());
  if (v.size() < 2) return r;
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.stderr_ = std::sqrt(ss / double(v.size() - 1)) / std::sqrt(double(v.size()));
  return r;
}

Vote majority_vote(const std::vector<std::optional<std::string>>& keys, const std::vector<int>& correct) {
  if (keys.size() != correct.size()) throw Error("majority_vote: keys and correct differ in length");
  std::map<std::string, std::pair<int64_t, size_t>> tally;  // key -> (votes, first sample)
  for (size_t j = 0; j < keys.size(); j++)
    if (keys[j]) {
      auto [it, fresh] = tally.emplace(*keys[j], std::make_pair(int64_t(0), j));
      it->second.first++;
    }
  Vote v;
  size_t first = 0;
  for (auto& [key, t] : tally)
    if (t.first > v.votes || (t.first == v.votes && t.second < first)) {
      v.key = key;
      v.votes = t.first;
      first = t.second;
    }
  if (v.key) v.correct = correct[first] != 0;
  return v;
}

}  // namespace seek
