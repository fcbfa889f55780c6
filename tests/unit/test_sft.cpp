// SFT samples: the trained turn keeps its reasoning while the R1 template strips it from history; the loss mask
// covers exactly the trained turn's tokens; the loss sees assistant tokens only (changing what a non-assistant row
// would predict changes no gradient, changing an assistant row's target does); packing keeps samples apart; bad
// samples are one-line errors naming their line; plain-text lines (prompt/completion, text) train their text and EOS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/dense_train.h"
#include "rl/sft_data.h"
#include "train/bpe_trainer.h"
#include "text/chat/chat_template.h"

using namespace seek;
using namespace seek::rl;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json kTwoTurns = json::parse(R"({"messages": [
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Hi"},
  {"role": "assistant", "content": "<think>\nold reasoning\n</think>\n\nHello!"},
  {"role": "user", "content": "2+2?"},
  {"role": "assistant", "content": "<think>\nnew reasoning\n</think>\n\nFour."}]})");

TEST(Sft, TrainedTurnKeepsItsReasoningUnderTheR1Template) {
  const ChatTemplate chat = ChatTemplate::builtin(BuiltinChat::deepseek_r1);
  const SftText t = render_sft_sample(chat, kTwoTurns, "test:1");
  // what the template itself writes for the history (reasoning of earlier turns stripped) ...
  EXPECT_EQ(t.prompt.find("old reasoning"), std::string::npos) << t.prompt;
  EXPECT_NE(t.prompt.find("Hello!"), std::string::npos) << t.prompt;
  EXPECT_TRUE(t.prompt.ends_with("<｜Assistant｜>")) << t.prompt;
  // ... and the trained turn whole, ended as the template ends an assistant turn
  EXPECT_EQ(t.completion, "<think>\nnew reasoning\n</think>\n\nFour.<｜end▁of▁sentence｜>");
  // rendering the same conversation through the template (as history) would have lost it
  EXPECT_EQ(chat.render(kTwoTurns["messages"], false).find("new reasoning"), std::string::npos);
  // prompt + completion is the template's own rendering except for the kept reasoning (the template keeps what
  // follows "</think>")
  std::string full = chat.render(kTwoTurns["messages"], false);
  EXPECT_EQ(t.prompt + t.completion, full.insert(full.rfind("\n\nFour."), "<think>\nnew reasoning\n</think>"));
}

TEST(Sft, ReasoningContentFieldBecomesAThinkBlock) {
  const ChatTemplate chat = ChatTemplate::builtin(BuiltinChat::deepseek_r1);
  json s = kTwoTurns;
  s["messages"].back() = {{"role", "assistant"}, {"content", "Four."}, {"reasoning_content", "add"}};
  EXPECT_EQ(render_sft_sample(chat, s, "t").completion, "<think>\nadd\n</think>\n\nFour.<｜end▁of▁sentence｜>");
}

TEST(Sft, BadSamplesNameTheirLine) {
  const ChatTemplate chat = ChatTemplate::builtin(BuiltinChat::deepseek_v3);
  auto err = [&](const std::string& j) {
    try {
      render_sft_sample(chat, json::parse(j), "d.jsonl:7");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err(R"({"messages": [{"role": "robot", "content": "x"}]})").find("d.jsonl:7: message 1 has role 'robot'"),
            std::string::npos);
  EXPECT_NE(err(R"({"messages": [{"role": "user", "content": "x"}]})").find("d.jsonl:7: no assistant turn"),
            std::string::npos);
  EXPECT_NE(err(R"({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "y"}]})")
                .find("d.jsonl:7: message 1 has no \"content\" string"),
            std::string::npos);
  EXPECT_NE(err(R"({"txt": "x"})").find("d.jsonl:7: expected an object with a \"messages\" array"), std::string::npos);
  EXPECT_NE(err(R"({"prompt": "x"})").find("d.jsonl:7: a \"prompt\" line needs a \"completion\""), std::string::npos);
  EXPECT_NE(err(R"({"text": 3})").find("d.jsonl:7: \"text\" must be a string"), std::string::npos);
  EXPECT_NE(err(R"({"text": ""})").find("d.jsonl:7: nothing to train on"), std::string::npos);
}

// Plain-text lines: no template; a text line trains every token and the EOS after it, a prompt/completion line the
// completion and the EOS; a special token's spelling in them stays text.
TEST(Sft, PlainTextLinesTrainTheirTextAndEos) {
  const std::string dir = (fs::temp_directory_path() / ("seek_sft_tok_" + std::to_string(::getpid()))).string();
  BpeTrainOptions o;
  o.vocab_size = 300;
  BpeTrainer t(o);
  t.add_text("What is two plus two? Four. The answer is four.");
  write_bpe_tokenizer(t.train(), dir);
  const Tokenizer tok = Tokenizer::from_path(dir);
  const ChatTemplate chat = ChatTemplate::builtin(BuiltinChat::deepseek_r1);
  ASSERT_GE(tok.eos_id(), 0);
  const SftSample text = encode_sft_sample(tok, render_sft_sample(chat, json{{"text", "The answer is four."}}, "t"), 1);
  std::vector<int32_t> want = tok.encode("The answer is four.", false);
  want.push_back(tok.eos_id());
  EXPECT_EQ(text.tokens, want);
  EXPECT_EQ(text.trained, std::vector<uint8_t>(want.size(), 1));
  EXPECT_TRUE(text.plain);
  const SftSample pc = encode_sft_sample(
      tok, render_sft_sample(chat, json{{"prompt", "What is two plus two?"}, {"completion", " Four."}}, "t"), 2);
  const std::vector<int32_t> p = tok.encode("What is two plus two?", false), c = tok.encode(" Four.", false);
  ASSERT_EQ(pc.tokens.size(), p.size() + c.size() + 1);
  EXPECT_EQ(std::vector<int32_t>(pc.tokens.begin(), pc.tokens.begin() + int64_t(p.size())), p);
  EXPECT_EQ(pc.tokens.back(), tok.eos_id());
  for (size_t i = 0; i < pc.tokens.size(); i++) EXPECT_EQ(pc.trained[i], i >= p.size() ? 1 : 0) << i;
  // the EOS token's spelling inside the text is text, not the token
  const std::string eos_text = tok.token_text(tok.eos_id());
  ASSERT_FALSE(eos_text.empty());
  EXPECT_EQ(tok.encode(eos_text, /*allow_special=*/true), std::vector<int32_t>{tok.eos_id()});
  const SftSample sp = encode_sft_sample(tok, render_sft_sample(chat, json{{"text", "a" + eos_text}}, "t"), 3);
  EXPECT_EQ(std::count(sp.tokens.begin(), sp.tokens.end(), tok.eos_id()), 1);
  fs::remove_all(dir);
}

// A tokenizer-free sample over the train-qwen2 fixture's model: a prompt of 6 tokens, a completion of 5.
SftSample fake_sample() {
  SftSample s;
  s.tokens = {3, 17, 5, 9, 60, 2, 44, 8, 1, 30, 12};
  s.trained = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  return s;
}

std::vector<std::vector<float>> grads_of(TrainableDense& m, const std::vector<int32_t>& tokens,
                                         const std::vector<int32_t>& targets) {
  m.params().zero_grad();
  TrainBatch b{tokens.data(), targets.data(), nullptr, 1, int64_t(tokens.size())};
  m.forward(b, Precision::F32, 1.0, true);
  m.backward();
  std::vector<std::vector<float>> g;
  for (auto& p : m.params().all()) g.push_back(p.grad);
  return g;
}

double max_rel_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); i++) {
    double mx = 1e-12, err = 0;
    for (size_t j = 0; j < a[i].size(); j++) {
      mx = std::max(mx, double(std::fabs(a[i][j])));
      err = std::max(err, double(std::fabs(a[i][j] - b[i][j])));
    }
    worst = std::max(worst, err / mx);
  }
  return worst;
}

