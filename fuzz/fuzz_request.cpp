// libFuzzer target: the API server's request parser (serve/request.cpp) on arbitrary request bodies, over a real
// model folder's tokenizer and chat template (SEEK_FUZZ_MODEL; tests/cli/fuzz_request.sh makes one). Every input
// must either parse into runnable requests or raise an ApiError with a 4xx status; any other exception, a crash or
// a sanitizer report is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "infer/assistant.h"
#include "infer/generation_stream.h"
#include "serve/api_error.h"
#include "serve/request.h"

namespace {
struct Served {
  seek::Assistant as;
  std::shared_ptr<const seek::TokenVocabulary> vocab;
  seek::serve::ServeLimits limits;
};

Served& served() {
  static Served* s = [] {
    const char* dir = std::getenv("SEEK_FUZZ_MODEL");
    if (!dir) std::fprintf(stderr, "set SEEK_FUZZ_MODEL to a model folder\n"), std::abort();
    auto* p = new Served{seek::Assistant::load(dir), nullptr, {}};
    p->vocab = seek::TokenVocabulary::build(p->as.tokenizer, p->as.stop_ids);
    p->limits.model_name = "m";
    p->limits.context = 256;
    return p;
  }();
  return *s;
}

void check(const seek::serve::ApiRequest& r, const Served& s) {
  for (const seek::GenerationRequest& g : r.choices) seek::check_generation_request(g, true, s.limits.context);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Served& s = served();
  const auto body = nlohmann::ordered_json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  for (bool chat : {true, false}) {
    try {
      auto r = chat ? seek::serve::parse_chat_request(body, s.as, s.vocab, s.limits)
                    : seek::serve::parse_completion_request(body, s.as, s.limits);
      check(*r, s);
    } catch (const seek::serve::ApiError& e) {
      if (e.status < 400 || e.status > 499) std::abort();
      (void)e.body().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return 0;
}
