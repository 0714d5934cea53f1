// Run folders: the fingerprint that ties a folder to one experiment, what a fresh run, --resume
// and --overwrite accept, atomic model bundles, named errors for files read back on resume, and
// kill -9 of the real `emofuse train` process at several points.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "data/load.h"
#include "data/synthetic.h"
#include "test_util.h"
#include "tiny_experiment.h"
#include "train/config.h"
#include "train/experiment.h"
#include "train/run_folder.h"

extern char** environ;

using namespace emofuse;
using namespace emofuse::train;
using namespace emofuse::models;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

// Two LOSO folds of a 4-subject cohort, two epochs: well under a second per run.
YAML::Node tiny_config(const std::string& model, const std::string& run_dir) {
  return testutil::tiny_experiment_config(model, run_dir, /*epochs=*/2);
}

RunOptions quiet_options(bool resume = false, bool overwrite = false) {
  RunOptions o;
  o.quiet = true;
  o.resume = resume;
  o.overwrite = overwrite;
  return o;
}

ExperimentResult run(const YAML::Node& root, const RunOptions& options) {
  auto config = parse_experiment_config(root);
  auto data = data::load_data(config.data, config.seed).dataset;
  return run_experiment(config, data, options);
}

// Runs `root` and stops it (an exception from the epoch hook) after epoch `epoch` of fold 2, so
// fold 1 is complete and fold 2 has a checkpoint.
void run_until_fold2_epoch(const YAML::Node& root, int epoch) {
  auto o = quiet_options();
  o.on_epoch_end = [epoch](const std::string& fold, const EpochRecord& r) {
    if (fold == "S02" && r.epoch + 1 == epoch) throw testutil::SimulatedKill();
  };
  EXPECT_THROW(run(root, o), testutil::SimulatedKill);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

using testutil::without_timings;

std::vector<fs::path> partials_under(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".partial") != std::string::npos) found.push_back(e.path());
  }
  return found;
}

}  // namespace

// ------------------------------------------------------------------------------------------ fingerprint

