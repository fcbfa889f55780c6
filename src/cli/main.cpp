// seek — the DeepSeek-V3/R1 engine. Dispatches to the subcommands registered in commands.h.
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"seek: run, train and serve DeepSeek-V3/R1-architecture models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "seek 0.1.0");
  seek::cli::register_info(app);
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
  seek::cli::register_cost(app);
  seek::cli::register_grade(app);
  seek::cli::register_eval(app);
  seek::cli::register_task_corpus(app);
  seek::cli::register_sft(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const seek::Error& e) {
    std::fprintf(stderr, "seek: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "seek: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seek: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
