// The commands end to end (the real `emofuse` binary through testutil::run_cli): the floor and
// paired statistics in demo, eval scoring a fold's own test subjects, ablate with a base config
// path, info's subject summary.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace fs = std::filesystem;
using emofuse::testutil::run_cli;

namespace {

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

TEST(CliCommands, InfoListsThePriorModel) {
  auto r = run_cli({"info", "--models"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("prior", 0), 0u) << r.out;  // first, as the floor
}

TEST(CliCommands, InfoListsTheDataFormats) {
  auto r = run_cli({"info", "--formats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("synthetic ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nmeld "), std::string::npos) << r.out;
}

TEST(CliCommands, DemoPrintsTheFloorRowAndPairedStatistics) {
  emofuse::testutil::TempDir dir;
  auto r = run_cli({"demo", "--quick", "--threads", "1", "--out", dir.file("demo")}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nprior (floor) "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Paired across folds on chebyshev"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("helo fold 2/2"), std::string::npos) << "one progress line per fold: " << r.err;
  const auto summary = emofuse::testutil::read_file(dir.file("demo/summary.md"));
  EXPECT_NE(summary.find("| prior (floor)"), std::string::npos) << summary;
  EXPECT_TRUE(fs::exists(dir.file("demo/comparison.json")));
}

TEST(CliCommands, EvalScoresTheFoldsOwnTestSubjectsByDefault) {
  emofuse::testutil::TempDir dir;
  const auto cohort = dir.file("cohort");
  auto r = run_cli({"synth", "--out", cohort, "--subjects", "4", "--clips", "6", "--seconds", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> data{"--data", cohort};
  const auto run = dir.file("run");
  r = run_cli(with({"train", "--threads", "1", "--quiet", "--run-dir", run, "--set", "protocol.max_folds=1", "--set",
                    "training.epochs=1"},
                   data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto bundle = run + "/folds/01_S01/model";
  ASSERT_NE(emofuse::testutil::read_file(bundle + "/model.yaml").find("test_subjects"), std::string::npos);

  r = run_cli(with({"eval", "--threads", "1", "--model", bundle}, data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(18 samples)"), std::string::npos) << "S01's 6 x 3 rows only: " << r.out;
  EXPECT_NE(r.err.find("scoring the test subjects of fold S01"), std::string::npos) << r.err;

  r = run_cli(with({"eval", "--threads", "1", "--model", bundle, "--subjects", "all"}, data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(72 samples)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("trained on are scored too"), std::string::npos) << r.err;

  r = run_cli(with({"eval", "--threads", "1", "--model", bundle, "--subjects", "S02,S03"}, data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(36 samples)"), std::string::npos) << r.out;

  r = run_cli(with({"eval", "--threads", "1", "--model", bundle, "--subjects", "S09"}, data));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("subject 'S09' is not in"), std::string::npos) << r.err;
}

TEST(CliCommands, AblateTakesABaseConfigPathAndThreads) {
  emofuse::testutil::TempDir dir;
  emofuse::testutil::write_file(dir.file("base.yaml"),
                                "data: {format: synthetic, subjects: 3, clips: 4, seconds: 2}\n"
                                "protocol: {name: loso, max_folds: 1}\n"
                                "model: {name: helo}\n"
                                "training: {epochs: 1, batch_size: 16}\n");
  // The base names a HeLo config; the variant switches to the MLP, whose options start afresh.
  emofuse::testutil::write_file(dir.file("ablation.yaml"),
                                "base: base.yaml\n"
                                "variants:\n"
                                "  - {name: mlp, set: {model.name: mlp_early}}\n");
  auto r =
      run_cli({"ablate", "-c", dir.file("ablation.yaml"), "--out", dir.file("out"), "--threads", "1", "--quiet"}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("emofuse: 1 thread"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("prior (floor)"), std::string::npos) << r.out;

  emofuse::testutil::write_file(dir.file("missing.yaml"), "base: nowhere.yaml\nvariants: [{name: a}]\n");
  r = run_cli({"ablate", "-c", dir.file("missing.yaml"), "--out", dir.file("out2")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no experiment config at 'nowhere.yaml' (tried"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("out2")));
}

TEST(CliCommands, InfoSummarisesManySubjects) {
  const std::vector<std::string> data{"--format", "synthetic",    "--set", "data.subjects=25",
                                      "--set",    "data.clips=2", "--set", "data.seconds=1"};
  auto r = run_cli(with({"info"}, data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("samples per subject: 25 subjects; fewest 2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("S25=2"), std::string::npos) << r.out;
  r = run_cli(with({"info", "--all-subjects"}, data));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("S25=2"), std::string::npos) << r.out;
}
