// An API request made ready to run: the JSON body of POST /v1/chat/completions or /v1/completions checked
// parameter by parameter (an ApiError naming the first bad one), rendered through the model's chat template,
// tokenized, and turned into one GenerationRequest per choice (n), each with its own constraint (JSON mode, a
// schema, a forced tool call, or a thinking budget) and seed.
//
// Reasoning: for a reasoning model the prompt opens "<think>\n" (appended when the template does not write it),
// unless the request turns thinking off (`chat_template_kwargs: {"enable_thinking": false}` or DeepSeek's
// `thinking: {"type": "disabled"}`), in which case the block is closed empty; constrained output (JSON, a forced tool
// call) always closes it first. `thinking_budget: N` forces "</think>" after N reasoning tokens.
// `reasoning_format: "none"` returns the raw text (no reasoning_content split).
//
// Seeds: choice i samples with seed + i (choice 0 with `seed` itself, so a request equals `seek generate --seed`);
// without a seed, a random one. Unknown fields are ignored, as OpenAI's API does.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/assistant.h"
#include "infer/constraint.h"
#include "infer/generation_stream.h"
#include "infer/tool_calls.h"

namespace seek::serve {

// What requests are checked against.
struct ServeLimits {
  std::string model_name;      // the served name; a request naming another model gets 404
  int64_t context = 0;         // each sequence's context (tokens)
  int64_t max_n = 16;          // most choices per request
  int64_t max_stop = 16;       // most stop strings
};

struct ApiRequest {
  bool chat = true, stream = false, include_usage = false;
  int64_t prompt_tokens = 0;
  bool started_in_reasoning = false;  // the prompt ends inside an open <think> block
  bool split_reasoning = true;        // reasoning_content apart from content (false: reasoning_format none)
  ToolCallSyntax tool_syntax = ToolCallSyntax::None;  // parse tool calls in this syntax (None: no tools)
  int64_t top_logprobs = -1;          // -1: no logprobs
  std::vector<GenerationRequest> choices;  // one per choice, in order
  std::vector<std::unique_ptr<TokenConstraint>> constraints;  // owned here; choices point at them
};

// Throws ApiError (400 for bad parameters, 404 for another model's name, 400 exceed_context_size_error for a prompt
// that does not fit the context).
std::unique_ptr<ApiRequest> parse_chat_request(const nlohmann::ordered_json& body, const Assistant& as,
                                               const std::shared_ptr<const TokenVocabulary>& vocab,
                                               const ServeLimits& limits);
std::unique_ptr<ApiRequest> parse_completion_request(const nlohmann::ordered_json& body, const Assistant& as,
                                                     const ServeLimits& limits);

}  // namespace seek::serve
