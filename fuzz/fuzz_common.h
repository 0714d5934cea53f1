// Shared plumbing of the libFuzzer targets (docs/robustness.md). emofuse's readers take file paths,
// so every target writes the fuzzer's bytes into files under a per-process scratch folder and calls
// the real loader on them.
//
// Multi-file inputs (a dataset.yaml and its CSV, the three DEAP files, a model bundle, ...) are one
// fuzz input cut into parts at each line "--emofuse-fuzz-part--"; part k becomes the k-th file of
// the target's list, missing parts are missing files. The seed corpora in fuzz/corpus/<target>/ use
// the same layout.
//
// What counts as a finding: a crash, an ASan/UBSan report, an abort, a leak, a timeout or a huge
// allocation (all reported by libFuzzer). An exception is the documented "bad input" path and is
// swallowed: emofuse::Error always; c10::Error and other std::exception too, unless the environment
// sets EMOFUSE_FUZZ_STRICT=1, which turns every exception that is not an emofuse::Error into an
// abort (so `fuzz.sh` can also list the inputs that reach the user with a raw library message).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <torch/torch.h>

#include "core/error.h"

namespace emofuse::fuzz {

namespace fs = std::filesystem;

/// The separator line between the files of a multi-file input.
inline constexpr std::string_view kPartMarker = "\n--emofuse-fuzz-part--\n";

/// A scratch folder unique to this process (libFuzzer's -fork/-jobs workers run side by side),
/// removed when the process exits normally.
inline const fs::path& scratch_dir() {
  struct Scratch {
    fs::path path;
    Scratch() {
      std::string templ = (fs::temp_directory_path() / "emofuse-fuzz-XXXXXX").string();
      if (mkdtemp(templ.data()) == nullptr) {
        std::perror("emofuse fuzz: mkdtemp");
        std::abort();
      }
      path = templ;
    }
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Scratch scratch;
  return scratch.path;
}

/// An empty folder `name` inside the scratch folder (cleared on each call).
inline fs::path fresh_dir(const std::string& name) {
  const fs::path dir = scratch_dir() / name;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  return dir;
}

/// Writes `bytes` to `path` (truncating).
inline void write_bytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::perror(("emofuse fuzz: cannot write " + path.string()).c_str());
    std::abort();
  }
}

/// Cuts the input into parts at each kPartMarker.
inline std::vector<std::string_view> split_parts(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t at = rest.find(kPartMarker);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kPartMarker.size());
  }
  parts.push_back(rest);
  return parts;
}

/// Writes part k of the input to dir/names[k]; parts beyond names are ignored, names beyond the
/// parts are not written (the file is missing).
inline void write_parts(const fs::path& dir, const std::vector<std::string>& names, const uint8_t* data, size_t size) {
  const auto parts = split_parts(data, size);
  for (size_t k = 0; k < names.size() && k < parts.size(); ++k) write_bytes(dir / names[k], parts[k]);
}

inline bool strict() {
  static const bool value = [] {
    const char* s = std::getenv("EMOFUSE_FUZZ_STRICT");
    return s != nullptr && std::string(s) == "1";
  }();
  return value;
}

/// Once per process: one LibTorch thread (the fuzzer runs one input at a time on one core).
inline void init_once() {
  static const bool done = [] {
    torch::set_num_threads(1);
    return true;
  }();
  (void)done;
}

/// Runs `read`, swallowing the exceptions that are the documented way to reject bad input.
template <class F>
int run_reader(F&& read) {
  init_once();
  try {
    read();
  } catch (const emofuse::Error&) {
    // The intended path: a message naming the file and the field.
  } catch (const std::exception& e) {
    if (strict()) {
      std::fprintf(stderr, "emofuse fuzz: exception that is not an emofuse::Error (%s): %s\n", typeid(e).name(),
                   e.what());
      std::abort();
    }
  }
  return 0;
}

}  // namespace emofuse::fuzz
