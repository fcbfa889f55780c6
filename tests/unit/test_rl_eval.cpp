// run_eval (rl/eval.h) end to end on scripted models whose answers we control, so the summary has known values:
// a solver that always answers right (pass@1 = cons@k = pass@k = 1, stderr 0, format 1), one that is right only
// when the answer is even (pass@1 = the even fraction, counted here from the problems), and one whose first token
// is a fair coin deciding right or wrong (0 < c < k: pass@k checked against the combinatorial definition from the
// completions). The scripted model keeps writing after "</answer>", so a completion that ends exactly there
// shows that generation stopped at the stop string and that the string was put back.
#include <gtest/gtest.h>

#include <cstring>

#include <cmath>
#include <sstream>

#include "rl/eval.h"
#include "train/bpe_trainer.h"

using namespace seek;

namespace {

enum class Mode { right, even, coin };

// The answer to "Compute a op b" (two terms, as the task draws with terms=2), by the usual rules.
int64_t solve(const std::string& text) {
  size_t q = text.find("User: Compute ") + 14, e = text.find(". Assistant:");
  std::istringstream in(text.substr(q, e - q));
  int64_t a = 0, b = 0;
  char op = 0;
  in >> a >> op >> b;
  return op == '+' ? a + b : op == '-' ? a - b : a * b;
}

class ScriptedModel : public LanguageModel {
 public:
  ScriptedModel(const Tokenizer& tok, const BpeVocab& vocab, Mode mode) : tok_(tok), vocab_(vocab), mode_(mode) {}
  std::string architecture() const override { return "scripted"; }
  int64_t vocab_size() const override { return vocab_.size(); }
  int64_t context_length() const override { return 4096; }
  int64_t bos_token_id() const override { return 0; }
  int64_t eos_token_id() const override { return 1; }
  std::unique_ptr<SequenceCache> new_sequence(AttnForm) const override { return std::make_unique<Cache>(); }

  void forward(const int32_t* tokens, int64_t T, SequenceCache& c, const ForwardOptions& opt,
               float* logits) const override {
    auto& ids = static_cast<Cache&>(c).ids;
    const int64_t V = vocab_size();
    for (int64_t t = 0; t < T; t++) {
      ids.push_back(tokens[t]);
      if (!opt.all_logits && t + 1 < T) continue;
      float* row = logits + (opt.all_logits ? t : 0) * V;
      for (int64_t v = 0; v < V; v++) row[v] = -30.0f;
      const std::string text = tok_.decode(ids);
      const size_t start = text.find("Assistant:") + 10;
      const std::string gen = text.substr(std::min(start, text.size()));
      if (mode_ == Mode::coin && gen.empty()) {  // a fair coin: 'R' or 'W'
        row[vocab_.byte_id('R')] = row[vocab_.byte_id('W')] = 0.0f;
        continue;
      }
      const int64_t answer = solve(text);
      bool right =
          mode_ == Mode::right || (mode_ == Mode::even && answer % 2 == 0) || (mode_ == Mode::coin && gen[0] == 'R');
      std::string want = (mode_ == Mode::coin ? gen.substr(0, 1) : std::string()) + " <think>r</think> <answer>" +
                         std::to_string(right ? answer : answer + 1) + "</answer> and then more text";
      row[gen.size() < want.size() && want.compare(0, gen.size(), gen) == 0 ? vocab_.byte_id(uint8_t(want[gen.size()]))
                                                                            : 1] = 0.0f;
    }
  }

 private:
  struct Cache : SequenceCache {
    std::vector<int32_t> ids;
    int64_t len() const override { return int64_t(ids.size()); }
    void set_len(int64_t n) override { ids.resize(size_t(n)); }
    size_t bytes_per_token() const override { return 4; }
    std::unique_ptr<SequenceCache> clone(int64_t n) const override {
      auto c = std::make_unique<Cache>();
      c->ids.assign(ids.begin(), ids.begin() + n);
      return c;
    }
    std::string serialize(int64_t n) const override {
      return std::string(reinterpret_cast<const char*>(ids.data()), size_t(n) * 4);
    }
    void deserialize(const std::string& b) override {
      ids.resize(b.size() / 4);
      std::memcpy(ids.data(), b.data(), ids.size() * 4);
    }
  };
  const Tokenizer& tok_;
  const BpeVocab& vocab_;
  Mode mode_;
};

struct Fixture {
  BpeVocab vocab;
  std::unique_ptr<Assistant> as;
};

Fixture make(Mode mode) {
  BpeTrainOptions o;
  o.vocab_size = int64_t(default_special_tokens().size()) + 256;  // no merges: one token per byte
  BpeTrainer tr(o);
  tr.add_text("abc");
  Fixture f;
  f.vocab = tr.train();
  Tokenizer tok =
      Tokenizer::from_json_string(bpe_tokenizer_json(f.vocab), "test tokenizer", bpe_tokenizer_config_json(f.vocab));
  f.as = std::make_unique<Assistant>("scripted", nullptr, tok, ChatTemplate::builtin(BuiltinChat::deepseek_r1));
  f.as->model = std::make_unique<ScriptedModel>(f.as->tokenizer, f.vocab, mode);
  f.as->stop_ids = {1};
  return f;
}

EvalConfig config(int64_t problems, int64_t samples) {
  EvalConfig c;
  c.problems = problems;
  c.samples = samples;
  c.seed = 3;
  c.rollout.max_tokens = 80;
  c.rollout.sampling.temperature = 1.0f;
  c.prompt.style = PromptStyle::r1_zero;
  c.progress = false;
  return c;
}

std::vector<nlohmann::json> lines_of(const std::string& s) {
  std::vector<nlohmann::json> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
  return out;
}

}  // namespace

