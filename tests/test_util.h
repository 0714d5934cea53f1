// Shared helpers for the tests: temporary folders and the real-data folder.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace emofuse::testutil {

/// A fresh, empty temporary folder removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Path of `relative` under the real-data folder (EMOFUSE_DATA_DIR or ../shared/data), or "" when
/// it does not exist (callers GTEST_SKIP with a message).
std::string real_data_path(const std::string& relative);

/// A small synthetic cohort (subjects x clips x seconds), deterministic.
data::MultimodalDataset tiny_cohort(int64_t subjects = 4, int64_t clips = 6, int64_t seconds = 3, uint64_t seed = 0);

/// Writes `text` to `path`.
void write_file(const std::string& path, const std::string& text);

/// Reads the whole file at `path` ("" when it cannot be opened).
std::string read_file(const std::string& path);

/// The message of the exception of type E that `body` throws; records a test failure (and
/// returns what it has) when `body` throws another type or nothing.
template <typename E, typename F>
std::string error_message(F body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return "";
}

/// What a finished child process left: its exit code (128 + N when killed by signal N), stdout,
/// stderr, and whether it was killed for running past its time limit.
struct ProcessResult {
  int exit_code = -1;
  std::string out, err;
  bool timed_out = false;
};

/// Path of the `emofuse` binary under test: the compile definition EMOFUSE_CLI_PATH.
std::string cli_path();

/// `emofuse args...` as a real child process: stdin from /dev/null, stdout and stderr captured
/// in files of a private temporary folder, `env` entries ("NAME=value") added to the inherited
/// environment. The destructor SIGKILLs a child still running.
class CliProcess {
 public:
  explicit CliProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  bool started() const { return pid_ > 0; }
  /// Polls `condition` until it holds, then SIGKILLs the child and returns true; returns false
  /// when the child ends first or `timeout_s` passes.
  bool kill_when(const std::function<bool()>& condition, double timeout_s = 60);
  /// Waits up to `timeout_s` for the end; past it, SIGKILLs the child and returns false.
  bool wait_for(double timeout_s);
  /// Waits for the end; returns the exit code, or 128 + N when ended by signal N.
  int wait();
  std::string out() const;
  std::string err() const;

 private:
  bool reap(bool block);
  TempDir capture_;
  int pid_ = -1;
  int status_ = 0;
  bool done_ = false;
};

/// Runs `emofuse args...` (a CliProcess) to its end, killing it after `timeout_s` seconds.
ProcessResult run_cli(const std::vector<std::string>& args, double timeout_s = 120);

/// Thrown from an on_epoch_end callback to stop a fit or a run as a kill would (in-process tests).
struct SimulatedKill : std::runtime_error {
  SimulatedKill() : std::runtime_error("killed") {}
};

}  // namespace emofuse::testutil
