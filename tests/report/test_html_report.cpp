#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.h"
#include "data/load.h"
#include "report/html_report.h"
#include "report_fixture.h"
#include "test_util.h"

using namespace emofuse;
namespace fs = std::filesystem;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(HtmlReport, TwoRunsSideBySideWithEveryFigure) {
  testutil::TempDir dir;
  const auto runs = testutil::two_report_runs(dir.path());
  const std::string html = report::render_report({runs.helo, runs.mlp});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Self-contained: no script, style sheet, image or font from elsewhere.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The comparison table with its floor row and the paired statistics.
  EXPECT_NE(html.find("prior (floor)"), std::string::npos);
  EXPECT_NE(html.find("Wilcoxon"), std::string::npos);
  // Every figure is an inline SVG with a numbered caption.
  const size_t figures = count(html, "<figure class=\"plot");
  EXPECT_EQ(count(html, "<svg"), figures);
  EXPECT_EQ(count(html, "<figcaption>"), figures);
  // One comparison figure (same folds), then per run: 2 confusion, per class, mean distribution,
  // 3 samples, reliability, entropy, 2 training curves = 11; HeLo adds R, S and a transport plan.
  EXPECT_EQ(figures, 1u + 11u + 11u + 3u);
  for (const char* title :
       {"chebyshev per fold, models side by side", "confusion matrix (counts)", "confusion matrix (row-normalised)",
        "precision, recall and F1 per class", "mean predicted and mean target distribution", "best test sample",
        "median test sample", "worst test sample", "reliability diagram", "prediction entropy against target entropy",
        "training loss per fold", "validation kl per fold", "label correlation R of the training targets",
        "learned label-embedding similarity S", "transport plan"}) {
    EXPECT_NE(html.find(title), std::string::npos) << "no figure titled: " << title;
  }
  EXPECT_NE(html.find("helo: transport plan, "), std::string::npos);
  EXPECT_EQ(html.find("mlp_early: transport plan"), std::string::npos) << "only HeLo has a transport plan";
}

TEST(HtmlReport, ListingFoldersStandForTheirRuns) {
  testutil::TempDir dir;
  const auto runs = testutil::two_report_runs(dir.path());
  // demo / ablate: comparison.json lists the runs (here with paths that no longer exist, as after
  // moving the folder: the runs are found as its subfolders).
  nlohmann::json listing;
  listing["models"] = {{{"name", "helo"}, {"run_dir", "/moved/away/helo"}},
                       {{"name", "mlp_early"}, {"run_dir", "/moved/away/mlp_early"}}};
  testutil::write_file(dir.file("comparison.json"), listing.dump());
  EXPECT_EQ(report::run_folders_of(dir.path()), (std::vector<std::string>{runs.helo, runs.mlp}));
  // The same page as for the two run folders given one by one (the figures' element ids aside,
  // which are numbered afresh for every figure drawn).
  const std::regex ids("emofuse-figure[0-9]+-clip");
  EXPECT_EQ(std::regex_replace(report::render_report({dir.path()}), ids, "ID"),
            std::regex_replace(report::render_report({runs.helo, runs.mlp}), ids, "ID"));
  // ldl-bench: summary.json {"methods": {<name>: {"run_dir"}}}.
  testutil::TempDir bench;
  nlohmann::json summary;
  summary["methods"]["mlp_early"] = {{"run_dir", runs.mlp}};
  testutil::write_file(bench.file("summary.json"), summary.dump());
  EXPECT_EQ(report::run_folders_of(bench.path()), std::vector<std::string>{runs.mlp});
}

TEST(HtmlReport, BadFoldersNameTheFileAndField) {
  testutil::TempDir dir;
  auto message = [](const std::vector<std::string>& folders) {
    return testutil::error_message<DataError>([&] { report::render_report(folders); });
  };
  EXPECT_NE(message({dir.file("absent")}).find("absent: not a folder"), std::string::npos);
  EXPECT_NE(message({dir.path()}).find("not a run folder: expected metrics.json"), std::string::npos);

  testutil::write_file(dir.file("comparison.json"), R"({"models": [{"name": "x"}]})");
  EXPECT_NE(message({dir.path()}).find("comparison.json: field 'models[0].run_dir'"), std::string::npos);
  testutil::write_file(dir.file("comparison.json"), R"({"models": [{"run_dir": "nowhere"}]})");
  EXPECT_NE(message({dir.path()}).find("no finished run at 'nowhere'"), std::string::npos);

  const auto runs = testutil::two_report_runs(dir.file("runs"));
  // A metrics.json without a field it needs.
  auto metrics = nlohmann::json::parse(testutil::read_file(runs.mlp + "/metrics.json"));
  metrics.erase("headline_metric");
  testutil::write_file(runs.mlp + "/metrics.json", metrics.dump());
  EXPECT_NE(message({runs.mlp}).find("metrics.json: field 'headline_metric': missing"), std::string::npos)
      << message({runs.mlp});
  // A history.csv with a value that is not a number names the file, line and column.
  const std::string history = runs.helo + "/folds/01_S01/history.csv";
  std::string text = testutil::read_file(history);
  text.replace(text.find('\n') + 3, 1, "x");  // inside the first data row's train_loss
  testutil::write_file(history, text);
  const auto bad_history = message({runs.helo});
  EXPECT_NE(bad_history.find("history.csv"), std::string::npos) << bad_history;
  EXPECT_NE(bad_history.find("line 2"), std::string::npos) << bad_history;
  // predictions.csv without a class's probability column.
  testutil::write_file(runs.helo + "/predictions.csv", "fold,row,subject,trial\nS01,0,S01,0\n");
  EXPECT_NE(message({runs.helo}).find("predictions.csv"), std::string::npos);
}

TEST(HtmlReport, CommandWritesTheReportOrFailsWithoutWritingOne) {
  testutil::TempDir dir;
  const auto runs = testutil::two_report_runs(dir.path());
  testutil::CliProcess ok({"report", runs.helo, runs.mlp, "-o", dir.file("both.html")});
  ASSERT_EQ(ok.wait(), 0) << ok.err();
  EXPECT_EQ(testutil::read_file(dir.file("both.html")).rfind("<!DOCTYPE html>", 0), 0u);
  // Without -o the report goes into the (first) folder.
  testutil::CliProcess default_place({"report", runs.mlp});
  ASSERT_EQ(default_place.wait(), 0) << default_place.err();
  EXPECT_TRUE(fs::exists(runs.mlp + "/report.html"));
  // A folder that is not a run: a clear error, a non-zero exit, nothing written.
  testutil::CliProcess bad({"report", dir.file("absent"), "-o", dir.file("bad.html")});
  EXPECT_NE(bad.wait(), 0);
  EXPECT_NE(bad.err().find("absent: not a folder"), std::string::npos) << bad.err();
  EXPECT_FALSE(fs::exists(dir.file("bad.html")));
  testutil::CliProcess no_folder({"report", runs.mlp, "-o", dir.file("missing/r.html")});
  EXPECT_NE(no_folder.wait(), 0);
  EXPECT_NE(no_folder.err().find("does not exist"), std::string::npos) << no_folder.err();
}
