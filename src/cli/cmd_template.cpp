// `seek template`: render a chat template for a messages file, exactly as the model would see it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "text/chat/chat_template.h"
#include "text/jinja/jinja.h"

namespace seek::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct TemplateArgs {
  std::string model, messages, builtin, template_file, context_file, jsonl;
  bool add_generation_prompt = false;
  bool show_source = false;
};

std::string read_file(const std::string& path, const char* what) {
  if (std::filesystem::is_directory(path)) throw Error(path + ": is a folder, expected a " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(std::string("cannot read ") + what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ojson parse_json(const std::string& text, const std::string& where) {
  try {
    return ojson::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
}

void write_stdout(const std::string& s) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) throw Error("cannot write to stdout");
  std::fflush(stdout);
}

ChatTemplate load(const TemplateArgs& a) {
  std::optional<ChatTemplate> ct;
  std::optional<BuiltinChat> builtin;
  if (!a.builtin.empty()) builtin = parse_builtin_chat(a.builtin);
  if (!a.model.empty()) {
    ct = ChatTemplate::from_model_dir(a.model, builtin);
    if (builtin && !ct->is_builtin()) ct = ct->with_builtin(*builtin);
  } else if (builtin) {
    ct = ChatTemplate::builtin(*builtin);
  }
  if (!a.template_file.empty()) {
    const std::string source = read_file(a.template_file, "template file");
    ct = ct ? ct->with_source(source, a.template_file) : ChatTemplate::from_source(source, {}, a.template_file);
  }
  if (!ct) throw Error("template: give --model DIR, --builtin deepseek-v3|deepseek-r1 or --template FILE.jinja");
  return *ct;
}

// A messages file is an array of {role, content}, or a request-like object {"messages": [...], other variables...}.
void split_request(const ojson& doc, const std::string& where, ojson& messages, ojson& context) {
  if (doc.is_array()) {
    messages = doc;
  } else if (doc.is_object() && doc.contains("messages")) {
    messages = doc["messages"];
    for (auto it = doc.begin(); it != doc.end(); ++it)
      if (it.key() != "messages") context[it.key()] = it.value();
  } else {
    throw Error(where + ": expected a JSON array of messages or an object with \"messages\"");
  }
}

std::string dump_line(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Hidden batch mode for tests: each input line {"messages", "add_generation_prompt", "context"} gives one output
// line {"ok": true, "text": ...} or {"ok": false, "error": ...}. A line with "template" (source text) renders that
// template with "context" alone, to test the engine on snippets.
void run_jsonl(const ChatTemplate& ct, const TemplateArgs& a) {
  std::ifstream in(a.jsonl, std::ios::binary);
  if (!in) throw Error("cannot read jsonl file " + a.jsonl);
  std::string line, out;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    ojson result;
    try {
      const ojson job = parse_json(line, a.jsonl + " line " + std::to_string(n));
      if (!job.is_object()) throw Error(a.jsonl + " line " + std::to_string(n) + ": expected an object");
      const bool agp = job.value("add_generation_prompt", false);
      const ojson ctx = job.contains("context") ? job["context"] : ojson::object();
      if (job.contains("template")) {
        if (!job["template"].is_string()) throw Error("\"template\" must be a string");
        const jinja::Template snippet(job["template"].get<std::string>(), "snippet " + std::to_string(n));
        result = {{"ok", true}, {"text", snippet.render(ctx)}};
      } else {
        result = {{"ok", true}, {"text", ct.render(job.value("messages", ojson::array()), agp, ctx)}};
      }
    } catch (const Error& e) {
      result = {{"ok", false}, {"error", e.what()}};
    }
    out += dump_line(result);
  }
  write_stdout(out);
}

void run(const TemplateArgs& a) {
  const ChatTemplate ct = load(a);
  ojson context = ojson::object();
  if (!a.context_file.empty()) {
    context = parse_json(read_file(a.context_file, "context file"), a.context_file);
    if (!context.is_object()) throw Error(a.context_file + ": expected a JSON object of template variables");
  }
  if (a.show_source) {
    write_stdout(ct.source(context.contains("tools")));
    return;
  }
  if (!a.jsonl.empty()) {
    run_jsonl(ct, a);
    return;
  }
  if (a.messages.empty()) throw Error("template: --messages FILE.json is required");
  ojson messages;
  split_request(parse_json(read_file(a.messages, "messages file"), a.messages), a.messages, messages, context);
  write_stdout(ct.render(messages, a.add_generation_prompt, context));
}

}  // namespace

void register_template(CLI::App& app) {
  auto args = std::make_shared<TemplateArgs>();
  auto* cmd = app.add_subcommand("template", "render a chat template for a conversation (prints the prompt text)");
  cmd->add_option("--model", args->model, "model folder (tokenizer_config.json / chat_template.jinja)");
  cmd->add_option(
      "--messages", args->messages,
      "JSON file: a messages array [{\"role\", \"content\"}, ...], or {\"messages\": [...], \"tools\": [...], ...}");
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt, "end with the assistant's turn opening");
  cmd->add_option("--builtin", args->builtin, "use a built-in template: deepseek-v3 or deepseek-r1")
      ->check(CLI::IsMember({"deepseek-v3", "deepseek-r1"}));
  cmd->add_option("--template", args->template_file, "render this Jinja template file instead");
  cmd->add_option("--context", args->context_file,
                  "JSON object of extra template variables (tools, enable_thinking, bos_token, ...)");
  cmd->add_flag("--show-source", args->show_source, "print the template source instead of rendering");
  cmd->add_option("--jsonl", args->jsonl, "batch mode for tests")->group("");
  cmd->callback([args] { run(*args); });
}

}  // namespace seek::cli
