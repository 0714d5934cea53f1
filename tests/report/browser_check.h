// Opens an HTML page in headless Chromium (Debian `chromium`) and reads back what the page's
// self-check recorded (report/html_report.h): every figure's rendered size and every script or
// console error. Used by the browser test of the report (test_report_browser.cpp).
#pragma once

#include <string>
#include <vector>

namespace emofuse::testutil {

/// The Chromium executable: $EMOFUSE_CHROMIUM, else `chromium` or `chromium-browser` on the PATH;
/// "" when there is none.
std::string find_chromium();

struct RenderedFigure {
  std::string id;
  double width = 0, height = 0;  ///< CSS pixels of the figure's <svg> bounding box
};

struct BrowserCheck {
  bool loaded = false;                      ///< Chromium ran and the page's self-check attribute was found
  std::string failure;                      ///< why not, when !loaded
  std::vector<RenderedFigure> figures;      ///< every figure.plot, in page order
  std::vector<std::string> errors;          ///< script errors and console.error calls the page recorded
  std::vector<std::string> console_errors;  ///< "Uncaught ..." console lines Chromium logged
};

/// Loads `html_path` (a local file) in headless Chromium and waits for the load event.
BrowserCheck check_page_in_chromium(const std::string& chromium, const std::string& html_path);

}  // namespace emofuse::testutil
