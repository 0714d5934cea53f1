// `emofuse ldl-bench` end to end (the real binary as a child process) on a small synthetic LDL
// .mat: the prior floor row, the inner search of each classical method, options fixed with
// --set left unsearched, and --inner-folds 0 / bad values.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/mat_io.h"
#include "dist/free_port.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace emofuse::cli {
namespace {

// 60 samples x 5 features, 4 labels drawn from a maximum-entropy model of the features.
std::string write_set(const testutil::TempDir& dir) {
  torch::manual_seed(8);
  auto x = torch::randn({60, 5}, torch::kFloat64);
  auto y = torch::softmax(x.mm(torch::randn({5, 4}, torch::kFloat64)), 1);
  const auto path = dir.file("set.mat");
  data::write_mat_matrices(path, {{"features", x}, {"labels", y}});
  return path;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(LdlBench, SearchesEachMethodsOptionUnlessTheUserFixedIt) {
  testutil::TempDir dir;
  const auto data = write_set(dir);
  const auto out = dir.file("out");
  const auto r = testutil::run_cli(
      {"ldl-bench", "--data", data, "--folds", "3", "--inner-folds", "3", "--threads", "1", "--methods",
       "prior,aa_knn,sa_bfgs,ldllc", "--set", "sa_bfgs.lambda=10", "--set", "ldllc.lambda2=0.5", "--out", out},
      300);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The floor is the first row; aa_knn's k and ldllc's lambda1 were searched, sa_bfgs's fixed lambda not.
  const auto table = r.out.substr(r.out.find("method"));
  EXPECT_LT(table.find("prior"), table.find("aa_knn"));
  EXPECT_NE(r.out.find("aa_knn  chosen: k "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ldllc   chosen: lambda1 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("sa_bfgs  chosen"), std::string::npos) << r.out;
  auto j = read_json(out + "/summary.json");
  const auto& methods = j.at("methods");
  EXPECT_FALSE(methods.at("sa_bfgs").contains("inner_cv"));
  EXPECT_EQ(methods.at("sa_bfgs").at("fixed_options").at("lambda"), 10.0);
  EXPECT_FALSE(methods.at("prior").contains("inner_cv"));
  EXPECT_EQ(methods.at("aa_knn").at("inner_cv").at("searched"), nlohmann::json({"k"}));
  EXPECT_EQ(methods.at("ldllc").at("inner_cv").at("searched"), nlohmann::json({"lambda1"}));
  for (const auto& name : {"aa_knn", "ldllc"}) {
    const auto& folds = methods.at(name).at("folds");
    ASSERT_EQ(folds.size(), 3u) << name;
    for (const auto& f : folds) {
      EXPECT_EQ(f.at("chosen").size(), 1u) << name << ": " << f.dump();  // only the searched option
      EXPECT_EQ(f.at("inner_losses").size(), methods.at(name).at("inner_cv").at("candidates").size()) << name;
      EXPECT_TRUE(fs::exists(out + "/" + name + "/folds")) << name;
    }
  }
  // The run configs: sa_bfgs ran as itself with lambda 10; ldllc inside inner_cv with lambda2 fixed.
  auto sa = YAML::LoadFile(out + "/sa_bfgs/config.yaml");
  EXPECT_EQ(sa["model"]["name"].as<std::string>(), "sa_bfgs");
  EXPECT_EQ(sa["model"]["options"]["lambda"].as<double>(), 10.0);
  auto ldllc = YAML::LoadFile(out + "/ldllc/config.yaml");
  EXPECT_EQ(ldllc["model"]["name"].as<std::string>(), "inner_cv");
  EXPECT_EQ(ldllc["model"]["options"]["options"]["lambda2"].as<double>(), 0.5);
  for (const auto& c : ldllc["model"]["options"]["candidates"]) EXPECT_FALSE(c["lambda2"]) << YAML::Dump(c);
  // Every outer fold of a searched method keeps its record of the search.
  EXPECT_TRUE(fs::exists(out + "/aa_knn/folds/01_fold_1/inner_cv.json"));
}

TEST(LdlBench, InnerFoldsZeroRunsTheOptionsAsGiven) {
  testutil::TempDir dir;
  const auto data = write_set(dir);
  const auto r = testutil::run_cli({"ldl-bench", "--data", data, "--folds", "3", "--inner-folds", "0", "--threads", "1",
                                    "--methods", "aa_knn", "--out", dir.file("out")},
                                   120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("chosen"), std::string::npos) << r.out;
  auto j = read_json(dir.file("out") + "/summary.json");
  EXPECT_FALSE(j.at("methods").at("aa_knn").contains("inner_cv"));
  EXPECT_EQ(YAML::LoadFile(dir.file("out") + "/aa_knn/config.yaml")["model"]["name"].as<std::string>(), "aa_knn");
}

// Two ranks (fold-parallel, docs/distributed.md): every method's folds are spread over them and
// rank 0 writes the summaries; the numbers, inner searches included, equal one process's.
TEST(LdlBench, TwoRanksEqualOneProcess) {
  testutil::TempDir dir;
  const auto data = write_set(dir);
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"ldl-bench",
                                    "--data",
                                    data,
                                    "--folds",
                                    "3",
                                    "--inner-folds",
                                    "2",
                                    "--threads",
                                    "1",
                                    "--methods",
                                    "prior,aa_knn,mlp_early",
                                    "--set",
                                    "training.epochs=3",
                                    "--no-report",
                                    "--out",
                                    out};
  };
  const auto one = testutil::run_cli(args(dir.file("one")), 120);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const int port = testutil::free_tcp_port();
  std::vector<std::unique_ptr<testutil::CliProcess>> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.push_back(std::make_unique<testutil::CliProcess>(
        args(dir.file("two")),
        std::vector<std::string>{"WORLD_SIZE=2", "RANK=" + std::to_string(r), "MASTER_PORT=" + std::to_string(port)}));
  }
  for (auto& r : ranks) ASSERT_TRUE(r->wait_for(120)) << r->err();
  for (auto& r : ranks) ASSERT_EQ(r->wait(), 0) << r->err();
  auto a = read_json(dir.file("one") + "/summary.json"), b = read_json(dir.file("two") + "/summary.json");
  for (auto* j : {&a, &b}) {  // what differs between two runs: the run folders and the timings
    for (auto& [name, method] : j->at("methods").items()) {
      for (const char* key : {"run_dir", "fit_seconds_mean", "predict_seconds_mean"}) method.erase(key);
      for (auto& fold : method["folds"]) {
        fold.erase("fit_seconds");
        fold.erase("predict_seconds");
      }
    }
  }
  EXPECT_EQ(b, a);
  EXPECT_EQ(read_json(dir.file("two") + "/aa_knn/metrics.json")["world_size"], 2);
  EXPECT_FALSE(std::filesystem::exists(dir.file("two") + "/aa_knn/.rank1"));
}

TEST(LdlBench, BadInnerOptionsFailBeforeTheDataIsRead) {
  testutil::TempDir dir;
  // The data file does not exist: the option error must come first.
  for (const auto& [flag, value] : {std::pair<std::string, std::string>{"--inner-folds", "1"},
                                    {"--inner-folds", "-2"},
                                    {"--inner-criterion", "mse"}}) {
    const auto r = testutil::run_cli({"ldl-bench", "--data", dir.file("absent.mat"), flag, value}, 60);
    EXPECT_NE(r.exit_code, 0) << flag << " " << value;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("absent.mat"), std::string::npos) << r.err;
  }
  // More inner folds than the smallest outer training fold has rows: named, after loading.
  const auto data = write_set(dir);
  const auto r = testutil::run_cli({"ldl-bench", "--data", data, "--folds", "3", "--inner-folds", "50", "--threads",
                                    "1", "--methods", "aa_knn", "--out", dir.file("out")},
                                   60);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--inner-folds"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace emofuse::cli
