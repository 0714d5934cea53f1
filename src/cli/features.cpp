// `emofuse features`: raw recordings -> a feature dataset (features.csv + dataset.yaml) that
// `emofuse train --data <dir>` reads. Also builds the raw-signal demo cohort.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/io.h"
#include "signal/datasets.h"
#include "signal/live_features.h"
#include "signal/simulate.h"
#include "signal/windows.h"

namespace fs = std::filesystem;

namespace emofuse::cli {

void register_features_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("features", "Extract window features from raw recordings (WESAD layout or CSV)");
  struct Args {
    std::string dataset, data, out, annotations, subject;
    std::vector<std::string> subjects;
    double window = 5.0, step = 1.0, sampling_rate = 0.0, e4_offset = 0.0, context = 0.0;
    bool no_wrist = false, no_chest = false, causal = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--dataset", a->dataset, "wesad (raw WESAD folder) or csv (one recording + annotations)")
      ->required()
      ->check(CLI::IsMember({"wesad", "csv"}));
  cmd->add_option("--data", a->data, "WESAD root folder (S2/, S3/, ...) or the recording CSV")->required();
  cmd->add_option("--out,-o", a->out, "Output folder (features.csv, dataset.yaml)")->required();
  cmd->add_option("--window", a->window, "Window length in seconds")->capture_default_str();
  cmd->add_option("--step", a->step, "Window step in seconds")->capture_default_str();
  cmd->add_option("--annotations", a->annotations, "csv: annotation file with header start,end,label (seconds)");
  cmd->add_option("--sampling-rate", a->sampling_rate, "csv: sampling rate in Hz (0 = from the time column)")
      ->capture_default_str();
  cmd->add_option("--subject", a->subject, "csv: subject id (default: the recording file name)");
  cmd->add_option("--subjects", a->subjects, "wesad: only these subject folders (S2 S3 ...)");
  cmd->add_option("--e4-offset", a->e4_offset, "wesad: E4 start relative to the chest device, seconds")
      ->capture_default_str();
  cmd->add_flag("--no-wrist", a->no_wrist, "wesad: skip the wrist (E4) signals");
  cmd->add_flag("--no-chest", a->no_chest, "wesad: skip the chest (RespiBAN) signals");
  auto* causal = cmd->add_flag(
      "--causal", a->causal,
      "wesad: causal window features of the wrist streams, as `emofuse stream` computes them (each window "
      "from the last --context seconds before its end); writes feature_pipeline.yaml for a model that "
      "streams (docs/streaming.md)");
  cmd->add_option("--context", a->context,
                  "--causal: seconds of each stream a window is processed from (default: "
                  "the window)")
      ->check(CLI::PositiveNumber)
      ->needs(causal);
  cmd->callback([a] {
    require_option(a->window > 0, "--window", "must be > 0");
    require_option(a->step > 0, "--step", "must be > 0");
    signal::FeatureTable table;
    const fs::path pipeline_file = fs::path(a->out) / "feature_pipeline.yaml";
    std::string pipeline_yaml;
    if (a->causal) {
      if (a->dataset != "wesad")
        throw OptionError("--causal", "reads the WESAD layout's wrist streams (--dataset wesad)");
      if (a->no_wrist) throw OptionError("--causal", "uses the wrist streams; drop --no-wrist");
      signal::WesadCausalOptions o;
      o.window_s = a->window;
      o.hop_s = a->step;
      o.context_s = a->context > 0 ? a->context : a->window;
      require_option(o.context_s >= o.window_s, "--context", "must be >= --window");
      o.subjects = a->subjects;
      o.e4_offset_s = a->e4_offset;
      signal::LivePipeline pipeline;
      table = signal::extract_wesad_causal_features(a->data, o, pipeline);
      pipeline_yaml = signal::live_pipeline_yaml(pipeline);
    } else if (a->dataset == "wesad") {
      signal::WesadFeatureOptions o;
      o.window_s = a->window;
      o.step_s = a->step;
      o.wrist = !a->no_wrist;
      o.chest = !a->no_chest;
      o.subjects = a->subjects;
      o.e4_offset_s = a->e4_offset;
      table = signal::extract_wesad_features(a->data, o);
    } else {
      if (a->annotations.empty()) throw OptionError("--annotations", "required for --dataset csv");
      signal::CsvRecordingOptions o;
      o.window_s = a->window;
      o.step_s = a->step;
      o.sampling_rate = a->sampling_rate;
      o.subject = a->subject;
      table = signal::extract_csv_features(a->data, a->annotations, o);
    }
    if (table.size() == 0) throw Error(a->data + ": no labelled window found");
    // The pipeline file goes first and comes back last: a kill in between leaves a dataset without
    // one (`stream` refuses its models), never a pipeline that describes other features.
    std::error_code ignored;
    fs::remove(pipeline_file, ignored);
    signal::write_feature_dataset(table, a->out);
    if (!pipeline_yaml.empty()) write_text_atomic(pipeline_file.string(), pipeline_yaml);
    std::cout << "wrote " << table.size() << " windows x " << table.feature_names.size() << " features to " << a->out
              << "/features.csv (+ dataset.yaml); train with: emofuse train --data " << a->out << "\n";
  });
}

std::string make_raw_demo_dataset(const std::string& folder, int subjects, double condition_seconds, uint64_t seed) {
  const auto raw = (fs::path(folder) / "raw").string();
  const auto features = (fs::path(folder) / "features").string();
  fs::create_directories(raw);
  signal::wesad_write_fixture(raw, subjects, condition_seconds, seed);
  signal::WesadFeatureOptions o;  // 5 s windows every 1 s, wrist + chest
  auto table = signal::extract_wesad_features(raw, o);
  signal::write_feature_dataset(table, features);
  std::cerr << "raw demo: simulated " << subjects << " WESAD-layout recordings in " << raw << ", extracted "
            << table.size() << " windows x " << table.feature_names.size() << " features\n";
  return features;
}

}  // namespace emofuse::cli
