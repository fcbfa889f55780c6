// Data loader units on a stream whose token at position p is p itself (uint32 shards of odd sizes, so windows
// cross shard boundaries): every row must be p..p+seq_len for a window start p = w * seq_len, an epoch must visit
// every window exactly once, the order must depend only on the seed and epoch, restore(state()) must continue
// exactly, and validation windows come in stream order. Also the shuffle's uniformity (the first window of an
// epoch over many seeds) and the dataset's errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"
#include "train/data_loader.h"
#include "train/token_shards.h"

using namespace seek;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kVocab = 1 << 20;

// A shard folder whose train stream is 0, 1, ..., train_tokens - 1 and val stream 500000, 500001, ...
std::string counting_dataset(const std::string& name, int64_t train_tokens, int64_t val_tokens,
                             int64_t shard_tokens = 97) {
  std::string d = testing::TempDir() + "data_loader_" + std::to_string(::getpid()) + "_" +
                  name;  // per process: ctest runs tests in parallel
  fs::remove_all(d);
  fs::create_directories(d);
  TokenShardsIndex x;
  x.dtype = TokenDtype::u32;
  x.vocab_size = kVocab;
  x.eos_id = 0;
  auto fill = [&](const char* split, int64_t first, int64_t n, SplitInfo& info) {
    TokenShardWriter w(d, split, x.dtype, shard_tokens);
    for (int64_t i = 0; i < n; i++) w.append(int32_t(first + i));
    info.shards = w.finish();
    info.tokens = n;
    info.documents = 1;
  };
  fill("train", 0, train_tokens, x.train);
  fill("val", 500000, val_tokens, x.val);
  std::string text = token_shards_index_json(x);
  write_file_atomic(d + "/index.json", text.data(), text.size());
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Window starts of `rows` rows, checking each row is consecutive tokens from a multiple of seq_len.
std::vector<int64_t> starts(const std::vector<int32_t>& tokens, int64_t seq_len, int64_t first = 0) {
  std::vector<int64_t> out;
  const int64_t row = seq_len + 1;
  for (size_t r = 0; r * size_t(row) < tokens.size(); r++) {
    const int32_t* p = tokens.data() + r * size_t(row);
    EXPECT_EQ((p[0] - first) % seq_len, 0) << "row " << r;
    for (int64_t i = 1; i < row; i++) EXPECT_EQ(p[i], p[0] + i) << "row " << r;
    out.push_back((p[0] - first) / seq_len);
  }
  return out;
}

std::vector<int32_t> batches(DataLoader& dl, int n) {
  std::vector<int32_t> out(size_t(n * dl.batch() * (dl.seq_len() + 1)));
  for (int i = 0; i < n; i++) dl.next_batch(out.data() + size_t(i * dl.batch() * (dl.seq_len() + 1)));
  return out;
}

}  // namespace

TEST(DataLoader, PermutationIsABijection) {
  // Small sizes use a shuffle table, sizes above kTableMax the Feistel network.
  const uint64_t big = WindowPermutation::kTableMax + 12345;
  for (uint64_t n : std::vector<uint64_t>{1, 2, 3, 4, 5, 17, 64, 65, 1000, 4097, 100003, big}) {
    for (uint64_t key : {uint64_t(0), uint64_t(0xdeadbeef)}) {
      if (n == big && key == 0) continue;  // one key is enough for the slow case
      WindowPermutation p(n, key);
      std::vector<bool> seen(n, false);
      for (uint64_t i = 0; i < n; i++) {
        uint64_t v = p(i);
        ASSERT_LT(v, n);
        ASSERT_FALSE(seen[v]) << "n " << n << " key " << key;
        seen[v] = true;
      }
    }
  }
}

