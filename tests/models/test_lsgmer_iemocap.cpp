// IEMOCAP through the features-you-bring path: configs/lsgmer_iemocap.yaml on a generated
// five-session feature CSV (generic csv format, session = the group of leave-one-session-out).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "core/options.h"
#include "data/load.h"
#include "train/config.h"
#include "train/experiment.h"

namespace fs = std::filesystem;
using namespace emofuse;

namespace {

fs::path config_path() {
  const char* src = std::getenv("EMOFUSE_SOURCE_DIR");
  return fs::path(src && *src ? src : ".") / "configs" / "lsgmer_iemocap.yaml";
}

// 5 sessions x 2 dialogues x 6 utterances, 4 classes; text t_0..t_5 and audio a_0..a_3 carry
// the class (a shifted mean) plus noise.
fs::path write_iemocap_like(const fs::path& dir, std::map<std::string, int>& rows_per_session) {
  fs::create_directories(dir);
  std::mt19937 gen(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  const char* classes[4] = {"neu", "hap", "ang", "sad"};
  std::ofstream csv(dir / "iemocap_features.csv");
  csv << "session,dialog,utterance,emotion";
  for (int k = 0; k < 6; ++k) csv << ",t_" << k;
  for (int k = 0; k < 4; ++k) csv << ",a_" << k;
  csv << "\n";
  for (int s = 1; s <= 5; ++s) {
    const std::string session = "Ses0" + std::to_string(s);
    for (int d = 0; d < 2; ++d) {
      for (int u = 0; u < 6; ++u) {
        const int c = (u + d + s) % 4;
        csv << session << "," << session << "F_impro0" << d << "," << session << "F_impro0" << d << "_F00" << u << ","
            << classes[c];
        for (int k = 0; k < 6; ++k) csv << "," << (k == c ? 2.0 : 0.0) + noise(gen);
        for (int k = 0; k < 4; ++k) csv << "," << (k == c ? 1.5 : 0.0) + noise(gen);
        csv << "\n";
        ++rows_per_session[session];
      }
    }
  }
  std::ofstream yaml(dir / "dataset.yaml");
  yaml << "format: csv\npath: iemocap_features.csv\nsubject_column: session\n"
          "trial_column: dialog\nlabel_column: emotion\nclasses: [neu, hap, ang, sad]\n"
          "modalities:\n  - {name: text, role: text, prefix: \"t_\"}\n"
          "  - {name: audio, role: audio, prefix: \"a_\"}\n";
  return dir / "dataset.yaml";
}

}  // namespace

TEST(LsgmerIemocap, LeaveOneSessionOutFromTheShippedConfig) {
  if (!fs::exists(config_path())) {
    GTEST_SKIP() << config_path() << " not found (run from the source tree or through ctest)";
  }
  const auto dir = fs::temp_directory_path() / ("emofuse_iemocap_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::map<std::string, int> rows_per_session;
  const auto dataset_yaml = write_iemocap_like(dir, rows_per_session);

  auto root = load_yaml_file(config_path().string());
  root["data"]["path"] = dataset_yaml.string();  // what --data does
  root["threads"] = 1;
  root["training"]["epochs"] = 2;
  root["training"]["progress"] = false;
  root["model"]["options"]["d_model"] = 16;
  root["output"]["run_dir"] = (dir / "run").string();
  const auto config = train::parse_experiment_config(root);
  EXPECT_EQ(config.model_name, "lsgmer");
  auto loaded = data::load_data(config.data, config.seed, config.run_dir);
  const auto& ds = loaded.dataset;
  ASSERT_EQ(ds.size(), 60);
  ASSERT_EQ(ds.num_modalities(), 2);
  EXPECT_EQ(ds.modality(0).role, data::ModalityRole::kText);
  EXPECT_EQ(ds.modality(1).role, data::ModalityRole::kAudio);
  EXPECT_EQ(ds.unique_subjects().size(), 5u);  // the sessions

  train::RunOptions quiet;
  quiet.quiet = true;
  const auto result = train::run_experiment(config, ds, quiet);
  ASSERT_EQ(result.folds.size(), 5u);  // one fold per session
  int64_t tested = 0;
  for (size_t f = 0; f < result.folds.size(); ++f) {
    const auto& fold = result.folds[f];
    const std::string session = "Ses0" + std::to_string(f + 1);
    EXPECT_NE(fold.name.find(session), std::string::npos) << fold.name;
    EXPECT_EQ(fold.test_size, rows_per_session[session]) << fold.name;  // the whole session
    EXPECT_EQ(fold.validation_size, 12) << fold.name;                   // one training session of 12 utterances
    EXPECT_EQ(fold.train_size, 36) << fold.name;                        // the other three
    EXPECT_TRUE(fold.metrics.count("weighted_f1")) << fold.name;
    tested += fold.test_size;
  }
  EXPECT_EQ(tested, 60);  // every utterance tested exactly once
  fs::remove_all(dir);
}
