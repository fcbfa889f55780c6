// Token shard units: the shard writer's files (little-endian, cut every N tokens, nothing left under a .tmp name),
// JSONL and plain-text document reading, that encoding plain text in pieces gives the ids of the whole text,
// the two train/validation splits, index.json round trip and its errors. (tests/oracle/tokenizer_train.mjs checks
// the shard contents against the reference tokenizer.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"
#include "text/tokenizer/tokenizer.h"
#include "train/bpe_trainer.h"
#include "train/token_shards.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  std::string d = testing::TempDir() + "token_shards_" + std::to_string(::getpid()) + "_" +
                  name;  // per process: ctest runs tests in parallel
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::string slurp(const std::string& path) { return read_text_file(path); }

// Tokens of a split, read back from its shards (independently of the loader).
std::vector<int32_t> read_split(const std::string& dir, const SplitInfo& s, TokenDtype dt) {
  std::vector<int32_t> out;
  for (const ShardInfo& sh : s.shards) {
    std::string b = slurp(dir + "/" + sh.file);
    size_t w = token_dtype_bytes(dt);
    EXPECT_EQ(b.size(), size_t(sh.tokens) * w) << sh.file;
    for (size_t i = 0; i + w <= b.size(); i += w) {
      uint32_t v = 0;
      for (size_t k = 0; k < w; k++) v |= uint32_t(uint8_t(b[i + k])) << (8 * k);
      out.push_back(int32_t(v));
    }
  }
  return out;
}

std::string shakespeare() { return slurp(std::string(SEEK_SHARED_DIR) + "/data/tinyshakespeare/input.txt"); }

