// seek chat: talk to a model in the terminal. Replies stream as they are generated; a reasoning model's thinking is
// shown dimmed and apart from its answer, and only the answer goes back into the history (as the DeepSeek API
// does). Ctrl-C stops a reply, not the program.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/line_editor.h"
#include "cli/sampling_options.h"
#include "cli/terminal.h"
#include "core/error.h"
#include "core/parallel.h"
#include "infer/assistant.h"
#include "infer/reasoning.h"
#include "infer/session.h"

namespace seek::cli {

namespace {
using json = nlohmann::json;

struct ChatArgs {
  std::string model, adapter, system, prompt, template_name, attn = "absorb", dtype = "f32";
  int64_t max_tokens = 4096;
  bool hide_reasoning = false, ignore_eos = false;
  SamplingFlags sampling;
  int threads = 0;
  CLI::Option* prompt_opt = nullptr;  // --prompt '' is given (and an error), not absent
};

// Where reply text goes: reasoning dimmed (or to stderr in one-shot mode), answer plain. end() leaves every stream
// it wrote to at the start of a line, so the stats line that follows stands on its own.
struct ReplyPrinter {
  bool color, one_shot, hide_reasoning;
  bool answered = false, reasoning_open = false;

  FILE* reasoning_out() const { return one_shot ? stderr : stdout; }
  void close_reasoning(bool before_answer) {
    if (!reasoning_open) return;
    std::fprintf(reasoning_out(), "%s\n", reset(color));
    if (before_answer && !one_shot) std::fputs("\n", stdout);  // a blank line between reasoning and answer
    std::fflush(reasoning_out());
    reasoning_open = false;
  }
  void print(const TextEvent& e) {
    if (e.kind == TextKind::reasoning) {
      if (hide_reasoning) return;
      if (!reasoning_open) std::fprintf(reasoning_out(), "%s", dim(color));
      reasoning_open = true;
      std::fputs(e.text.c_str(), reasoning_out());
      std::fflush(reasoning_out());
      return;
    }
    close_reasoning(true);
    std::fputs(e.text.c_str(), stdout);
    std::fflush(stdout);
    answered = true;
  }
  void end() {
    close_reasoning(false);
    if (answered) std::fputs("\n", stdout);
    std::fflush(stdout);
  }
};

class Chat {
 public:
  Chat(const ChatArgs& a, Assistant& assistant)
      : a_(a), as_(assistant), session_(*assistant.model, &assistant.tokenizer, options(a), parse_attn(a.attn)) {
    sampling_ = a.sampling.apply(assistant.sampling);
    if (!a.system.empty()) system_ = a.system;
  }

  // One user turn: renders the conversation, streams the reply, records it. Returns the reply's result.
  GenerationResult turn(const std::string& user, bool one_shot, bool color) {
    json msgs = history();
    msgs.push_back({{"role", "user"}, {"content", user}});
    std::string rendered = as_.render(msgs, true);
    GenerationRequest req;
    req.prompt = as_.encode_prompt(rendered);
    req.max_tokens = a_.max_tokens;
    req.sampling = sampling_;
    req.stop = a_.sampling.stop_strings();
    if (!a_.ignore_eos) req.stop_ids = as_.stop_ids;
    ReasoningSplitter splitter(prompt_opens_reasoning(rendered));
    ReplyPrinter printer{color, one_shot, a_.hide_reasoning};
    InterruptGuard::clear();
    GenerationResult r = session_.generate(
        req,
        [&](const std::string& piece) {
          for (auto& e : splitter.feed(piece)) printer.print(e);
        },
        &InterruptGuard::flag());
    for (auto& e : splitter.finish()) printer.print(e);
    printer.end();
    SplitText parts = split_reasoning(r.text, prompt_opens_reasoning(rendered));
    turns_.push_back({{"role", "user"}, {"content", user}});
    json reply = {{"role", "assistant"}, {"content", parts.answer}};
    if (!parts.reasoning.empty()) reply["reasoning_content"] = parts.reasoning;
    turns_.push_back(reply);
    return r;
  }

  void reset() { turns_ = json::array(); }
  void set_system(const std::string& s) { system_ = s; }
  void save(const std::string& path) const {
    json out = {{"model", as_.dir}, {"messages", history(true)}};
    std::ofstream f(path);
    if (!f) throw Error(path + ": cannot write");
    f << out.dump(2) << "\n";
    if (!f) throw Error(path + ": write failed");
  }

 private:
  static ForwardOptions options(const ChatArgs& a) {
    ForwardOptions o;
    o.precision = parse_precision(a.dtype);
    return o;
  }
  // The messages as the template sees them (no reasoning), or as saved (with reasoning_content).
  json history(bool with_reasoning = false) const {
    json msgs = json::array();
    if (!system_.empty()) msgs.push_back({{"role", "system"}, {"content", system_}});
    for (const json& m : turns_) {
      json c = m;
      if (!with_reasoning) c.erase("reasoning_content");
      msgs.push_back(c);
    }
    return msgs;
  }

