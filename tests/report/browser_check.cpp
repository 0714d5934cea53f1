#include "browser_check.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

namespace fs = std::filesystem;

namespace emofuse::testutil {
namespace {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string html_unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto end = text.find(';', i);
    const std::string entity = end == std::string::npos ? "" : text.substr(i + 1, end - i - 1);
    if (entity == "quot")
      out += '"';
    else if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "#39" || entity == "apos")
      out += '\'';
    else {
      out += text[i];
      continue;
    }
    i = end;
  }
  return out;
}

// The common flags: headless, no sandbox (CI runs as root), a throw-away profile, no GPU.
std::string chromium_command(const std::string& chromium, const std::string& profile) {
  return "timeout 120 " + shell_quote(chromium) +
         " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --no-default-browser-check"
         " --hide-scrollbars --user-data-dir=" +
         shell_quote(profile);
}

}  // namespace

std::string find_chromium() {
  if (const char* env = std::getenv("EMOFUSE_CHROMIUM"); env && *env) return fs::exists(env) ? env : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const auto candidate = fs::path(dir) / name;
      if (!dir.empty() && fs::exists(candidate)) return candidate.string();
    }
  }
  return "";
}

BrowserCheck check_page_in_chromium(const std::string& chromium, const std::string& html_path) {
  BrowserCheck check;
  TempDir scratch;
  const std::string dom = scratch.file("dom.html"), log = scratch.file("stderr.txt");
  const std::string url = "file://" + fs::absolute(html_path).string();
  const std::string command = chromium_command(chromium, scratch.file("profile")) +
                              " --enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom " +
                              shell_quote(url) + " > " + shell_quote(dom) + " 2> " + shell_quote(log);
  const int status = std::system(command.c_str());
  const std::string page = read_file(dom), messages = read_file(log);
  std::stringstream lines(messages);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("CONSOLE") != std::string::npos && line.find("Uncaught") != std::string::npos) {
      check.console_errors.push_back(line);
    }
  }
  const std::string marker = "data-report-check=\"";
  const auto at = page.find(marker);
  if (at == std::string::npos) {
    check.failure = "no data-report-check attribute in the DOM Chromium dumped (exit status " + std::to_string(status) +
                    "); its log:\n" + messages.substr(0, 2000);
    return check;
  }
  const auto end = page.find('"', at + marker.size());
  try {
    const auto j = nlohmann::json::parse(html_unescape(page.substr(at + marker.size(), end - at - marker.size())));
    for (const auto& f : j.at("figures")) {
      check.figures.push_back(
          {f.at("id").get<std::string>(), f.at("width").get<double>(), f.at("height").get<double>()});
    }
    for (const auto& e : j.at("errors")) check.errors.push_back(e.get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    check.failure = std::string("the self-check attribute is not the expected JSON: ") + e.what();
    return check;
  }
  check.loaded = true;
  return check;
}

}  // namespace emofuse::testutil
