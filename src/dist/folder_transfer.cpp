#include "dist/folder_transfer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/io.h"

namespace fs = std::filesystem;

namespace emofuse::dist {
namespace {

const std::string kMagic = "emofuse-folder 1\n";

bool safe_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return false;
  for (const auto& part : fs::path(path)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

}  // namespace

std::string pack_folder(const std::string& dir, const std::vector<std::string>& skip) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), dir).generic_string();
    if (std::find(skip.begin(), skip.end(), relative) == skip.end()) files.push_back(relative);
  }
  std::sort(files.begin(), files.end());
  std::string packed = kMagic;
  for (const auto& relative : files) {
    const std::string bytes = read_file((fs::path(dir) / relative).string());
    packed += relative + "\n" + std::to_string(bytes.size()) + "\n" + bytes;
  }
  return packed;
}

void unpack_folder(const std::string& packed, const std::string& dir, const std::string& origin) {
  if (packed.compare(0, kMagic.size(), kMagic) != 0) {
    throw DataError(origin, "", "not a packed folder (expected it to start with 'emofuse-folder 1')");
  }
  const fs::path partial = dir + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  size_t at = kMagic.size();
  auto line = [&](const char* field) {
    const size_t end = packed.find('\n', at);
    if (end == std::string::npos) throw DataError(origin, field, "truncated");
    std::string text = packed.substr(at, end - at);
    at = end + 1;
    return text;
  };
  while (at < packed.size()) {
    const std::string relative = line("file path");
    if (!safe_relative_path(relative)) throw DataError(origin, "file '" + relative + "'", "unsafe path");
    const std::string size_text = line("file size");
    size_t size = 0;
    try {
      size = std::stoull(size_text);
    } catch (const std::exception&) {
      throw DataError(origin, "file '" + relative + "'", "size '" + size_text + "' is not a number");
    }
    if (size > packed.size() - at) throw DataError(origin, "file '" + relative + "'", "truncated");
    const fs::path target = partial / relative;
    fs::create_directories(target.parent_path());
    std::ofstream out(target, std::ios::binary);
    out.write(packed.data() + at, static_cast<std::streamsize>(size));
    if (!out) throw DataError(target.string(), "", "cannot write");
    at += size;
  }
  fs::remove_all(dir);
  fs::rename(partial, dir);
}

}  // namespace emofuse::dist
