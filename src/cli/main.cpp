// emofuse: multimodal emotion (distribution) learning. See README.md and docs/.
//
// Exit codes (documented in README.md):
//   0  success (also --help)
//   1  the command ran and rejected its input: a data file, a config or an option value
//      (emofuse::Error, including DataError / OptionError), or LibTorch refused an operation
//   2  usage error: the command line itself could not be parsed (unknown flag or subcommand,
//      missing required option, a value of the wrong type or outside a flag's range)
// Every error is one line on stderr: `emofuse: error: <what>`.
#include <iostream>

#include "cli/commands.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/runtime.h"

namespace {

constexpr int kExitInputError = 1;
constexpr int kExitUsageError = 2;

int report(const std::string& message, int code) {
  std::cerr << "emofuse: error: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  emofuse::ensure_passive_omp_wait(argv);
  emofuse::reuse_freed_memory();  // LibTorch's per-step buffers stay mapped (core/memory.h)
  emofuse::set_command_line(argc, argv);
  CLI::App app{"emofuse: learn emotion distributions from physiological, behavioural, audio and text data"};
  app.require_subcommand(1);
  emofuse::cli::register_demo_command(app);
  emofuse::cli::register_synth_command(app);
  emofuse::cli::register_train_command(app);
  emofuse::cli::register_eval_command(app);
  emofuse::cli::register_predict_command(app);
  emofuse::cli::register_info_command(app);
  emofuse::cli::register_ablate_command(app);
  emofuse::cli::register_ldl_bench_command(app);
  emofuse::cli::register_features_command(app);
  emofuse::cli::register_report_command(app);
  emofuse::cli::register_stream_command(app);
  emofuse::cli::register_replay_command(app);
  // CLI11 reports an unknown first word only as "A subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      found = found || sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      return report("unknown subcommand '" + std::string(argv[1]) + "'; known: " + known + " (see 'emofuse --help')",
                    kExitUsageError);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all: prints and returns 0
    const auto parsed = app.get_subcommands();       // the subcommand named so far, if any
    const std::string help =
        "emofuse " + (parsed.empty() ? std::string() : parsed.front()->get_name() + " ") + "--help";
    return report(std::string(e.what()) + " (see '" + help + "')", kExitUsageError);
  } catch (const emofuse::Error& e) {
    return report(e.what(), kExitInputError);
  } catch (const c10::Error& e) {
    return report(e.what_without_backtrace(), kExitInputError);
  } catch (const std::exception& e) {
    return report(e.what(), kExitInputError);
  }
  return 0;
}
