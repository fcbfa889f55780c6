// An error answered in the OpenAI/DeepSeek shape: HTTP status and {"error": {"message", "type", "param", "code"}}.
// Request parsing throws it for anything a client sent wrong, naming the parameter; the server turns it into the
// response (and any other exception into a 500 that names what failed).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace seek::serve {

class ApiError : public Error {
 public:
  ApiError(int status, std::string type, std::string message, std::string param = "", std::string code = "")
      : Error(message), status(status), type(std::move(type)), param(std::move(param)), code(std::move(code)) {}
  int status;
  std::string type, param, code;
  nlohmann::json extra = nlohmann::json::object();  // more fields inside "error" (e.g. n_prompt_tokens, n_ctx)

  nlohmann::json body() const {
    nlohmann::json e = {{"message", what()}, {"type", type}, {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
                        {"code", code.empty() ? nlohmann::json() : nlohmann::json(code)}};
    e.update(extra);
    return {{"error", e}};
  }
};

// 400 invalid_request_error naming the parameter.
inline ApiError bad_param(const std::string& param, const std::string& message) {
  return ApiError(400, "invalid_request_error", message, param, "invalid_parameter");
}

}  // namespace seek::serve