// A small tokenizer trained here on tinyshakespeare.
const std::string& tokenizer_dir() {
  static const std::string dir = [] {
    std::string d = fresh_dir("tokenizer");
    BpeTrainOptions o;
    o.vocab_size = 600;
    BpeTrainer t(o);
    t.add_text(shakespeare());
    write_bpe_tokenizer(t.train(), d);
    return d;
  }();
  return dir;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(TokenShards, Dtype) {
  EXPECT_EQ(token_dtype_for_vocab(65536), TokenDtype::u16);
  EXPECT_EQ(token_dtype_for_vocab(65537), TokenDtype::u32);
  EXPECT_STREQ(token_dtype_name(TokenDtype::u32), "uint32");
  // FNV-1a 64 test vectors.
  EXPECT_EQ(fnv1a64_hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a64_hex("a"), "af63dc4c8601ec8c");
}

TEST(TokenShards, WriterCutsShardsLittleEndian) {
  std::string d = fresh_dir("writer");
  {
    TokenShardWriter w(d, "train", TokenDtype::u16, 3);
    std::vector<int32_t> ids = {1, 2, 0x1234, 65535, 5, 6, 7, 8};
    w.append(ids.data(), ids.size());
    EXPECT_EQ(w.tokens(), 8);
    auto shards = w.finish();
    ASSERT_EQ(shards.size(), 3u);
    EXPECT_EQ(shards[0].file, "train-00000.bin");
    EXPECT_EQ(shards[2].file, "train-00002.bin");
    EXPECT_EQ(shards[2].tokens, 2);
    EXPECT_EQ(slurp(d + "/train-00001.bin"), std::string("\xff\xff\x05\x00\x06\x00", 6));
    EXPECT_EQ(slurp(d + "/train-00000.bin").substr(4), std::string("\x34\x12", 2));
  }
  {
    TokenShardWriter w(d, "val", TokenDtype::u32, 100);
    w.append(0x01020304);
    w.finish();
    EXPECT_EQ(slurp(d + "/val-00000.bin"), std::string("\x04\x03\x02\x01", 4));
  }
  {
    TokenShardWriter w(d, "x", TokenDtype::u16, 100);
    EXPECT_THROW(w.append(65536), Error);
    EXPECT_THROW(w.append(-1), Error);
  }  // an unfinished shard is removed
  for (const auto& e : fs::directory_iterator(d)) EXPECT_EQ(e.path().extension(), ".bin") << e.path();
}

TEST(TokenShards, ReadsJsonlDocuments) {
  std::string d = fresh_dir("jsonl");
  write(d + "/a.jsonl",
        "{\"text\": \"one\"}\n\n  \n{\"text\": \"\", \"id\": 3}\r\n{\"id\": 1, \"text\": \"two\\nlines\"}");
  DocumentReader r(d + "/a.jsonl");
  DocumentPiece p;
  std::vector<std::string> docs;
  while (r.next(p)) {
    EXPECT_TRUE(p.first && p.last);
    docs.emplace_back(p.text());
  }
  EXPECT_EQ(docs, (std::vector<std::string>{"one", "two\nlines"}));

  write(d + "/bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": 5}\n");
  DocumentReader bad(d + "/bad.jsonl");
  ASSERT_TRUE(bad.next(p));
  std::string e = error_of([&] { bad.next(p); });
  EXPECT_NE(e.find("bad.jsonl line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("\"text\""), std::string::npos) << e;
  write(d + "/bad2.jsonl", "{\"txt\": \"ok\"}\n");
  e = error_of([&] { DocumentReader(d + "/bad2.jsonl").next(p); });
  EXPECT_NE(e.find("line 1: no \"text\" field"), std::string::npos) << e;
  write(d + "/bad3.jsonl", "not json\n");
  e = error_of([&] { DocumentReader(d + "/bad3.jsonl").next(p); });
  EXPECT_NE(e.find("line 1: not valid JSON"), std::string::npos) << e;
  e = error_of([&] { DocumentReader r2(d + "/missing.txt"); });
  EXPECT_NE(e.find("missing.txt: no such file"), std::string::npos) << e;
}

TEST(TokenShards, PlainTextPiecesCutOnlyBetweenLines) {
  std::string d = fresh_dir("pieces");
  const std::string text = "aaaa bbbb\ncccc  \n  dddd\neeee\n\nffff\ngggg";
  write(d + "/t.txt", text);
  DocumentReader r(d + "/t.txt", 4);
  DocumentPiece p;
  std::vector<std::string> pieces;
  while (r.next(p)) pieces.emplace_back(p.text());
  // Cuts after a newline with a non-space character on both sides only.
  EXPECT_EQ(pieces, (std::vector<std::string>{"aaaa bbbb\n", "cccc  \n  dddd\n", "eeee\n\nffff\n", "gggg"}));
  DocumentReader whole(d + "/t.txt", 0);
  ASSERT_TRUE(whole.next(p));
  EXPECT_EQ(p.text(), text);
  EXPECT_TRUE(p.first && p.last);
  EXPECT_FALSE(whole.next(p));
}

TEST(TokenShards, PiecesEncodeLikeTheWholeText) {
  const Tokenizer tok = Tokenizer::from_path(tokenizer_dir());
  ASSERT_TRUE(pieces_encode_like_whole(tok));
  const std::string text = shakespeare();
  std::string d = fresh_dir("pieces_encode");
  write(d + "/s.txt", text);
  DocumentReader r(d + "/s.txt", 5000);
  DocumentPiece p;
  std::vector<int32_t> ids;
  int pieces = 0;
  while (r.next(p)) tok.encode_append(p.text(), false, ids), pieces++;
  EXPECT_GT(pieces, 200);
  EXPECT_EQ(ids, tok.encode(text));
}

TEST(TokenShards, OneLongDocumentSplitsItsTail) {
  const Tokenizer tok = Tokenizer::from_path(tokenizer_dir());
  std::string d = fresh_dir("tail");
  const std::string text = shakespeare().substr(0, 200000);
  write(d + "/s.txt", text);
  TokenShardsOptions o;
  o.inputs = {d + "/s.txt"};
  o.out_dir = d + "/out";
  o.val_fraction = 0.1;
  o.shard_tokens = 10000;
  o.piece_bytes = 3000;
  TokenShardsIndex x = write_token_shards(tokenizer_dir(), o);
  const std::vector<int32_t> all = tok.encode(text);
  const int64_t n = int64_t(all.size()), v = std::llround(n * 0.1);
  std::vector<int32_t> want_train(all.begin(), all.end() - v), want_val(all.end() - v, all.end());
  want_train.push_back(1);
  want_val.push_back(1);
  EXPECT_EQ(read_split(o.out_dir, x.train, x.dtype), want_train);
  EXPECT_EQ(read_split(o.out_dir, x.val, x.dtype), want_val);
  EXPECT_EQ(x.train.documents, 1);
  EXPECT_EQ(x.val.documents, 1);
  EXPECT_EQ(x.train.shards.size(), size_t((x.train.tokens + 9999) / 10000));
  EXPECT_EQ(x.dtype, TokenDtype::u16);
  // The folder is whole: index, tokenizer copies, no temporary files; the index reads back the same.
  EXPECT_EQ(slurp(o.out_dir + "/tokenizer.json"), slurp(tokenizer_dir() + "/tokenizer.json"));
  EXPECT_EQ(slurp(o.out_dir + "/tokenizer_config.json"), slurp(tokenizer_dir() + "/tokenizer_config.json"));
  for (const auto& e : fs::directory_iterator(o.out_dir)) EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  TokenShardsIndex back = read_token_shards_index(o.out_dir);
  EXPECT_EQ(token_shards_index_json(back), token_shards_index_json(x));
  EXPECT_EQ(back.tokenizer_hash, fnv1a64_hex(slurp(tokenizer_dir() + "/tokenizer.json")));
  EXPECT_EQ(back.eos_id, 1);
  EXPECT_EQ(back.bos_id, 0);
  EXPECT_EQ(back.vocab_size, 600);

  // A second run with bigger shards leaves no shard of the first behind.
  o.shard_tokens = 1000000;
  write_token_shards(tokenizer_dir(), o);
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(o.out_dir)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"index.json", "tokenizer.json", "tokenizer_config.json", "train-00000.bin",
                                          "val-00000.bin"}));
}

