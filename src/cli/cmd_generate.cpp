// seek generate: continue token ids (--tokens, prints ids) or answer a prompt through the model's chat template
// (--prompt, prints text; --raw feeds the text as is). --json / --json-schema FILE constrain the answer to a JSON
// object / a value valid against the schema (constrained decoding, as response_format does in the API); --tools
// FILE (an OpenAI tools array) forces one call to one of them (tool_choice "required") and prints the parsed call.
// --adapter DIR applies a LoRA adapter.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/sampling_options.h"
#include "core/error.h"
#include "core/parallel.h"
#include "infer/assistant.h"
#include "infer/constraint.h"
#include "infer/mtp_speculation.h"
#include "infer/reasoning.h"
#include "infer/tool_calls.h"
#include "infer/session.h"
#include "model/deepseek.h"
#include "model/language_model.h"
#include "model/lora.h"

namespace seek::cli {

namespace {
struct GenerateArgs {
  std::string model, adapter, tokens, prompt, template_name, attn = "absorb", dtype = "f32", json_schema, tools,
      speculative = "none";
  bool raw = false, ignore_eos = false, print_ids = false, json = false;
  int64_t max_new = 32;
  SamplingFlags sampling;
  int threads = 0;
  CLI::Option *tokens_opt = nullptr, *prompt_opt = nullptr;  // given-but-empty is an error, not "absent"
};

void print_speed(const GenerationResult& r) {
  std::fprintf(stderr, "prompt %lld tokens in %.3fs (%.1f tok/s), generated %zu tokens in %.3fs (%.1f tok/s), %s\n",
               (long long)r.prompt_tokens, r.prefill_seconds, double(r.prompt_tokens) / r.prefill_seconds,
               r.tokens.size(), r.decode_seconds,
               r.decode_seconds > 0 ? double(r.tokens.size()) / r.decode_seconds : 0.0, finish_reason_name(r.finish));
}

nlohmann::ordered_json read_json_file(const std::string& path, const char* option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(std::string(option) + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) throw Error(std::string(option) + ": " + path + " is not valid JSON");
  return j;
}

bool constrained(const GenerateArgs& a) { return a.json || !a.json_schema.empty() || !a.tools.empty(); }

std::unique_ptr<TokenConstraint> make_constraint(const GenerateArgs& a, const Assistant& as) {
  if (!constrained(a)) return nullptr;
  if (int(a.json) + int(!a.json_schema.empty()) + int(!a.tools.empty()) > 1)
    throw Error("give at most one of --json, --json-schema and --tools");
  auto vocab = TokenVocabulary::build(as.tokenizer, as.stop_ids);
  if (a.json) return json_constraint(vocab, static_cast<const nlohmann::ordered_json*>(nullptr));
  const std::string& file = a.tools.empty() ? a.json_schema : a.tools;
  nlohmann::ordered_json j = read_json_file(file, a.tools.empty() ? "--json-schema" : "--tools");
  try {
    if (!a.tools.empty()) return tool_call_constraint(vocab, detect_tool_call_syntax(as.chat.source(true)), j);
    return json_constraint(vocab, &j);
  } catch (const Error& e) {
    throw Error(file + ": " + e.what());
  }
}

// The calls in the generated text, as one JSON line: {"tool_calls": [{"name": ..., "arguments": "..."}]}.
void print_tool_calls(const Assistant& as, const std::string& text) {
  ToolCallParser parser(detect_tool_call_syntax(as.chat.source(true)));
  parser.feed(text);
  parser.finish();
  nlohmann::json calls = nlohmann::json::array();
  for (const ToolCall& c : parser.calls()) calls.push_back({{"name", c.name}, {"arguments", c.arguments}});
  std::printf("%s\n", nlohmann::json{{"tool_calls", calls}}.dump().c_str());
}

// Session::generate, and when the model's logits come out non-finite (NaN or infinite weights), a rerun of the
// tokens so far with a check after every layer, so the error names the layer that produced them.
GenerationResult generate_checked(Session& session, const LanguageModel& model, const GenerationRequest& req,
                                  const ForwardOptions& opt, AttnForm form,
                                  const std::function<void(const std::string&)>& on_text) {
  try {
    return session.generate(req, on_text);
  } catch (const NonFiniteLogits& e) {
    std::vector<int32_t> tokens = req.prompt;
    tokens.insert(tokens.end(), e.generated.begin(), e.generated.end());
    explain_nonfinite_logits(model, tokens, form, opt);
  }
}

// --speculative mtp: the model's MTP module drafts, the model verifies (infer/mtp_speculation.h).
void generate_speculative(const GenerateArgs& a, const LanguageModel& model, const GenerationRequest& req,
                          const ForwardOptions& opt) {
  const auto* ds = dynamic_cast<const DeepSeekModel*>(&model);
  if (!ds) throw Error("--speculative mtp: " + a.model + " is a " + model.architecture() + " model; MTP drafting needs a DeepSeek model with an MTP module");
  const SpeculativeResult r = mtp_speculative_generate(*ds, req.prompt, req.max_tokens, req.sampling, req.stop_ids,
                                                       opt, parse_attn(a.attn));
  std::vector<int32_t> out = r.tokens;
  if (r.stopped) out.pop_back();  // as plain generation reports them: the stop id is not a generated token
  std::printf("%s\n", nlohmann::json(out).dump().c_str());
  std::fprintf(stderr,
               "prompt %zu tokens in %.3fs, generated %zu tokens in %.3fs (%.1f tok/s), %s; speculative: %lld of %lld "
               "drafts kept (%.1f%%), %.2f tokens per main-model step\n",
               req.prompt.size(), r.prefill_seconds, r.tokens.size(), r.decode_seconds,
               r.decode_seconds > 0 ? double(r.tokens.size()) / r.decode_seconds : 0.0, r.stopped ? "stop" : "length",
               (long long)r.accepted, (long long)r.drafted, 100.0 * r.acceptance(),
               r.steps ? double(r.tokens.size() - 1) / double(r.steps) : 0.0);
}

// --tokens: ids in, ids out; greedy unless asked otherwise.
void generate_ids(const GenerateArgs& a, GenerationRequest req, const ForwardOptions& opt) {
  if (!a.sampling.stop.empty()) throw Error("--stop needs --prompt (stop strings are matched on text)");
  if (!a.template_name.empty()) throw Error("--template needs --prompt (token ids are not templated)");
  if (constrained(a)) throw Error("--json, --json-schema and --tools need --prompt");
  req.prompt = parse_token_list(a.tokens, "--tokens");
  auto model = load_model_with_adapter(a.model, a.adapter);
  SamplingParams greedy;
  greedy.temperature = 0;
  req.sampling = a.sampling.apply(greedy);
  if (!a.ignore_eos)
    for (int64_t id : model->eos_token_ids()) req.stop_ids.push_back(int32_t(id));
  if (a.speculative == "mtp") {
    if (!a.adapter.empty()) throw Error("--speculative mtp: not with --adapter yet");
    return generate_speculative(a, *model, req, opt);
  }
  const AttnForm form = parse_attn(a.attn);
  Session session(*model, nullptr, opt, form);
  GenerationResult r = generate_checked(session, *model, req, opt, form, [](const std::string&) {});
  std::printf("%s\n", nlohmann::json(r.tokens).dump().c_str());
  print_speed(r);
}

// --prompt: text in (through the chat template unless --raw), text out as it streams.
void generate_text(const GenerateArgs& a, GenerationRequest req, const ForwardOptions& opt) {
  if (a.prompt.empty()) throw Error("--prompt: empty; give the text to answer or continue");
  if (a.speculative != "none") throw Error("--speculative needs --tokens for now (text streaming runs without it)");
  if (a.raw && !a.template_name.empty()) throw Error("--template and --raw contradict (--raw uses no template)");
  req.stop = a.sampling.stop_strings();
  std::optional<BuiltinChat> override_template;
  if (!a.template_name.empty()) override_template = parse_builtin_chat(a.template_name);
  Assistant as = Assistant::load(a.model, override_template, a.adapter);
  req.sampling = a.sampling.apply(as.sampling);
  if (!a.ignore_eos) req.stop_ids = as.stop_ids;
  bool opens_reasoning = false;
  if (a.raw) {
    req.prompt = as.encode_raw(a.prompt);
  } else {
    const nlohmann::json messages = nlohmann::json::array({{{"role", "user"}, {"content", a.prompt}}});
    std::string rendered = a.tools.empty()
                               ? as.render(messages, true)
                               : as.chat.render(messages, true, {{"tools", read_json_file(a.tools, "--tools")}});
    opens_reasoning = prompt_opens_reasoning(rendered);
    // Constrained output is the answer itself: a reasoning block the template opened is closed (empty) first.
    if (opens_reasoning && constrained(a)) rendered += "</think>\n\n", opens_reasoning = false;
    req.prompt = as.encode_prompt(rendered);
  }
  std::unique_ptr<TokenConstraint> constraint = make_constraint(a, as);
  req.constraint = constraint.get();
  const AttnForm form = parse_attn(a.attn);
  Session session(*as.model, &as.tokenizer, opt, form);
  // A reasoning model's template opened <think> in the prompt; print it so the text reads as the model wrote it.
  bool started = false;
  GenerationResult r = generate_checked(session, *as.model, req, opt, form, [&](const std::string& piece) {
    if (!started && opens_reasoning) std::fputs("<think>\n", stdout);
    started = true;
    std::fputs(piece.c_str(), stdout);
    std::fflush(stdout);
  });
  std::fputs("\n", stdout);
  if (!a.tools.empty()) print_tool_calls(as, r.text);
  if (a.print_ids) std::printf("%s\n", nlohmann::json(r.tokens).dump().c_str());
  print_speed(r);
}

void run_generate(const GenerateArgs& a) {
  set_num_threads(a.threads);
  const bool ids = a.tokens_opt->count() > 0, text = a.prompt_opt->count() > 0;
  if (ids == text) throw Error("give exactly one of --tokens or --prompt");
  if (a.max_new < 0) throw Error("--max-new must be >= 0, got " + std::to_string(a.max_new));
  ForwardOptions opt;
  opt.precision = parse_precision(a.dtype);
  GenerationRequest req;
  req.max_tokens = a.max_new;
  if (ids)
    generate_ids(a, req, opt);
  else
    generate_text(a, req, opt);
}
}  // namespace

void register_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "continue token ids (--tokens) or answer a prompt (--prompt)");
  cmd->add_option("--model", a->model, "model folder")->required();
  cmd->add_option("--adapter", a->adapter, "LoRA adapter folder (PEFT layout, e.g. from seek sft) to apply");
  a->tokens_opt = cmd->add_option("--tokens", a->tokens,
                                  "prompt token ids, comma-separated; prints the new ids (greedy by default)");
  a->prompt_opt =
      cmd->add_option("--prompt", a->prompt, "prompt text, sent through the model's chat template; prints the text");
  cmd->add_flag("--raw", a->raw, "with --prompt: feed the text as is, without the chat template");
  cmd->add_option("--template", a->template_name,
                  "with --prompt: this built-in template instead of the folder's: deepseek-v3 or deepseek-r1");
  cmd->add_option("--max-new,--max-tokens", a->max_new, "maximum number of tokens to generate")->capture_default_str();
  cmd->add_flag("--ignore-eos", a->ignore_eos, "keep generating after the end-of-sequence token");
  cmd->add_flag("--print-ids", a->print_ids, "with --prompt: also print the generated ids");
  cmd->add_flag("--json", a->json, "with --prompt: the answer is a JSON object (constrained decoding)");
  cmd->add_option("--json-schema", a->json_schema, "with --prompt: the answer is JSON valid against this schema file");
  cmd->add_option("--tools", a->tools,
                  "with --prompt: an OpenAI tools array (JSON file); the answer is one call to one of them, printed "
                  "parsed on a last line");
  cmd->add_option("--attn", a->attn, "naive or absorb")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "f32 or bf16")->capture_default_str();
  cmd->add_option("--speculative", a->speculative,
                  "with --tokens: none, or mtp (the model's MTP module drafts a token per step; greedy output is "
                  "plain decoding's, sampled output is distributed as plain sampling's)")
      ->check(CLI::IsMember({"none", "mtp"}))
      ->capture_default_str();
  add_threads_option(cmd, a->threads);
  a->sampling.add_to(cmd);
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace seek::cli
