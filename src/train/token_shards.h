// Token shards: the tokenized training text on disk, and the documents it is made from.
//
// A shard folder holds
//   train-00000.bin, train-00001.bin, ...   the train split's token stream, raw little-endian uint16 (vocabularies
//   val-00000.bin, ...                      of at most 65536 tokens) or uint32, cut every `shard_tokens` tokens
//   index.json                              format, dtype, vocab size, EOS/BOS ids, the tokenizer's hash, and per
//                                           split its shards (file, tokens), total tokens and document count
//   tokenizer.json, tokenizer_config.json   copies of the tokenizer the stream was made with
// A split's stream is its documents back to back, each followed by EOS (no BOS). Every file is written to a .tmp
// name and renamed when complete, index.json last, so a folder with an index.json is always whole.
//
// Documents: each line of a .jsonl file is one document, its "text" field; any other file is plain text and is one
// document. Blank lines and empty texts are no documents.
//
// Train/validation split: with at least 20 documents, round(val_fraction x documents) whole documents (at least one)
// chosen by the seed go to validation. With fewer (one long text file), every document is cut: its last
// round(val_fraction x tokens) tokens go to validation, the rest to train, each part followed by EOS.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

class MappedFile;
class Tokenizer;

inline constexpr const char* kTokenShardsFormat = "seek-token-shards";
inline constexpr int kTokenShardsVersion = 1;
inline constexpr int64_t kWholeDocumentSplitMin = 20;  // documents needed to split by whole documents

enum class TokenDtype { u16, u32 };
TokenDtype token_dtype_for_vocab(int64_t vocab_size);  // uint16 when every id fits, else uint32
const char* token_dtype_name(TokenDtype d);            // "uint16", "uint32"
size_t token_dtype_bytes(TokenDtype d);

// ---------------------------------------------------------------- documents

// One piece of a document's text. JSONL documents come whole; a plain text file comes in pieces of about
// piece_bytes, cut only right after a line break that has a non-space character on both sides (byte-level BPE
// pre-tokenizers never join text across such a point, so encoding the pieces one by one gives the ids of the whole).
struct DocumentPiece {
  std::string storage;               // a JSONL document's text (the piece's text lives here)
  std::string_view view;             // a plain text piece: a view into the mapped file
  bool first = false, last = false;  // the first / last piece of its document
  std::string_view text() const { return storage.empty() ? view : std::string_view(storage); }
};

class DocumentReader {
 public:
  // piece_bytes 0: plain text files come as one piece. Throws Error naming the path if it cannot be read.
  explicit DocumentReader(const std::string& path, size_t piece_bytes = size_t(1) << 20);
  ~DocumentReader();
  // The next non-empty piece; false at the end. Throws Error naming the file and line for a bad JSONL line.
  bool next(DocumentPiece& piece);
  bool jsonl() const { return jsonl_; }
  int64_t size_bytes() const;
  int64_t bytes_read() const { return int64_t(pos_); }  // for progress
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::shared_ptr<MappedFile> file_;
  size_t piece_bytes_, pos_ = 0;
  int64_t line_ = 0;
  bool jsonl_ = false;
};

// Whether cutting a text at the points DocumentReader cuts at leaves this tokenizer's ids unchanged, judged on a
// few probe strings (false for tokenizers whose normalizer prepends or strips text, for example).
bool pieces_encode_like_whole(const Tokenizer& tok);

// ---------------------------------------------------------------- shards and index

struct ShardInfo {
  std::string file;  // name inside the folder
  int64_t tokens = 0;
};
struct SplitInfo {
  std::vector<ShardInfo> shards;
  int64_t tokens = 0, documents = 0;
};

struct TokenShardsIndex {
  TokenDtype dtype = TokenDtype::u16;
  int64_t vocab_size = 0;
  int32_t eos_id = -1, bos_id = -1;  // bos -1: none
  std::string tokenizer_hash;        // FNV-1a 64 of tokenizer.json, 16 hex digits
  SplitInfo train, val;
  nlohmann::ordered_json provenance = nlohmann::ordered_json::object();  // inputs, seed, ... (written as is)
};

// index.json text / the index read back from a folder, validated: errors name the file and the field.
std::string token_shards_index_json(const TokenShardsIndex& index);
TokenShardsIndex read_token_shards_index(const std::string& dir);

std::string fnv1a64_hex(std::string_view bytes);

// Writes one split's stream as shards named "<split>-00000.bin", ... in `dir`. A shard appears under its final
// name only once complete.
class TokenShardWriter {
 public:
  TokenShardWriter(std::string dir, std::string split, TokenDtype dtype, int64_t shard_tokens);
  ~TokenShardWriter();  // removes an unfinished .tmp file
  TokenShardWriter(const TokenShardWriter&) = delete;
  TokenShardWriter& operator=(const TokenShardWriter&) = delete;

  void append(const int32_t* ids, size_t n);
  void append(int32_t id) { append(&id, 1); }
  int64_t tokens() const { return total_; }
  // Completes the last shard and returns all of them.
  std::vector<ShardInfo> finish();

 private:
  void open_shard();
  void close_shard();
  void flush_buffer();

  std::string dir_, split_;
  TokenDtype dtype_;
  int64_t shard_tokens_, total_ = 0, in_shard_ = 0;
  std::FILE* f_ = nullptr;
  std::string tmp_path_;
  std::vector<uint8_t> buf_;
  std::vector<ShardInfo> shards_;
};

// ---------------------------------------------------------------- text -> shards

struct TokenShardsOptions {
  std::vector<std::string> inputs;
  std::string out_dir;
  double val_fraction = 0.05;            // in [0, 1)
  int64_t shard_tokens = 16000000;       // tokens per shard file
  uint64_t seed = 1;                     // which documents go to validation
  size_t piece_bytes = size_t(1) << 20;  // plain text is encoded in pieces this big, in parallel
  bool progress = false;                 // a progress bar over the input bytes on stderr
};

// Encodes the inputs with the tokenizer (a tokenizer.json or a folder holding one) and writes the shard folder.
// Returns what index.json says.
TokenShardsIndex write_token_shards(const std::string& tokenizer_path, const TokenShardsOptions& options);

}  // namespace seek
