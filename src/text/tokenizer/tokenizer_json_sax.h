// Reading tokenizer.json with the JSON parser's event interface (private to tokenizer_json.cpp).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace seek {

// model.vocab and model.merges hold almost all of a tokenizer.json (hundreds of thousands of entries). They are
// taken straight from the parser's events instead of being built into the JSON tree, which would cost most of
// the load time; everything else goes into the tree as usual.
struct BigFields {
  bool have_vocab = false, have_merges = false;
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
};

class TokenizerSax {
 public:
  using json = nlohmann::json;
  using dom_parser = nlohmann::detail::json_sax_dom_parser<json>;
  TokenizerSax(json& root, BigFields& big, const std::string& origin) : dom_(root, true), big_(big), origin_(origin) {}

  bool null() { return mode_ == Mode::Tree ? dom_.null() : bad_value("null"); }
  bool boolean(bool v) { return mode_ == Mode::Tree ? dom_.boolean(v) : bad_value("a boolean"); }
  bool number_integer(json::number_integer_t v) {
    if (mode_ == Mode::Vocab && depth_ == 1) return add_vocab(v);
    return mode_ == Mode::Tree ? dom_.number_integer(v) : bad_value("a number");
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (mode_ == Mode::Vocab && depth_ == 1) return add_vocab(v > uint64_t(INT64_MAX) ? int64_t(-1) : int64_t(v));
    return mode_ == Mode::Tree ? dom_.number_unsigned(v) : bad_value("a number");
  }
  bool number_float(json::number_float_t v, const std::string& s) {
    return mode_ == Mode::Tree ? dom_.number_float(v, s) : bad_value("a number");
  }
  bool binary(json::binary_t& b) { return mode_ == Mode::Tree ? dom_.binary(b) : bad_value("binary data"); }
  bool string(std::string& s) {
    if (mode_ == Mode::Tree) return dom_.string(s);
    if (mode_ == Mode::Merges && depth_ == 1) return add_merge_string(s);
    if (mode_ == Mode::Merges && depth_ == 2) {
      pair_.push_back(std::move(s));
      return true;
    }
    return bad_value("a string");
  }
  bool start_object(std::size_t n) {
    if (mode_ == Mode::Tree) {
      if (at("vocab")) {
        mode_ = Mode::Vocab, depth_ = 1, big_.have_vocab = true;
        return true;
      }
      frames_.emplace_back();
      return dom_.start_object(n);
    }
    if (depth_++ >= 1) return bad_value("an object");
    return true;
  }
  bool key(std::string& k) {
    if (mode_ == Mode::Tree) {
      frames_.back() = k;
      return dom_.key(k);
    }
    key_ = k;
    return true;
  }
  bool end_object() {
    if (mode_ == Mode::Tree) {
      frames_.pop_back();
      return dom_.end_object();
    }
    if (--depth_ == 0) mode_ = Mode::Tree;
    return true;
  }
  bool start_array(std::size_t n) {
    if (mode_ == Mode::Tree) {
      if (at("merges")) {
        mode_ = Mode::Merges, depth_ = 1, big_.have_merges = true;
        return true;
      }
      frames_.emplace_back();
      return dom_.start_array(n);
    }
    if (mode_ == Mode::Merges && depth_ == 1) pair_.clear();
    if (mode_ != Mode::Merges || depth_++ >= 2) return bad_value("an array");
    return true;
  }
  bool end_array() {
    if (mode_ == Mode::Tree) {
      frames_.pop_back();
      return dom_.end_array();
    }
    if (--depth_ == 0) {
      mode_ = Mode::Tree;
      return true;
    }
    if (pair_.size() != 2) fail("expected [\"left\", \"right\"]");
    big_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
    return true;
  }
  bool parse_error(std::size_t pos, const std::string& tok, const nlohmann::detail::exception& e) {
    return dom_.parse_error(pos, tok, e);
  }

 private:
  enum class Mode { Tree, Vocab, Merges };
  // True when the value about to start is root.model.<name>.
  bool at(const char* name) const { return frames_.size() == 2 && frames_[0] == "model" && frames_[1] == name; }
  [[noreturn]] void fail(const std::string& msg) const {
    if (mode_ == Mode::Vocab) throw Error(origin_ + ": model.vocab[\"" + key_ + "\"]: " + msg);
    throw Error(origin_ + ": model.merges[" + std::to_string(big_.merges.size()) + "]: " + msg);
  }
  bool bad_value(const char* what) const {
    fail(std::string("unexpected ") + what + (mode_ == Mode::Vocab ? ", expected a token id" : ""));
  }
  bool add_vocab(int64_t id) {
    if (id < 0 || id >= (int64_t(1) << 30)) fail("token id " + std::to_string(id) + " is out of range");
    big_.vocab.emplace_back(key_, id);
    return true;
  }
  // The legacy form "left right": exactly one space, as the reference requires.
  bool add_merge_string(const std::string& s) {
    size_t sp = s.find(' ');
    if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
      fail("expected \"left right\" with exactly one space, found \"" + s + "\"");
    big_.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    return true;
  }

  dom_parser dom_;
  BigFields& big_;
  const std::string& origin_;
  std::vector<std::string> frames_;  // per open container of the tree: the last key seen ("" for arrays)
  Mode mode_ = Mode::Tree;
  int depth_ = 0;
  std::string key_;
  std::vector<std::string> pair_;
};

}  // namespace seek
