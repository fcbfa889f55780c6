// An API response built from a job's events: the stream's chunks (chat.completion.chunk / text_completion) as the
// events arrive, and, once every choice has ended, the whole response (chat.completion / text_completion) and the
// usage. Streaming and non-streaming responses come from the same ChoiceOutputs, so they say the same thing.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serve/choice_output.h"
#include "serve/scheduler.h"

namespace seek::serve {

// nlohmann's dump, with bytes that are not UTF-8 replaced (a model may emit any bytes; the API must stay JSON).
std::string dump_json(const nlohmann::json& j);

class ResponseBuilder {
 public:
  ResponseBuilder(const ApiRequest& req, const Tokenizer& tok, std::string model_name);
  ~ResponseBuilder();

  // The stream chunks (JSON texts, without the "data: " framing) these events make.
  std::vector<std::string> add(const std::vector<JobEvent>& events);
  bool done() const { return open_ == 0; }
  // After done(): the usage chunk for a stream that asked for it (else empty), and the non-streaming body.
  std::string usage_chunk() const;
  nlohmann::json full_response() const;
  // The first choice that failed, if any (its message).
  const std::string& error() const { return error_; }

  nlohmann::json usage() const;
  double first_token_s = -1;  // seconds from submission to the first text, -1 before it
  int64_t completion_tokens = 0;

 private:
  struct Choice;
  nlohmann::json chunk(nlohmann::json choices) const;
  void delta_chunks(size_t i, const ChoiceDelta& d, std::vector<std::string>& out);
  void finish_choice(size_t i, GenerationResult&& r, std::vector<std::string>& out);
  nlohmann::json take_logprobs(Choice& c) const;

  const ApiRequest& req_;
  const Tokenizer& tok_;
  std::string model_, id_;
  int64_t created_;
  std::vector<Choice> choices_;
  size_t open_;
  std::string error_;
};

}  // namespace seek::serve