TEST(RlEval, PerfectSolver) {
  Fixture f = make(Mode::right);
  auto task = make_task("arithmetic");
  std::ostringstream lines;
  nlohmann::json s = run_eval(*f.as, *task, config(6, 3), &lines);
  EXPECT_EQ(s["problems"], 6);
  EXPECT_EQ(s["samples"], 3);
  EXPECT_DOUBLE_EQ(s["pass@1"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["stderr"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s["cons@k"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["pass@k"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["format"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["reward"].get<double>(), 1.1);
  EXPECT_DOUBLE_EQ(s["truncated"].get<double>(), 0.0);
  auto L = lines_of(lines.str());
  ASSERT_EQ(L.size(), 6u);
  for (auto& l : L)
    for (auto& c : l["completions"]) {
      const std::string t = c;
      EXPECT_EQ(t.substr(t.size() - 9), "</answer>") << t;  // stopped at the stop string, which was put back
    }
}

TEST(RlEval, RightOnlyOnEvenAnswers) {
  Fixture f = make(Mode::even);
  auto task = make_task("arithmetic");
  const int64_t P = 20;
  double even = 0;
  for (const Problem& p : task->problems(3, P, TaskSplit::test)) even += std::stoll(p.answer) % 2 == 0;
  const double p1 = even / double(P);
  ASSERT_GT(p1, 0.0);
  ASSERT_LT(p1, 1.0);
  nlohmann::json s = run_eval(*f.as, *task, config(P, 2), nullptr);
  EXPECT_DOUBLE_EQ(s["pass@1"].get<double>(), p1);
  EXPECT_DOUBLE_EQ(s["cons@k"].get<double>(), p1);
  EXPECT_DOUBLE_EQ(s["pass@k"].get<double>(), p1);
  // per-problem means are 0 or 1: stderr = sqrt(p (1 - p) P / (P - 1)) / sqrt(P)
  EXPECT_NEAR(s["stderr"].get<double>(), std::sqrt(p1 * (1 - p1) * P / (P - 1)) / std::sqrt(double(P)), 1e-12);
}

TEST(RlEval, CoinFlipsGivePassAtKByItsDefinition) {
  Fixture f = make(Mode::coin);
  auto task = make_task("arithmetic");
  const int64_t P = 12, n = 4;
  std::ostringstream lines;
  nlohmann::json s = run_eval(*f.as, *task, config(P, n), &lines);
  auto binom = [](int64_t a, int64_t b) {
    double r = 1;
    if (b < 0 || b > a) return 0.0;
    for (int64_t i = 1; i <= b; i++) r = r * double(a - b + i) / double(i);
    return r;
  };
  double p1 = 0, p2 = 0, mixed = 0;
  for (auto& l : lines_of(lines.str())) {
    int64_t c = 0;
    for (auto& comp : l["completions"]) c += comp.get<std::string>()[0] == 'R';  // the coin decided right
    p1 += double(c) / n / P;
    p2 += (1 - binom(n - c, 2) / binom(n, 2)) / P;
    mixed += c > 0 && c < n;
  }
  EXPECT_GT(mixed, 0) << "no problem with both outcomes: the test would not test pass@k";
  EXPECT_NEAR(s["pass@1"].get<double>(), p1, 1e-12);
  EXPECT_NEAR(s["pass_at"]["2"].get<double>(), p2, 1e-12);
  EXPECT_GT(s["pass@1"].get<double>(), 0.0);
  EXPECT_LT(s["pass@1"].get<double>(), 1.0);
}