TEST(DataLoader, ShuffleIsUniformOverSeeds) {
  // The first window of an epoch over 20000 keys: each of 10 windows expected 2000 times (binomial sd ~42); a
  // chi-square with 9 degrees of freedom above 30 has probability ~4e-4 for a uniform shuffle.
  const int n = 10, trials = 20000;
  std::vector<int> hits(n, 0);
  for (int k = 0; k < trials; k++) hits[size_t(WindowPermutation(n, uint64_t(k) * 7919 + 1)(0))]++;
  double chi2 = 0;
  for (int h : hits) chi2 += (h - trials / double(n)) * (h - trials / double(n)) / (trials / double(n));
  EXPECT_LT(chi2, 30.0);
  // The same for the Feistel network, with the windows in 10 equal bins.
  const uint64_t big = WindowPermutation::kTableMax * 3 + 7;
  std::fill(hits.begin(), hits.end(), 0);
  for (int k = 0; k < trials; k++) hits[size_t(WindowPermutation(big, uint64_t(k) * 7919 + 1)(0) * n / big)]++;
  chi2 = 0;
  for (int h : hits) chi2 += (h - trials / double(n)) * (h - trials / double(n)) / (trials / double(n));
  EXPECT_LT(chi2, 30.0);
  // Neither is close to the identity: a random permutation has one fixed point on average.
  for (uint64_t size : {uint64_t(1000), big}) {
    WindowPermutation p(size, 5);
    int fixed = 0;
    for (uint64_t i = 0; i < 1000; i++) fixed += p(i) == i;
    EXPECT_LT(fixed, 10) << size;
  }
}

TEST(DataLoader, EpochVisitsEveryWindowOnce) {
  const std::string d = counting_dataset("epoch", 1000, 300);
  TokenDataset ds(d);
  EXPECT_EQ(ds.tokens(Split::train), 1000);
  EXPECT_EQ(ds.windows(Split::train, 10), 99);  // (1000 - 1) / 10
  // 99 windows, batch 9: 11 batches make one epoch.
  DataLoader dl(ds, Split::train, 10, 9, 42);
  EXPECT_EQ(dl.windows_per_epoch(), 99);
  std::vector<int64_t> w = starts(batches(dl, 11), 10);
  std::set<int64_t> set(w.begin(), w.end());
  EXPECT_EQ(w.size(), 99u);
  EXPECT_EQ(set.size(), 99u);
  EXPECT_EQ(*set.begin(), 0);
  EXPECT_EQ(*set.rbegin(), 98);
  EXPECT_EQ(dl.state().epoch, 0u);  // epoch 0 is complete; the next row starts epoch 1
  EXPECT_EQ(dl.state().position, 99u);
  // The next epoch is another order of the same windows.
  std::vector<int64_t> w2 = starts(batches(dl, 11), 10);
  EXPECT_NE(w2, w);
  EXPECT_EQ(std::set<int64_t>(w2.begin(), w2.end()), set);
  // A batch that straddles the end of an epoch wraps into the next.
  DataLoader odd(ds, Split::train, 10, 7, 42);
  std::vector<int64_t> first = starts(batches(odd, 15), 10);  // 105 rows
  EXPECT_EQ(std::vector<int64_t>(first.begin(), first.begin() + 99), w);
  EXPECT_EQ(std::vector<int64_t>(first.begin() + 99, first.end()), std::vector<int64_t>(w2.begin(), w2.begin() + 6));
}

TEST(DataLoader, DeterministicGivenTheSeed) {
  TokenDataset ds(counting_dataset("seed", 5000, 300, 333));
  DataLoader a(ds, Split::train, 16, 4, 7), b(ds, Split::train, 16, 4, 7), c(ds, Split::train, 16, 4, 8);
  std::vector<int32_t> ta = batches(a, 200), tb = batches(b, 200), tc = batches(c, 200);
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
  starts(ta, 16);
}

