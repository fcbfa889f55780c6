// `seek tokenize` (text -> ids, one JSON array) and `seek detokenize` (ids -> text).
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "formats/checkpoint.h"
#include "text/tokenizer/tokenizer.h"

namespace seek::cli {
namespace {

using json = nlohmann::json;

std::string read_all(const std::string& path, const char* what) {
  if (path.empty()) throw Error(std::string(what) + ": no path given");
  if (path != "-" && std::filesystem::is_directory(path)) throw Error(path + ": is a folder, expected a " + what);
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

// --tokenizer PATH: a tokenizer.json, a GGUF file, a model folder, or a training run (its latest checkpoint).
Tokenizer open_tokenizer(const std::string& path) {
  return Tokenizer::from_path(std::filesystem::is_directory(path) ? resolve_model_dir(path) : path);
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
  // --text "" is a valid (empty) text, so presence is read from the options
  CLI::Option *text_opt = nullptr, *file_opt = nullptr, *jsonl_opt = nullptr;
};

void run_tokenize(const TokenizeArgs& a) {
  const bool has_text = a.text_opt->count() > 0;
  if (a.text_opt->count() + a.file_opt->count() + a.jsonl_opt->count() != 1)
    throw Error("tokenize: give exactly one of --text or --file");
  const Tokenizer tok = open_tokenizer(a.tokenizer);
  if (a.bos && tok.bos_id() < 0) throw Error(a.tokenizer + ": --bos given, but the tokenizer has no BOS token");
  auto encode = [&](std::string_view text) {
    std::vector<int32_t> ids;
    if (a.bos) ids.push_back(tok.bos_id());
    tok.encode_append(text, a.special, ids);
    return ids;
  };
  if (a.jsonl_opt->count()) {
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
  CLI::Option *ids_opt = nullptr, *ids_json_opt = nullptr, *file_opt = nullptr, *jsonl_opt = nullptr;
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
  // Integers separated by one comma (with any spaces around it) or by whitespace alone; "1,,2" or a trailing comma
  // is a missing id, not a separator.
  auto space = [&](size_t k) { return k < s.size() && std::isspace(static_cast<unsigned char>(s[k])); };
  std::vector<int64_t> ids;
  bool need_id = false;  // after a comma
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && s[j] != ',' && !space(j)) j++;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data() + i, s.data() + j, v);
    if (j == i)
      throw Error(what + ": an empty token id (a comma doubled, or at the start; expected integers like 1,2,3)");
    if (ec != std::errc() || end != s.data() + j)
      throw Error(what + ": '" + s.substr(i, j - i) + "' is not a token id (expected integers like 1,2,3)");
    ids.push_back(v);
    i = j;
    while (space(i)) i++;
    need_id = i < s.size() && s[i] == ',';
    if (need_id) i++;
    while (space(i)) i++;
  }
  if (need_id) throw Error(what + ": a comma with no token id after it (expected integers like 1,2,3)");
  if (ids.empty()) throw Error(what + ": no token ids (expected integers like 1,2,3)");
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
  const size_t given = a.ids_opt->count() + a.ids_json_opt->count() + a.file_opt->count() + a.jsonl_opt->count();
  if (given != 1) throw Error("detokenize: give exactly one of --ids, --ids-json or --file");
  const Tokenizer tok = open_tokenizer(a.tokenizer);
  if (a.jsonl_opt->count()) {
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
  if (a.ids_opt->count()) {
    if (a.ids.find_first_not_of(" \t\n") == std::string::npos)
      throw Error("--ids: empty; expected token ids like 1,2,3");
    ids = parse_ids(a.ids, "--ids");
  }
  if (a.ids_json_opt->count()) {
    if (a.ids_json.find('[') == std::string::npos) throw Error("--ids-json: expected a JSON array like [1,2,3]");
    ids = parse_ids(a.ids_json, "--ids-json");
  }
  if (a.file_opt->count()) ids = parse_ids(read_all(a.file, "ids file"), a.file);
  write_out(tok.decode(checked(ids, tok, "detokenize"), a.skip_special));
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand("tokenize", "turn text into token ids (printed as one JSON array)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer.json, a .gguf file, a model folder or a training run (its latest checkpoint)")
      ->required();
  args->text_opt = cmd->add_option("--text", args->text, "the text to encode");
  args->file_opt = cmd->add_option("--file", args->file, "encode the contents of this file ('-' for stdin)");
  cmd->add_flag("--special", args->special,
                "recognise special tokens spelled in the text (e.g. <｜end▁of▁sentence｜>)");
  cmd->add_flag("--bos", args->bos, "put the BOS token first");
  args->jsonl_opt = cmd->add_option("--jsonl", args->jsonl, "batch mode for tests")->group("");
  cmd->callback([args] { run_tokenize(*args); });
}

void register_detokenize(CLI::App& app) {
  auto args = std::make_shared<DetokenizeArgs>();
  auto* cmd = app.add_subcommand("detokenize", "turn token ids into text (printed exactly, no newline added)");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "tokenizer.json, a .gguf file, a model folder or a training run (its latest checkpoint)")
      ->required();
  args->ids_opt = cmd->add_option("--ids", args->ids, "comma-separated ids, e.g. 1,2,3");
  args->ids_json_opt = cmd->add_option("--ids-json", args->ids_json, "a JSON array of ids, e.g. '[1,2,3]'");
  args->file_opt =
      cmd->add_option("--file", args->file, "a file of ids: a JSON array, or integers separated by commas/whitespace");
  cmd->add_flag("--skip-special", args->skip_special, "leave special tokens out of the text");
  args->jsonl_opt = cmd->add_option("--jsonl", args->jsonl, "batch mode for tests")->group("");
  cmd->callback([args] { run_detokenize(*args); });
}

}  // namespace seek::cli
