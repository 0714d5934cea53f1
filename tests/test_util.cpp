#include "test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/runtime.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;

namespace emofuse::testutil {
namespace {

// LibTorch seeds its default generator from a random device, so a test that draws random
// tensors without seeding would see different values on every run (and differently under ctest,
// one process per test, than in one process). Seed before every test: each test is repeatable.
class SeedEveryTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { torch::manual_seed(0); }
};

const bool kSeedListenerInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SeedEveryTest);
  return true;
}();

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "emofuse_test_XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  path_ = mkdtemp(buf.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string real_data_path(const std::string& relative) {
  auto p = fs::path(data_dir()) / relative;
  return fs::exists(p) ? p.string() : "";
}

data::MultimodalDataset tiny_cohort(int64_t subjects, int64_t clips, int64_t seconds, uint64_t seed) {
  data::SyntheticOptions o;
  o.subjects = subjects;
  o.clips = clips;
  o.seconds = seconds;
  o.seed = seed;
  return data::make_synthetic_cohort(o).dataset;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string cli_path() {
#ifdef EMOFUSE_CLI_PATH
  return EMOFUSE_CLI_PATH;
#else
  return "";
#endif
}

CliProcess::CliProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv_strings{cli_path()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings(env);
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, capture_.file("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, capture_.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv_strings[0].c_str(), &actions, nullptr, argv.data(), envp.data()) == 0) pid_ = pid;
  posix_spawn_file_actions_destroy(&actions);
}

CliProcess::~CliProcess() {
  if (started() && !done_) {
    kill(pid_, SIGKILL);
    reap(true);
  }
}

bool CliProcess::reap(bool block) {
  if (done_) return true;
  if (waitpid(pid_, &status_, block ? 0 : WNOHANG) == pid_) done_ = true;
  return done_;
}

bool CliProcess::kill_when(const std::function<bool()>& condition, double timeout_s) {
  if (!started()) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      kill(pid_, SIGKILL);
      reap(true);
      return true;
    }
    if (reap(false)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

bool CliProcess::wait_for(double timeout_s) {
  if (!started()) return false;
  const bool ended = !kill_when([] { return false; }, timeout_s) && done_;
  if (!ended) {
    kill(pid_, SIGKILL);
    reap(true);
  }
  return ended;
}

int CliProcess::wait() {
  if (!started()) return -1;
  reap(true);
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::string CliProcess::out() const {
  return read_file(capture_.file("stdout"));
}
std::string CliProcess::err() const {
  return read_file(capture_.file("stderr"));
}

ProcessResult run_cli(const std::vector<std::string>& args, double timeout_s) {
  CliProcess process(args);
  ProcessResult result;
  result.timed_out = !process.wait_for(timeout_s);
  result.exit_code = process.wait();
  result.out = process.out();
  result.err = process.err();
  return result;
}

}  // namespace emofuse::testutil
