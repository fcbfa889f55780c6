// Runs a Grammar over bytes. A parse state is a small set of configurations; each configuration is a stack of
// frames (a node and its position inside it). Stacks are persistent: a configuration holds its top frame by value
// and the rest as an index into an arena of immutable cells, so branching and backtracking (the token-trie walk
// tries thousands of continuations per step) copy 32 bytes, not a stack.
//
// Every configuration the matcher produces has a completion (nodes are checked for satisfiability, numbers and
// patterns for reachability), so a state is never a dead end.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "infer/grammar/grammar.h"

namespace seek::grammar {

struct Frame {
  uint32_t node = kNone;  // kNone: the document is finished (empty stack)
  uint32_t a = 0;         // per-kind state (phase, counters)
  uint64_t x = 0, y = 0;  // per-kind state
  bool operator==(const Frame&) const = default;
};

struct Config {
  Frame top;
  int32_t rest = -1;   // arena cell of the frame below top, -1 when top is the last frame
  uint32_t depth = 0;  // frames below top
  bool operator==(const Config&) const = default;
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Grammar> g);

  Config start() const { return Config{Frame{grammar_->root}, -1, 0}; }
  // Appends to `out` every configuration reached from `c` by one byte / one whole token (a Tok node).
  void feed_byte(const Config& c, uint8_t byte, std::vector<Config>& out);
  void feed_token(const Config& c, int32_t token, std::vector<Config>& out);
  // The configuration can stop here: what it matched is a whole document.
  bool can_end(const Config& c) const;
  // The document is finished and nothing may follow.
  static bool done(const Config& c) { return c.top.node == kNone; }
  // Fewest bytes (a Tok counting 1) that complete `c`; following a shortest completion lowers it by one per byte.
  uint64_t min_units(const Config& c) const;

  // Arena bookkeeping: cells pushed after mark() are dropped by release(mark) (configurations that use them must
  // be gone by then); compact() keeps only what `live` uses.
  size_t mark() const { return arena_.size(); }
  void release(size_t mark) { arena_.resize(mark); }
  void compact(std::vector<Config>& live);

  const Grammar& grammar() const { return *grammar_; }
  // `c` is inside the body of a string (nothing pending, no pattern, no excluded keys still matching) where any
  // `cps` more plain characters are allowed: a plain token leaves it there.
  bool plain_string_body(const Config& c, uint32_t cps) const;

 private:
  struct Cell {
    Frame frame;
    int32_t parent;
    uint32_t depth;
  };
  // One step of a frame; see matcher.cpp for the protocol.
  void feed(Config c, int byte, int32_t token, std::vector<Config>& out);
  Config push(const Config& c, const Frame& parent_state, const Frame& child);
  Config pop(const Config& c) const;
  void emit(Config c, std::vector<Config>& out) const;
  bool final(const Frame& f) const;
  bool frame_can_end(const Frame& f) const;
  uint64_t frame_min(const Frame& f) const;
  uint64_t str_min(const Frame& f) const;
  uint64_t arr_min(const Frame& f) const;
  uint64_t obj_min(const Frame& f) const;

  // Per-kind steps; each returns after appending the results (possibly none) to out, or sets `c` and returns
  // true to continue the loop with the byte (a pop or a push that hands the byte to a child).
  bool step_str(Config& c, int byte, std::vector<Config>& out);
  bool step_num(Config& c, int byte, std::vector<Config>& out);
  bool step_arr(Config& c, int byte, std::vector<Config>& out);
  bool step_obj(Config& c, int byte, std::vector<Config>& out);

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Cell> arena_;
};

// Number helpers shared with Grammar::finalize (matcher_number.cpp).
// Fewest bytes that finish a number frame (kInf: none); with `any`, some finite count as soon as one is found.
uint64_t num_min_rest(const NumSpec& spec, const Frame& f, bool any = false);
uint64_t num_start_min(const NumSpec& spec);

}  // namespace seek::grammar
