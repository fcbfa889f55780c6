// Each `seek <command>` lives in its own cmd_*.cpp and registers itself on the root app here.
#pragma once
#include <CLI/CLI.hpp>

namespace seek::cli {

// Thrown by a command that has said what it had to and ends with this exit status (e.g. 130 after Ctrl-C).
struct ExitStatus {
  int code;
};

void register_info(CLI::App& app);
void register_convert(CLI::App& app);
void register_forward(CLI::App& app);
void register_generate(CLI::App& app);
void register_demo(CLI::App& app);
void register_synth(CLI::App& app);
void register_bench(CLI::App& app);
void register_template(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_detokenize(CLI::App& app);
void register_tokenizer_train(CLI::App& app);
void register_data(CLI::App& app);
void register_chat(CLI::App& app);
void register_loss_grad(CLI::App& app);
void register_train(CLI::App& app);
void register_cost(CLI::App& app);
void register_grade(CLI::App& app);
void register_eval(CLI::App& app);
void register_sample(CLI::App& app);
void register_task_corpus(CLI::App& app);
void register_sft(CLI::App& app);
void register_rl(CLI::App& app);
void register_serve(CLI::App& app);

}  // namespace seek::cli