TEST(TokenShards, ManyDocumentsSplitByWholeDocuments) {
  const Tokenizer tok = Tokenizer::from_path(tokenizer_dir());
  std::string d = fresh_dir("docs");
  std::vector<std::string> docs;
  std::string jsonl;
  for (int i = 0; i < 50; i++) {
    docs.push_back("Document " + std::to_string(i) + ": " + shakespeare().substr(size_t(i) * 997, 300));
    jsonl += nlohmann::json{{"text", docs.back()}}.dump() + "\n";
  }
  write(d + "/docs.jsonl", jsonl);
  auto run = [&](uint64_t seed, const std::string& out) {
    TokenShardsOptions o;
    o.inputs = {d + "/docs.jsonl"};
    o.out_dir = out;
    o.val_fraction = 0.1;
    o.seed = seed;
    o.shard_tokens = 777;
    return write_token_shards(tokenizer_dir(), o);
  };
  TokenShardsIndex x = run(1, d + "/out1");
  EXPECT_EQ(x.val.documents, 5);
  EXPECT_EQ(x.train.documents, 45);
  // Each split is its documents in input order, each followed by EOS; together they are all documents.
  std::vector<int32_t> train = read_split(d + "/out1", x.train, x.dtype), val = read_split(d + "/out1", x.val, x.dtype);
  auto take_docs = [&](const std::vector<int32_t>& stream) {
    std::vector<std::vector<int32_t>> out(1);
    for (int32_t id : stream) {
      if (id == 1)
        out.emplace_back();
      else
        out.back().push_back(id);
    }
    EXPECT_TRUE(out.back().empty());  // ends with EOS
    out.pop_back();
    return out;
  };
  auto tdocs = take_docs(train), vdocs = take_docs(val);
  ASSERT_EQ(tdocs.size(), 45u);
  ASSERT_EQ(vdocs.size(), 5u);
  size_t ti = 0, vi = 0;
  std::vector<int> val_ids;
  for (int i = 0; i < 50; i++) {
    std::vector<int32_t> want = tok.encode(docs[size_t(i)]);
    if (vi < vdocs.size() && vdocs[vi] == want) {
      val_ids.push_back(i);
      vi++;
    } else {
      ASSERT_LT(ti, tdocs.size());
      EXPECT_EQ(tdocs[ti], want) << "document " << i;
      ti++;
    }
  }
  EXPECT_EQ(vi, 5u);
  // The seed decides which documents: the same seed the same ones, another seed others.
  EXPECT_EQ(read_split(d + "/out2", run(1, d + "/out2").val, x.dtype), val);
  EXPECT_NE(read_split(d + "/out3", run(2, d + "/out3").val, x.dtype), val);
}

