// Parsing of command-line values shared by several commands. Errors name the option and the bad piece.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/weight.h"
#include "model/kv_cache.h"

namespace seek::cli {

std::vector<int32_t> parse_token_list(const std::string& s, const char* option);  // "0,17,200"
Precision parse_precision(const std::string& s);                                  // f32 | bf16
AttnForm parse_attn(const std::string& s);                                        // naive | absorb
double now_seconds();

// --threads N on `cmd`, into `threads` (left at 0, meaning all cores, when not given). The one parser every
// command uses: a value outside 1 .. max_pool_threads() is an error naming the option.
void add_threads_option(CLI::App* cmd, int& threads);

}  // namespace seek::cli
