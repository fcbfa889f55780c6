// Parsing of command-line values shared by several commands. Errors name the option and the bad piece.
#pragma once
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

}  // namespace seek::cli