TEST(DataLoader, RestoreContinuesExactly) {
  TokenDataset ds(counting_dataset("restore", 3000, 300, 250));
  DataLoader a(ds, Split::train, 32, 5, 99);  // 93 windows an epoch
  for (int k : {0, 1, 7, 18, 19, 40}) {
    DataLoader run(ds, Split::train, 32, 5, 99);
    batches(run, k);
    DataLoader::State s = run.state();
    std::vector<int32_t> want = batches(run, 30);  // crosses epochs
    DataLoader resumed(ds, Split::train, 32, 5, 99);
    resumed.restore(s);
    EXPECT_EQ(batches(resumed, 30), want) << "after " << k << " batches";
  }
  DataLoader b(ds, Split::train, 32, 5, 99);
  EXPECT_NE(error_of([&] { b.restore({0, 94}); }).find("position 94 is past the 93 windows"), std::string::npos);
  b.restore({3, 93});  // the end of an epoch is a valid position
  std::vector<int32_t> row(33);
  DataLoader one(ds, Split::train, 32, 1, 99);
  one.restore({4, 0});
  one.next_batch(row.data());
  EXPECT_EQ(b.peek_window(), uint64_t(row[0] / 32));
}

TEST(DataLoader, ValidationWindowsInOrder) {
  TokenDataset ds(counting_dataset("val", 1000, 300));
  ValidationWindows all(ds, 20);
  EXPECT_EQ(all.count(), 14);  // (300 - 1) / 20
  std::vector<int32_t> t(size_t(4 * 21));
  std::vector<int64_t> seen;
  for (int64_t n; (n = all.next_batch(t.data(), 4)) > 0;) {
    std::vector<int32_t> rows(t.begin(), t.begin() + n * 21);
    for (int64_t w : starts(rows, 20, 500000)) seen.push_back(w);
  }
  std::vector<int64_t> want(14);
  for (int i = 0; i < 14; i++) want[size_t(i)] = i;
  EXPECT_EQ(seen, want);
  all.reset();
  EXPECT_EQ(all.next_batch(t.data(), 4), 4);
  EXPECT_EQ(t[0], 500000);
  ValidationWindows few(ds, 20, 5);
  EXPECT_EQ(few.count(), 5);
  ValidationWindows train(ds, 100, 0, Split::train);
  EXPECT_EQ(train.count(), 9);
}

TEST(DataLoader, Errors) {
  const std::string d = counting_dataset("errors", 100, 10);
  TokenDataset ds(d);
  EXPECT_NE(error_of([&] {
              DataLoader(ds, Split::val, 10, 1, 1);
            }).find("the val split has 10 tokens, fewer than one window of sequence length + 1 = 11"),
            std::string::npos);
  EXPECT_THROW(DataLoader(ds, Split::train, 0, 1, 1), Error);
  EXPECT_THROW(DataLoader(ds, Split::train, 4, 0, 1), Error);
  std::vector<int32_t> buf(200);
  EXPECT_THROW(ds.read(Split::train, 90, 11, buf.data()), Error);

  // A shard of the wrong size, a token beyond the vocabulary, a missing shard.
  const std::string shard = d + "/train-00001.bin";
  std::string bytes = read_text_file(shard);
  {
    std::ofstream f(shard, std::ios::binary);
    f << bytes.substr(0, 8);
  }
  std::string e = error_of([&] { TokenDataset bad(d); });
  EXPECT_NE(e.find("train-00001.bin: 8 bytes, but index.json says 3 tokens of uint32 (12 bytes)"), std::string::npos)
      << e;
  {
    std::ofstream f(shard, std::ios::binary);
    f << bytes.substr(0, 4) << std::string("\xff\xff\xff\x00", 4) << bytes.substr(8);
  }
  TokenDataset big(d);
  e = error_of([&] { big.read(Split::train, 95, 5, buf.data()); });
  EXPECT_NE(e.find("train-00001.bin: token 1 is 16777215, not below the vocabulary size 1048576"), std::string::npos)
      << e;
  fs::remove(shard);
  e = error_of([&] { TokenDataset gone(d); });
  EXPECT_NE(e.find("train-00001.bin"), std::string::npos) << e;
  e = error_of([&] { TokenDataset none(d + "/nowhere"); });
  EXPECT_NE(e.find("index.json: no such file"), std::string::npos) << e;
}