TEST(RunFolder, ResumeWithAnotherModelSeedOrEpochsIsRefusedNamingTheFields) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  run(tiny_config("mlp_early", run_dir), quiet_options());
  ASSERT_TRUE(fs::exists(run_dir + "/fingerprint.json"));

  auto other = tiny_config("late_fusion", run_dir);
  auto msg = testutil::error_message<DataError>([&] { run(other, quiet_options(/*resume=*/true)); });
  EXPECT_THAT(msg, HasSubstr(run_dir + "/fingerprint.json: model.name: mlp_early in the run, late_fusion now"));
  EXPECT_THAT(msg, HasSubstr("--overwrite"));

  other = tiny_config("mlp_early", run_dir);
  other["seed"] = 4;
  other["training"]["epochs"] = 3;
  msg = testutil::error_message<DataError>([&] { run(other, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr("fingerprint.json"));
  EXPECT_THAT(msg, HasSubstr("seed: 3 in the run, 4 now"));
  EXPECT_THAT(msg, HasSubstr("training.epochs: 2 in the run, 3 now"));

  // What changes no result may differ: the thread count and the progress display.
  auto same = tiny_config("mlp_early", run_dir);
  same["threads"] = 2;
  same["training"]["progress"] = true;
  EXPECT_EQ(run(same, quiet_options(true)).folds.size(), 2u);
}

TEST(RunFolder, ResumeOnOtherDataIsRefusedButAMovedDataFolderIsAccepted) {
  testutil::TempDir dir;
  data::SyntheticOptions o;
  o.subjects = 4;
  o.clips = 6;
  o.seconds = 3;
  data::write_synthetic_dmer(data::make_synthetic_cohort(o), dir.file("dmer"));
  auto root = tiny_config("mlp_early", dir.file("run"));
  root["data"] = YAML::Load("{format: dmer}");
  root["data"]["path"] = dir.file("dmer");
  run(root, quiet_options());

  // The same files in another folder: resumable (the data part compares content, not the path).
  fs::copy(dir.file("dmer"), dir.file("moved"));
  root["data"]["path"] = dir.file("moved");
  EXPECT_EQ(run(root, quiet_options(true)).folds.size(), 2u);

  // Same names and sizes, other values: the content hash differs.
  o.seed = 9;
  data::write_synthetic_dmer(data::make_synthetic_cohort(o), dir.file("moved"));
  auto msg = testutil::error_message<DataError>([&] { run(root, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(dir.file("run/fingerprint.json") + ": data.content_hash: "));
  EXPECT_THAT(msg, HasSubstr("in the run"));

  // A file less: named with its size.
  const auto size = fs::file_size(dir.file("dmer/S04.mat"));
  fs::remove(dir.file("dmer/S04.mat"));
  root["data"]["path"] = dir.file("dmer");
  msg = testutil::error_message<Error>([&] { run(root, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr("data.files[S04.mat]: " + std::to_string(size) + " bytes in the run, (absent) now"));
}

TEST(RunFolder, ResumeWithoutFingerprintIsRefused) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  fs::create_directories(run_dir + "/folds/01_S01");
  testutil::write_file(run_dir + "/config.yaml", "name: old\n");  // an older emofuse's run
  auto msg = testutil::error_message<DataError>([&] { run(tiny_config("mlp_early", run_dir), quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(run_dir + "/fingerprint.json: missing"));
  EXPECT_THAT(msg, HasSubstr("--overwrite"));

  testutil::write_file(run_dir + "/fingerprint.json", "{\"format\": \"emofuse run finger");
  msg = testutil::error_message<DataError>([&] { run(tiny_config("mlp_early", run_dir), quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(run_dir + "/fingerprint.json: not a valid run fingerprint"));
}

// ------------------------------------------------------------------------------------------ fresh / overwrite

TEST(RunFolder, RerunIntoAnEarlierRunIsRefusedUnlessOverwrite) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  run(tiny_config("mlp_early", run_dir), quiet_options());
  const auto before = testutil::read_file(run_dir + "/metrics.json");

  auto msg = testutil::error_message<DataError>([&] { run(tiny_config("late_fusion", run_dir), quiet_options()); });
  EXPECT_THAT(msg, HasSubstr(run_dir + ": run folder not empty"));
  EXPECT_THAT(msg, HasSubstr("--resume"));
  EXPECT_THAT(msg, HasSubstr("--overwrite"));
  EXPECT_EQ(testutil::read_file(run_dir + "/metrics.json"), before);  // untouched

  // --overwrite clears everything first: a stale fold of the old run is gone.
  fs::create_directories(run_dir + "/folds/07_S07");
  testutil::write_file(run_dir + "/folds/07_S07/metrics.json", "{}");
  auto result = run(tiny_config("late_fusion", run_dir), quiet_options(false, /*overwrite=*/true));
  EXPECT_EQ(result.model_name, "late_fusion");
  EXPECT_FALSE(fs::exists(run_dir + "/folds/07_S07"));
  EXPECT_EQ(read_json(run_dir + "/metrics.json")["model"], "late_fusion");

  EXPECT_THROW(run(tiny_config("mlp_early", run_dir), quiet_options(true, true)), OptionError);
}

TEST(RunFolder, OverwriteClearsOnlyARunFolder) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("notes");
  fs::create_directories(run_dir);
  testutil::write_file(run_dir + "/todo.txt", "keep me");
  auto msg =
      testutil::error_message<DataError>([&] { run(tiny_config("mlp_early", run_dir), quiet_options(false, true)); });
  EXPECT_THAT(msg, HasSubstr(run_dir + ": not cleared by --overwrite"));
  EXPECT_TRUE(fs::exists(run_dir + "/todo.txt"));
}

TEST(RunFolder, FailedStartLeavesNoFolderBehind) {
  testutil::TempDir dir;
  auto root = tiny_config("mlp_early", dir.file("nan"));
  root["training"]["learning_rate"] = 1e30;  // diverges in fold 1
  root["training"]["grad_clip"] = 0;
  EXPECT_THROW(run(root, quiet_options()), Error);
  EXPECT_FALSE(fs::exists(dir.file("nan")));

  // An existing (empty) folder is left as it was.
  fs::create_directories(dir.file("kept"));
  root["output"]["run_dir"] = dir.file("kept");
  EXPECT_THROW(run(root, quiet_options()), Error);
  EXPECT_TRUE(fs::exists(dir.file("kept")));
}

// ------------------------------------------------------------------------------------------ bundles, partials

TEST(RunFolder, ResumeRemovesOrphanedPartials) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  const auto root = tiny_config("mlp_early", run_dir);
  run_until_fold2_epoch(root, 1);
  fs::create_directories(run_dir + "/folds/02_S02/model.partial");
  testutil::write_file(run_dir + "/folds/02_S02/model.partial/weights.pt", "half");
  testutil::write_file(run_dir + "/metrics.json.partial", "{");
  auto result = run(root, quiet_options(true));
  EXPECT_EQ(result.folds.size(), 2u);
  EXPECT_TRUE(partials_under(run_dir).empty()) << partials_under(run_dir).front();
  EXPECT_TRUE(fs::exists(run_dir + "/folds/02_S02/model/model.yaml"));
}

TEST(RunFolder, BundleFailingMidwayLeavesTheOldBundleWhole) {
  testutil::TempDir dir;
  run(tiny_config("mlp_early", dir.file("a")), quiet_options());
  auto b = tiny_config("mlp_early", dir.file("b"));
  b["seed"] = 5;
  run(b, quiet_options());
  const auto target = dir.file("a/folds/01_S01/model");
  const auto old_weights = testutil::read_file(target + "/weights.pt");
  const auto old_standardizer = testutil::read_file(target + "/standardizer.pt");
  auto other = load_model_bundle(dir.file("b/folds/01_S01/model"));
  ASSERT_NE(testutil::read_file(dir.file("b/folds/01_S01/model/weights.pt")), old_weights);
  // The extra file is missing, so the save fails after writing new weights and standardiser: the
  // copy's own error, naming the missing file.
  EXPECT_THAT(testutil::error_message<fs::filesystem_error>([&] {
                save_model_bundle(target, other.model_name, other.model_options, other.schema, other.standardizer,
                                  *other.estimator, {dir.file("no_such_tokenizer.model")});
              }),
              HasSubstr(dir.file("no_such_tokenizer.model")));
  EXPECT_EQ(testutil::read_file(target + "/weights.pt"), old_weights);
  EXPECT_EQ(testutil::read_file(target + "/standardizer.pt"), old_standardizer);
  EXPECT_NO_THROW(load_model_bundle(target));
  EXPECT_FALSE(fs::exists(target + ".partial"));  // an error (unlike a kill) cleans up after itself

  // A successful save replaces the whole bundle and leaves no partial folder.
  save_model_bundle(target, other.model_name, other.model_options, other.schema, other.standardizer, *other.estimator);
  EXPECT_EQ(testutil::read_file(target + "/weights.pt"),
            testutil::read_file(dir.file("b/folds/01_S01/model/weights.pt")));
  EXPECT_FALSE(fs::exists(target + ".partial"));
}

// ------------------------------------------------------------------------------------------ files read back

TEST(RunFolder, CorruptFoldMetricsIsNamed) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  const auto root = tiny_config("mlp_early", run_dir);
  run_until_fold2_epoch(root, 1);
  const auto metrics = run_dir + "/folds/01_S01/metrics.json";
  const auto text = testutil::read_file(metrics);
  testutil::write_file(metrics, text.substr(0, text.size() / 2));
  auto msg = testutil::error_message<DataError>([&] { run(root, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(metrics + ": not valid JSON"));

  testutil::write_file(metrics, "{\"fold\": \"S01\"}");
  msg = testutil::error_message<DataError>([&] { run(root, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(metrics + ": field 'metrics': missing"));
}

TEST(RunFolder, ForeignCheckpointIsNamed) {
  testutil::TempDir dir;
  auto a = tiny_config("mlp_early", dir.file("a"));
  auto b = tiny_config("late_fusion", dir.file("b"));
  run_until_fold2_epoch(a, 1);
  run_until_fold2_epoch(b, 1);
  const auto checkpoint = dir.file("a/folds/02_S02/checkpoint.pt");
  ASSERT_TRUE(fs::exists(checkpoint));
  fs::copy_file(dir.file("b/folds/02_S02/checkpoint.pt"), checkpoint, fs::copy_options::overwrite_existing);
  auto msg = testutil::error_message<DataError>([&] { run(a, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(checkpoint + ": field 'fold': written for 'late_fusion fold 2/2 (S02)'"));

  // Same run name, fold and seed, another model: the tensors do not fit.
  a = tiny_config("mlp_early", dir.file("c"));
  b = tiny_config("late_fusion", dir.file("d"));
  a["name"] = "same";
  b["name"] = "same";
  run_until_fold2_epoch(a, 1);
  run_until_fold2_epoch(b, 1);
  fs::copy_file(dir.file("d/folds/02_S02/checkpoint.pt"), dir.file("c/folds/02_S02/checkpoint.pt"),
                fs::copy_options::overwrite_existing);
  msg = testutil::error_message<DataError>([&] { run(a, quiet_options(true)); });
  EXPECT_THAT(msg, HasSubstr(dir.file("c/folds/02_S02/checkpoint.pt") + ": does not fit this fold's model"));
}

TEST(RunFolder, ParametersRecordedWhenNoFoldIsLeftToTrain) {
  testutil::TempDir dir;
  const auto run_dir = dir.file("run");
  const auto root = tiny_config("mlp_early", run_dir);
  const auto first = run(root, quiet_options());
  ASSERT_GT(first.parameters, 0);
  const auto resumed = run(root, quiet_options(true));  // every fold read back
  EXPECT_EQ(resumed.parameters, first.parameters);
  EXPECT_EQ(read_json(run_dir + "/metrics.json")["parameters"].get<int64_t>(), first.parameters);
}

// ------------------------------------------------------------------------------------------ kill -9

namespace {

int run_train(const std::string& run_dir, const std::vector<std::string>& extra, std::string* err = nullptr) {
  testutil::CliProcess child(testutil::tiny_train_args(run_dir, extra));
  EXPECT_TRUE(child.started());
  const int code = child.wait();
  if (err) *err = child.err();
  return code;
}

// No model/ folder holds weights without, or newer than, its model.yaml (each bundle is whole).
void expect_whole_bundles(const fs::path& run_dir, const std::string& when) {
  for (const auto& e : fs::recursive_directory_iterator(run_dir)) {
    if (!e.is_directory() || e.path().filename() != "model") continue;
    const auto yaml = e.path() / "model.yaml";
    ASSERT_TRUE(fs::exists(yaml)) << when << ": " << e.path() << " has no model.yaml";
    for (const char* f : {"weights.pt", "standardizer.pt"}) {
      ASSERT_TRUE(fs::exists(e.path() / f)) << when << ": " << e.path() / f;
      EXPECT_LE(fs::last_write_time(e.path() / f), fs::last_write_time(yaml)) << when << ": " << e.path() / f;
    }
  }
}

bool fold_metrics_exist(const fs::path& run_dir, const std::string& fold) {
  return fs::exists(run_dir / "folds" / fold / "metrics.json");
}

}  // namespace

// One uninterrupted reference run, then the run killed with SIGKILL at four points; each killed
// folder is refused without --resume, and --resume (or --overwrite) ends with the reference's
// metrics.json and predictions.csv, bit for bit (one thread throughout).
TEST(KillNine, ResumeAfterSigkillMatchesAnUninterruptedRun) {
  testutil::TempDir dir;
  const fs::path root(dir.path());
  std::string err;
  ASSERT_EQ(run_train(dir.file("reference"), {}, &err), 0) << err;
  const auto reference = without_timings(read_json(root / "reference" / "metrics.json"));
  const auto reference_predictions = testutil::read_file(root / "reference" / "predictions.csv");
  // The reference scored its three folds: a header and one line per test window, each fold
  // testing one subject's 6 clips x 3 s = 18 windows. Matching it is then matching real numbers.
  ASSERT_EQ(reference["folds"].size(), 3u);
  EXPECT_EQ(std::count(reference_predictions.begin(), reference_predictions.end(), '\n'), 1 + 3 * 18);
  expect_whole_bundles(root / "reference", "reference");

  struct KillPoint {
    std::string name;
    std::function<bool(const fs::path&)> poll;  // kill from outside when it holds...
    std::string self_kill;                      // ...or EMOFUSE_KILL_AT inside the process
  };
  const std::vector<KillPoint> points{
      {"fold1_folder", [](const fs::path& r) { return fs::exists(r / "folds" / "01_S01"); }, ""},
      {"fold1_checkpoint", [](const fs::path& r) { return fs::exists(r / "folds" / "01_S01" / "checkpoint.pt"); }, ""},
      {"fold2_bundle_weights", nullptr, "bundle_weights:2"},
      {"final_bundle_swap", nullptr, "bundle_swap:4"},
  };
  for (const auto& p : points) {
    SCOPED_TRACE(p.name);
    const auto run_dir = root / p.name;
    {
      testutil::CliProcess child(testutil::tiny_train_args(run_dir.string()),
                                 p.self_kill.empty() ? std::vector<std::string>{}
                                                     : std::vector<std::string>{"EMOFUSE_KILL_AT=" + p.self_kill});
      ASSERT_TRUE(child.started());
      if (p.poll) {
        ASSERT_TRUE(child.kill_when([&] { return p.poll(run_dir); })) << "ended before the kill point: " << child.err();
      } else {
        ASSERT_EQ(child.wait(), 128 + SIGKILL) << "did not reach " << p.self_kill << ": " << child.err();
      }
    }
    ASSERT_TRUE(fs::exists(run_dir));
    EXPECT_FALSE(fs::exists(run_dir / "metrics.json"));
    expect_whole_bundles(run_dir, "after the kill");
    if (p.name == "fold2_bundle_weights") {
      EXPECT_TRUE(fold_metrics_exist(run_dir, "01_S01"));
      EXPECT_FALSE(fs::exists(run_dir / "folds" / "02_S02" / "model"));
      EXPECT_TRUE(fs::exists(run_dir / "folds" / "02_S02" / "model.partial"));
    }
    if (p.name == "final_bundle_swap") {
      EXPECT_FALSE(fs::exists(run_dir / "model"));
    }

    // Without --resume a killed folder is refused and left as it was (checked at two of the points;
    // each check is a process start).
    if (p.name == "fold1_checkpoint" || p.name == "fold2_bundle_weights") {
      ASSERT_EQ(run_train(run_dir.string(), {}, &err), 1) << err;
      EXPECT_THAT(err, HasSubstr("emofuse: error: " + run_dir.string() + ": run folder not empty"));
      EXPECT_THAT(err, HasSubstr("--resume"));
      EXPECT_THAT(err, HasSubstr("--overwrite"));
    }

    ASSERT_EQ(run_train(run_dir.string(), {"--resume"}, &err), 0) << err;
    if (p.name == "fold1_checkpoint") {
      EXPECT_THAT(
          err, HasSubstr("fold 1/3 (S01): resumed from " + (run_dir / "folds" / "01_S01" / "checkpoint.pt").string()));
    }
    EXPECT_EQ(without_timings(read_json(run_dir / "metrics.json")), reference);
    EXPECT_EQ(testutil::read_file(run_dir / "predictions.csv"), reference_predictions);
    EXPECT_TRUE(partials_under(run_dir).empty()) << partials_under(run_dir).front();
    expect_whole_bundles(run_dir, "after --resume");
  }

  // --overwrite on a killed folder starts again and ends with the same numbers.
  const auto killed = root / "overwritten";
  {
    testutil::CliProcess child(testutil::tiny_train_args(killed.string()));
    ASSERT_TRUE(child.kill_when([&] { return fold_metrics_exist(killed, "01_S01"); }));
  }
  ASSERT_EQ(run_train(killed.string(), {"--overwrite"}, &err), 0) << err;
  EXPECT_EQ(without_timings(read_json(killed / "metrics.json")), reference);
  EXPECT_EQ(testutil::read_file(killed / "predictions.csv"), reference_predictions);
}

// Refusals of the command line: the exact messages users see, exit code 1, nothing created.
TEST(KillNine, TrainCommandRefusalsAndFailedStart) {
  testutil::TempDir dir;
  std::string err;
  // Data that fails to load: the run folder train created is removed again.
  fs::create_directories(dir.file("empty_dmer"));
  testutil::CliProcess bad({"train", "--format", "dmer", "--data", dir.file("empty_dmer"), "--threads", "1", "--quiet",
                            "--run-dir", dir.file("failed")});
  EXPECT_EQ(bad.wait(), 1) << bad.err();
  EXPECT_FALSE(fs::exists(dir.file("failed")));

  // --resume on a run of another model: the field is named.
  ASSERT_EQ(run_train(dir.file("run"), {}, &err), 0) << err;
  ASSERT_EQ(run_train(dir.file("run"), {"--resume", "--set", "model.name=late_fusion"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("emofuse: error: " + dir.file("run") +
                             "/fingerprint.json: model.name: mlp_early in the run, late_fusion now"));
  // --resume with --overwrite is a usage error.
  EXPECT_EQ(run_train(dir.file("run"), {"--resume", "--overwrite"}, &err), 2) << err;
}