TEST(Sft, LossSeesAssistantTokensOnly) {
  const fs::path dir = fs::path(SEEK_SOURCE_DIR) / "tests/fixtures/train-qwen2";
  TrainableDense m(load_dense_config(dir.string()));
  m.load(dir.string());
  const SftSample s = fake_sample();
  const std::vector<int32_t> t = sft_targets(s);
  // rows 0..4 predict prompt tokens: no target; rows 5..9 predict the completion; the last row nothing
  EXPECT_EQ(t, (std::vector<int32_t>{-1, -1, -1, -1, -1, 44, 8, 1, 30, 12, -1}));
  const auto g = grads_of(m, s.tokens, t);
  // what row 2 would predict (the prompt's token 3) changes: the targets, hence every gradient, stay the same
  SftSample other = s;
  other.tokens[3] = 61;
  EXPECT_EQ(sft_targets(other)[2], -1);
  EXPECT_EQ(max_rel_diff(g, grads_of(m, s.tokens, sft_targets(other))), 0.0);
  // what an assistant row predicts changes: the gradients move (so the check above can fail)
  other = s;
  other.tokens[8] = 61;
  EXPECT_GT(max_rel_diff(g, grads_of(m, s.tokens, sft_targets(other))), 1e-3);
  // and the gradient is the sum of the assistant rows' own gradients, each computed alone
  std::vector<std::vector<float>> sum;
  for (size_t r = 0; r < t.size(); r++) {
    if (t[r] < 0) continue;
    std::vector<int32_t> one(t.size(), -1);
    one[r] = t[r];
    const auto gr = grads_of(m, s.tokens, one);
    if (sum.empty()) sum.assign(gr.size(), {});
    for (size_t i = 0; i < gr.size(); i++) {
      sum[i].resize(gr[i].size(), 0.0f);
      for (size_t j = 0; j < gr[i].size(); j++) sum[i][j] += gr[i][j];
    }
  }
  EXPECT_LT(max_rel_diff(g, sum), 1e-5);
}

TEST(Sft, PackingKeepsSamplesApart) {
  std::vector<SftSample> samples(3, fake_sample());
  samples[1].tokens.resize(4);
  samples[1].trained = {0, 0, 1, 1};
  const std::vector<PackedRow> rows = pack_samples(samples, {0, 1, 2}, 16);
  ASSERT_EQ(rows.size(), 2u);  // 11 + 4 fit in 16; the third starts a row
  EXPECT_EQ(rows[0].tokens.size(), 15u);
  EXPECT_EQ(rows[0].segments, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(rows[0].targets[10], -1) << "no target across the boundary";
  EXPECT_EQ(rows[0].targets[12], samples[1].tokens[2]);  // row 1 of the second sample predicts its token 2
  EXPECT_EQ(rows[0].targets[13], samples[1].tokens[3]);
  EXPECT_EQ(rows[0].targets[11], -1) << "its token 1 is not trained";
  EXPECT_EQ(rows[1].segments, std::vector<int32_t>(11, 2));
}

}  // namespace