TEST(TokenShards, BadInput) {
  std::string d = fresh_dir("bad");
  write(d + "/empty.txt", "");
  write(d + "/blank.jsonl", "\n\n{\"text\": \"\"}\n");
  write(d + "/ok.txt", "hello");
  TokenShardsOptions o;
  o.out_dir = d + "/out";
  o.inputs = {d + "/empty.txt", d + "/blank.jsonl"};
  EXPECT_NE(error_of([&] { write_token_shards(tokenizer_dir(), o); }).find("no documents"), std::string::npos);
  o.inputs = {d + "/ok.txt", d + "/nope.txt"};
  EXPECT_NE(error_of([&] { write_token_shards(tokenizer_dir(), o); }).find("nope.txt: no such file"),
            std::string::npos);
  o.inputs = {d + "/ok.txt"};
  o.val_fraction = 1.0;
  EXPECT_NE(error_of([&] { write_token_shards(tokenizer_dir(), o); }).find("val fraction"), std::string::npos);
  o.val_fraction = 0.05;
  EXPECT_NE(error_of([&] { write_token_shards(d + "/nothing", o); }).find("nothing: no such file"), std::string::npos);
  // A tokenizer without an EOS token cannot separate documents.
  fs::create_directories(d + "/noeos");
  write(d + "/noeos/tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"h": 0}, "merges": []}})");
  EXPECT_NE(error_of([&] { write_token_shards(d + "/noeos", o); }).find("no EOS token"), std::string::npos);
  EXPECT_FALSE(fs::exists(d + "/out/index.json"));
}

TEST(TokenShards, IndexErrorsNameFileAndField) {
  std::string d = fresh_dir("index");
  TokenShardsIndex x;
  x.vocab_size = 1000;
  x.eos_id = 1;
  x.train.shards = {{"train-00000.bin", 10}, {"train-00001.bin", 5}};
  x.train.tokens = 15;
  x.train.documents = 2;
  const nlohmann::json good = nlohmann::json::parse(token_shards_index_json(x));
  auto error_with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    write(d + "/index.json", j.dump());
    return error_of([&] { read_token_shards_index(d); });
  };
  EXPECT_EQ(error_with([](nlohmann::json&) {}), "(no error)");
  EXPECT_EQ(error_with([](nlohmann::json& j) { j.erase("dtype"); }), d + "/index.json: dtype: missing");
  EXPECT_NE(error_with([](nlohmann::json& j) { j["dtype"] = "int8"; }).find("index.json: dtype: expected"),
            std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["version"] = 2; }).find("index.json: version: 2"), std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["format"] = "other"; }).find("index.json: format"), std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["eos_id"] = 1000; }).find("index.json: eos_id: 1000 is out of range"),
            std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["vocab_size"] = 70000; }).find("vocab_size"), std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) {
              j["splits"]["train"]["tokens"] = 16;
            }).find("splits.train.tokens: 16 is not the sum of the shards' tokens (15)"),
            std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) {
              j["splits"]["train"]["shards"][1]["file"] = "../x.bin";
            }).find("splits.train.shards[1].file"),
            std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["splits"]["val"]["shards"][0] = 3; }).find("splits.val.shards[0]"),
            std::string::npos);
  EXPECT_NE(error_with([](nlohmann::json& j) { j["splits"].erase("val"); }).find("splits.val: missing"),
            std::string::npos);
  write(d + "/index.json", "{");
  EXPECT_NE(error_of([&] { read_token_shards_index(d); }).find("index.json: not valid JSON"), std::string::npos);
  fs::remove(d + "/index.json");
  EXPECT_NE(error_of([&] { read_token_shards_index(d); }).find("index.json: no such file"), std::string::npos);
}
