// seek — the DeepSeek-V3/R1 engine. Dispatches to the subcommands registered in commands.h.
#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "core/error.h"

namespace {

// Every error is one line on stderr ("seek: error: ..."), whatever produced the text.
int fail(const char* prefix, std::string msg, int code) {
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  std::fprintf(stderr, "seek: %s: %s\n", prefix, msg.c_str());
  return code;
}

// A usage error from the option parser, with the command whose --help explains the options.
int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  std::string where = "seek";
  for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
  return fail("error", std::string(e.what()) + " (see `" + where + " --help`)", 1);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"seek: run, train and serve DeepSeek-V3/R1-architecture models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "seek 0.1.0");
  seek::cli::register_info(app);
  seek::cli::register_convert(app);
  seek::cli::register_forward(app);
  seek::cli::register_generate(app);
  seek::cli::register_demo(app);
  seek::cli::register_synth(app);
  seek::cli::register_bench(app);
  seek::cli::register_template(app);
  seek::cli::register_tokenize(app);
  seek::cli::register_detokenize(app);
  seek::cli::register_tokenizer_train(app);
  seek::cli::register_data(app);
  seek::cli::register_chat(app);
  seek::cli::register_loss_grad(app);
  seek::cli::register_train(app);
  seek::cli::register_rl(app);
  seek::cli::register_serve(app);
  seek::cli::register_cost(app);
  seek::cli::register_grade(app);
  seek::cli::register_eval(app);
  seek::cli::register_sample(app);
  seek::cli::register_task_corpus(app);
  seek::cli::register_sft(app);
  try {
    if (argc > 1 && argv[1][0] != '-') {
      const auto subs = app.get_subcommands([&](CLI::App* s) { return s->check_name(argv[1]); });
      if (subs.empty())
        return fail("error", std::string("unknown command '") + argv[1] + "' (seek --help lists them)", 1);
    }
    app.parse(argc, argv);
  } catch (const seek::cli::ExitStatus& e) {
    return e.code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  } catch (const seek::Error& e) {
    return fail("error", e.what(), 1);
  } catch (const std::bad_alloc&) {
    return fail("error", "out of memory", 1);
  } catch (const std::exception& e) {
    return fail("internal error", e.what(), 2);
  }
  return 0;
}