  const ChatArgs& a_;
  Assistant& as_;
  Session session_;
  SamplingParams sampling_;
  std::string system_;
  json turns_ = json::array();
};

void print_stats(const GenerationResult& r, bool color) {
  double tps = r.decode_seconds > 0 ? double(r.tokens.size()) / r.decode_seconds : 0.0;
  std::fprintf(stderr, "%s[%zu tokens, %.1f tok/s; prompt %lld tokens (%lld cached) in %.2fs; %s]%s\n", dim(color),
               r.tokens.size(), tps, (long long)r.prompt_tokens, (long long)r.cached_prompt_tokens, r.prefill_seconds,
               r.finish == FinishReason::cancelled ? "stopped" : finish_reason_name(r.finish), reset(color));
}

void run_chat(const ChatArgs& a) {
  set_num_threads(a.threads);
  if (a.max_tokens < 1) throw Error("--max-tokens must be >= 1, got " + std::to_string(a.max_tokens));
  const bool one_shot = a.prompt_opt->count() > 0;
  if (one_shot && a.prompt.empty()) throw Error("--prompt: empty; give the message to answer (or leave --prompt out)");
  a.sampling.stop_strings();  // checked before the model loads
  std::optional<BuiltinChat> override_template;
  if (!a.template_name.empty()) override_template = parse_builtin_chat(a.template_name);
  Assistant assistant = Assistant::load(a.model, override_template, a.adapter);
  Chat chat(a, assistant);
  const bool color = is_terminal(1);

  if (one_shot) {
    InterruptGuard guard;
    GenerationResult r = chat.turn(a.prompt, true, is_terminal(2));
    print_stats(r, is_terminal(2));
    return;
  }
  std::printf("%sseek chat%s — %s (%s%s). /help for commands; Ctrl-C stops a reply; Ctrl-D or /quit leaves.\n",
              bold(color), reset(color), a.model.c_str(), assistant.model->architecture().c_str(),
              assistant.reasoning ? ", reasoning" : "");
  InterruptGuard guard;
  LineEditor editor;
  std::string line;
  const std::string prompt = std::string(bold(color)) + "> " + reset(color);
  for (;;) {
    ReadResult rr = editor.read(prompt, line);
    if (rr == ReadResult::eof) {
      std::printf("\n");
      return;
    }
    if (rr == ReadResult::interrupted) {
      std::printf("\n(Ctrl-C stops a reply; to leave, type /quit or press Ctrl-D)\n");
      continue;
    }
    if (line.empty()) continue;
    if (line[0] == '/') {
      std::string cmd = line.substr(0, line.find(' '));
      std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      try {
        if (cmd == "/quit" || cmd == "/exit") return;
        if (cmd == "/reset") {
          chat.reset();
          std::printf("(history cleared)\n");
        } else if (cmd == "/system") {
          chat.set_system(arg);
          std::printf(arg.empty() ? "(system prompt removed)\n" : "(system prompt set)\n");
        } else if (cmd == "/save") {
          if (arg.empty()) throw Error("/save needs a file name");
          chat.save(arg);
          std::printf("(saved to %s)\n", arg.c_str());
        } else if (cmd == "/help") {
          std::printf(
              "/reset  clear the history\n/system TEXT  set the system prompt (empty: remove it)\n"
              "/save FILE  write the conversation as JSON\n/quit  leave\n");
        } else {
          std::printf("unknown command %s (/help lists them)\n", cmd.c_str());
        }
      } catch (const Error& e) {
        std::printf("error: %s\n", e.what());
      }
      continue;
    }
    try {
      GenerationResult r = chat.turn(line, false, color);
      print_stats(r, color);
    } catch (const Error& e) {
      std::printf("error: %s\n", e.what());
    }
  }
}
}  // namespace

void register_chat(CLI::App& app) {
  auto a = std::make_shared<ChatArgs>();
  auto* cmd =
      app.add_subcommand("chat", "talk to a model in the terminal (reasoning shown dimmed, apart from the answer)");
  cmd->add_option("--model", a->model, "model folder (config.json, safetensors, tokenizer.json)")->required();
  cmd->add_option("--adapter", a->adapter, "LoRA adapter folder (PEFT layout, e.g. from seek sft) to apply");
  a->prompt_opt =
      cmd->add_option("--prompt", a->prompt, "one-shot: answer this and exit (answer on stdout, reasoning on stderr)");
  cmd->add_option("--system", a->system, "system prompt");
  cmd->add_option("--max-tokens,--max-new", a->max_tokens, "maximum tokens per reply")->capture_default_str();
  cmd->add_option("--template", a->template_name,
                  "use this built-in template instead of the folder's: deepseek-v3 or deepseek-r1");
  cmd->add_flag("--hide-reasoning", a->hide_reasoning, "do not show the model's reasoning");
  cmd->add_flag("--ignore-eos", a->ignore_eos, "keep generating past end-of-sequence (testing)");
  cmd->add_option("--attn", a->attn, "MLA form: naive or absorb")->capture_default_str();
  cmd->add_option("--dtype", a->dtype, "f32 or bf16 compute")->capture_default_str();
  add_threads_option(cmd, a->threads);
  a->sampling.add_to(cmd);
  cmd->callback([a] { run_chat(*a); });
}

}  // namespace seek::cli
