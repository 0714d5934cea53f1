// emofuse: multimodal emotion (distribution) learning. See README.md and docs/.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/runtime.h"

int main(int argc, char** argv) {
  emofuse::ensure_passive_omp_wait(argv);
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const emofuse::Error& e) {
    std::cerr << "emofuse: error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "emofuse: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "emofuse: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
