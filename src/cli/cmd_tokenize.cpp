// `seek tokenize` (text -> ids, one JSON array) and `seek detokenize` (ids -> text).
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "text/tokenizer/tokenizer.h"

namespace seek::cli {
namespace {

using json = nlohmann::json;

std::string read_all(const std::string& path, const char* what) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(std::string("cannot read ") + what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_out(const std::string& s) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) throw Error("cannot write to stdout");
  std::fflush(stdout);
}

std::string ids_json(const std::vector<int32_t>& ids) {
  std::string out = "[";
  char buf[16];
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) out += ',';
    auto r = std::to_chars(buf, buf + sizeof(buf), ids[i]);
    out.append(buf, r.ptr);
  }
  return out + "]";
}

// ---------------------------------------------------------------- tokenize

struct TokenizeArgs {
  std::string tokenizer, text, file, jsonl;
  bool special = false, bos = false;
  CLI::Option* text_opt = nullptr;  // --text "" is a valid (empty) text, so presence is read from here
};

void run_tokenize(const TokenizeArgs& a) {
  const bool has_text = a.text_opt->count() > 0;
  if (int(has_text) + int(!a.file.empty()) + int(!a.jsonl.empty()) != 1)
    throw Error("tokenize: give exactly one of --text or --file");
  const Tokenizer tok = Tokenizer::from_path(a.tokenizer);
  if (a.bos && tok.bos_id() < 0) throw Error(a.tokenizer + ": --bos given, but the tokenizer has no BOS token");
  auto encode = [&](std::string_view text) {
    std::vector<int32_t> ids;
    if (a.bos) ids.push_back(tok.bos_id());
    tok.encode_append(text, a.special, ids);
    return ids;
  };
  if (!a.jsonl.empty()) {
    // Batch mode for tests: each line is one JSON string; each output line is its id array.
    std::istringstream in(read_all(a.jsonl, "jsonl file"));
    std::string line, out;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      json j;
      try {
        j = json::parse(line);
      } catch (const json::exception& e) {
        throw Error(a.jsonl + " line " + std::to_string(n) + ": invalid JSON: " + e.what());
      }
      if (!j.is_string()) throw Error(a.jsonl + " line " + std::to_string(n) + ": expected a JSON string");
      out += ids_json(encode(j.get_ref<const std::string&>()));
      out += '\n';
    }
    write_out(out);
    return;
  }
  std::string text = has_text ? a.text : read_all(a.file, "text file");
  write_out(ids_json(encode(text)) + "\n");
}

// ---------------------------------------------------------------- detokenize

struct DetokenizeArgs {
  std::string tokenizer, ids, ids_json, file, jsonl;
  bool skip_special = false;
};

// Ids as a JSON array, or integers separated by commas and/or whitespace.
std::vector<int64_t> parse_ids(const std::string& s, const std::string& what) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
  if (i < s.size() && s[i] == '[') {
    json j;
    try {
      j = json::parse(s);
    } catch (const json::exception& e) {
      throw Error(what + ": invalid JSON: " + e.what());
    }
    std::vector<int64_t> ids;
    for (size_t k = 0; k < j.size(); k++) {
      if (!j[k].is_number_integer())
        throw Error(what + ": element " + std::to_string(k) + " is not an integer token id");
      ids.push_back(j[k].get<int64_t>());
    }
    return ids;
  }
  std::vector<int64_t> ids;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] != ',' && !std::isspace(static_cast<unsigned char>(s[j]))) j++;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data() + i, s.data() + j, v);
    if (j == i || ec != std::errc() || end != s.data() + j)
      throw Error(what + ": '" + s.substr(i, j - i) + "' is not a token id (expected integers like 1,2,3)");
    ids.push_back(v);
    i = j;
    while (i < s.size() && (s[i] == ',' || std::isspace(static_cast<unsigned char>(s[i])))) i++;
  }
  return ids;
}

std::vector<int32_t> checked(const std::vector<int64_t>& ids, const Tokenizer& tok, const std::string& what) {
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id >= tok.vocab_size())
      throw Error(what + ": token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                  std::to_string(tok.vocab_size()) + ")");
    out.push_back(int32_t(id));
  }
  return out;
}

void run_detokenize(const DetokenizeArgs& a) {
  int given = int(!a.ids.empty()) + int(!a.ids_json.empty()) + int(!a.file.empty()) + int(!a.jsonl.empty());
  if (given != 1) throw Error("detokenize: give exactly one of --ids, --ids-json or --file");
  const Tokenizer tok = Tokenizer::from_path(a.tokenizer);
  if (!a.jsonl.empty()) {
    // Batch mode for tests: each line is a JSON array of ids; each output line is the text as a JSON string.
    std::istringstream in(read_all(a.jsonl, "jsonl file"));
    std::string line, out;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      std::string what = a.jsonl + " line " + std::to_string(n);
      out += json(tok.decode(checked(parse_ids(line, what), tok, what), a.skip_special)).dump();
      out += '\n';
    }
    write_out(out);
    return;
  }
  std::vector<int64_t> ids;
  if (!a.ids.empty()) ids = parse_ids(a.ids, "--ids");
  if (!a.ids_json.empty()) {
    if (a.ids_json.find('[') == std::string::npos) throw Error("--ids-json: expected a JSON array like [1,2,3]");
    ids = parse_ids(a.ids_json, "--ids-json");
  }
  if (!a.file.empty()) ids = parse_ids(read_all(a.file, "ids file"), a.file);
  write_out(tok.decode(checked(ids, tok, "detokenize"), a.skip_special));
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand("tokenize", "turn text into token ids (printed as one JSON array)");
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.json, a model folder holding one, or a .gguf file")
      ->required();
  args->text_opt = cmd->add_option("--text", args->text, "the text to encode");
  cmd->add_option("--file", args->file, "encode the contents of this file ('-' for stdin)");
  cmd->add_flag("--special", args->special,
                "recognise special tokens spelled in the text (e.g. <｜end▁of▁sentence｜>)");
  cmd->add_flag("--bos", args->bos, "put the BOS token first");
  cmd->add_option("--jsonl", args->jsonl, "batch mode for tests")->group("");
  cmd->callback([args] { run_tokenize(*args); });
}

void register_detokenize(CLI::App& app) {
  auto args = std::make_shared<DetokenizeArgs>();
  auto* cmd = app.add_subcommand("detokenize", "turn token ids into text (printed exactly, no newline added)");
  cmd->add_option("--tokenizer", args->tokenizer, "tokenizer.json, a model folder holding one, or a .gguf file")
      ->required();
  cmd->add_option("--ids", args->ids, "comma-separated ids, e.g. 1,2,3");
  cmd->add_option("--ids-json", args->ids_json, "a JSON array of ids, e.g. '[1,2,3]'");
  cmd->add_option("--file", args->file, "a file of ids: a JSON array, or integers separated by commas/whitespace");
  cmd->add_flag("--skip-special", args->skip_special, "leave special tokens out of the text");
  cmd->add_option("--jsonl", args->jsonl, "batch mode for tests")->group("");
  cmd->callback([args] { run_detokenize(*args); });
}

}  // namespace seek::cli
