// Subcommands of the `emofuse` tool. Each register_* adds one subcommand to the app; its callback
// validates every option before loading data and throws emofuse::Error on bad input.
#pragma once

#include <CLI/CLI.hpp>

namespace emofuse::cli {

void register_demo_command(CLI::App& app);
void register_synth_command(CLI::App& app);
void register_train_command(CLI::App& app);
void register_eval_command(CLI::App& app);
void register_predict_command(CLI::App& app);
void register_info_command(CLI::App& app);
void register_ablate_command(CLI::App& app);

/// Adds `--threads N` (0 = all cores) to `command`, bound to `threads`.
void add_threads_option(CLI::App* command, int& threads);

}  // namespace emofuse::cli
