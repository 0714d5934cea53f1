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
void register_ldl_bench_command(CLI::App& app);
void register_features_command(CLI::App& app);
void register_report_command(CLI::App& app);
void register_stream_command(CLI::App& app);  // cli/stream.cpp
void register_replay_command(CLI::App& app);  // cli/stream.cpp

/// Simulates `subjects` raw WESAD-layout recordings (ECG, EDA, PPG, respiration, temperature,
/// acceleration driven by the condition) under <folder>/raw, extracts window features into
/// <folder>/features and returns that folder (a csv-format dataset).
std::string make_raw_demo_dataset(const std::string& folder, int subjects, double condition_seconds, uint64_t seed);

/// Adds `--threads N` (0 = all cores) to `command`, bound to `threads`.
void add_threads_option(CLI::App* command, int& threads);
/// The range check of every `--threads` flag: 0 to max_thread_count() (4x the hardware threads).
CLI::Validator thread_count_range();

}  // namespace emofuse::cli
