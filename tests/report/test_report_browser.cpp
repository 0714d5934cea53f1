// The report in a real browser: headless Chromium opens a report of two small real runs; the page
// must load without script or console errors and every figure must have a non-empty box.
// Skipped, with a message, where Chromium is not installed (scripts/install_deps.sh installs it).
#include <gtest/gtest.h>

#include <regex>

#include "browser_check.h"
#include "report/html_report.h"
#include "report_fixture.h"
#include "test_util.h"

using namespace emofuse;

TEST(ReportBrowser, EveryFigureRendersWithoutErrors) {
  const std::string chromium = testutil::find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "Chromium not found (install Debian's chromium, or set EMOFUSE_CHROMIUM)";
  testutil::TempDir dir;
  const auto runs = testutil::two_report_runs(dir.path());
  const std::string path = dir.file("report.html");
  report::write_report({runs.helo, runs.mlp}, path);
  const std::string html = testutil::read_file(path);
  size_t expected = 0;
  for (auto at = html.find("<figure class=\"plot"); at != std::string::npos;
       at = html.find("<figure class=\"plot", at + 1)) {
    ++expected;
  }
  ASSERT_GT(expected, 20u);

  const auto check = testutil::check_page_in_chromium(chromium, path);
  ASSERT_TRUE(check.loaded) << check.failure;
  EXPECT_TRUE(check.errors.empty()) << "first error: " << check.errors.front();
  EXPECT_TRUE(check.console_errors.empty()) << "first console error: " << check.console_errors.front();
  ASSERT_EQ(check.figures.size(), expected);
  for (const auto& f : check.figures) {
    EXPECT_GT(f.width, 100) << f.id;
    EXPECT_GT(f.height, 100) << f.id;
  }
}

TEST(ReportBrowser, TheCheckSeesABrokenPage) {
  // The harness itself: a page with a script error and an empty figure must fail the checks
  // above, or passing them would mean nothing.
  const std::string chromium = testutil::find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "Chromium not found (install Debian's chromium, or set EMOFUSE_CHROMIUM)";
  testutil::TempDir dir;
  testutil::TempDir runs_dir;
  const auto runs = testutil::two_report_runs(runs_dir.path());
  std::string html = report::render_report({runs.mlp});
  const std::string broken = "<figure class=\"plot\" id=\"empty\"></figure><script>undefined_function();</script>";
  html.insert(html.find("</body>"), broken);
  testutil::write_file(dir.file("broken.html"), html);
  const auto check = testutil::check_page_in_chromium(chromium, dir.file("broken.html"));
  ASSERT_TRUE(check.loaded) << check.failure;
  ASSERT_FALSE(check.errors.empty());
  EXPECT_NE(check.errors.front().find("undefined_function"), std::string::npos) << check.errors.front();
  ASSERT_FALSE(check.figures.empty());
  EXPECT_EQ(check.figures.back().id, "empty");
  EXPECT_EQ(check.figures.back().width * check.figures.back().height, 0);
}
