// `emofuse stream` end to end (the real binary): a model trained on `features --causal` output
// gives, from the replayed recording, the distributions `predict` gives for the same windows of
// features.csv; malformed lines are named by number and skipped or fatal; TCP input equals file
// input; a silent input times out; a model without a feature pipeline is refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/io.h"
#include "test_util.h"

namespace fs = std::filesystem;
using emofuse::testutil::run_cli;

namespace {

// Three simulated subjects, causal features (20 s windows every 2 s from 30 s of context), an
// MLP trained on one leave-one-subject-out fold, and subject S2 replayed as stream lines.
struct StreamInputs {
  emofuse::testutil::TempDir dir;
  fs::path raw, features, bundle, lines;
};

const StreamInputs& inputs() {
  static StreamInputs* s = [] {
    auto* in = new StreamInputs;
    const fs::path base(in->dir.path());
    in->raw = base / "raw";
    in->features = base / "features";
    auto r = run_cli(
        {"synth", "--raw", "--subjects", "3", "--condition-seconds", "60", "--seed", "4", "--out", in->raw.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_cli({"features", "--dataset", "wesad", "--data", in->raw.string(), "--causal", "--window", "20", "--step",
                 "2", "--context", "30", "--out", in->features.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_cli(
        {"train", "--data", in->features.string(), "--run-dir", (base / "run").string(), "--threads", "1", "--quiet",
         "--set", "model.name=mlp_early", "--set", "training.epochs=3", "--set", "protocol.max_folds=1"},
        600);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& fold : fs::directory_iterator(base / "run" / "folds")) in->bundle = fold.path() / "model";
    r = run_cli({"replay", "--data", in->raw.string(), "--subject", "S2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    in->lines = base / "S2.csv";
    std::ofstream(in->lines) << r.out;
    return in;
  }();
  return *s;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The JSON lines without their latency, for comparing two runs.
std::string without_latency(const std::string& text) {
  std::string out;
  for (auto j : json_lines(text)) {
    j.erase("latency_ms");
    out += j.dump() + "\n";
  }
  return out;
}

TEST(StreamCli, ReplayedRecordingGivesThePredictionsOfTheOfflineFeatures) {
  const auto& in = inputs();
  ASSERT_TRUE(fs::exists(in.bundle / "feature_pipeline.yaml"));
  emofuse::testutil::TempDir dir;
  auto predicted = run_cli({"predict", "-m", in.bundle.string(), "--data", in.features.string(), "--out",
                            dir.file("p.csv"), "--threads", "1"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  auto streamed = run_cli({"stream", "-m", in.bundle.string(), "--input", in.lines.string()});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;

  // Window end time -> streamed distribution, for S2.
  std::map<double, nlohmann::json> by_end;
  for (const auto& j : json_lines(streamed.out)) by_end[j["end_s"].get<double>()] = j;
  ASSERT_GT(by_end.size(), 100u);
  const auto features = emofuse::read_csv(in.features / "features.csv");
  const auto predictions = emofuse::read_csv(dir.file("p.csv"));
  ASSERT_EQ(features.rows.size(), predictions.rows.size());
  const auto classes = std::vector<std::string>{"baseline", "stress", "amusement", "meditation"};
  std::size_t compared = 0;
  for (std::size_t r = 0; r < features.rows.size(); ++r) {
    if (features.rows[r][0] != "S2") continue;
    const double end = std::stod(features.rows[r][2]) + 20;
    ASSERT_TRUE(by_end.count(end)) << "no streamed window ends at " << end;
    const auto& j = by_end[end];
    ASSERT_TRUE(j["valid"].get<bool>()) << j.dump();
    for (std::size_t c = 0; c < classes.size(); ++c) {
      const double offline = std::stod(predictions.rows[r][5 + c]);  // p_<class> columns
      EXPECT_NEAR(j["distribution"][classes[c]].get<double>(), offline, 1e-6) << "window ending " << end;
    }
    ++compared;
  }
  EXPECT_GT(compared, 80u);
  EXPECT_NE(streamed.err.find("0 malformed"), std::string::npos) << streamed.err;
}

TEST(StreamCli, MalformedLinesAreNamedAndSkippedOrFatal) {
  const auto& in = inputs();
  const std::string clean = emofuse::read_file(in.lines.string());
  // Bad lines after the first sample line (file line 2 onwards).
  const auto first_end = clean.find('\n') + 1;
  const std::string bad =
      "not a sample\n1.0,XYZ,3\n1.0,BVP\n1.0,BVP,1,2\nnan,EDA,1\n1.0,EDA,abc\n" + std::string(70000, 'x') + "\n";
  emofuse::testutil::TempDir dir;
  std::ofstream(dir.file("bad.csv")) << clean.substr(0, first_end) << bad << clean.substr(first_end);
  auto reference = run_cli({"stream", "-m", in.bundle.string(), "--input", in.lines.string()});
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  auto skipped = run_cli({"stream", "-m", in.bundle.string(), "--input", dir.file("bad.csv")});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  for (const char* expected :
       {"line 2: expected timestamp,stream,value", "line 3: unknown stream 'XYZ'", "line 4: expected timestamp",
        "line 5: BVP has 1 value(s) per sample, the line 2", "line 6: timestamp 'nan' is not a finite number",
        "line 7: EDA value 1 'abc'", "line 8: longer than 65536", "7 malformed line(s) skipped"}) {
    EXPECT_NE(skipped.err.find(expected), std::string::npos) << expected << "\n" << skipped.err;
  }
  EXPECT_EQ(without_latency(skipped.out), without_latency(reference.out));
  auto fatal = run_cli({"stream", "-m", in.bundle.string(), "--input", dir.file("bad.csv"), "--on-malformed", "fail"});
  EXPECT_EQ(fatal.exit_code, 1);
  EXPECT_NE(fatal.err.find("bad.csv: line 2:"), std::string::npos) << fatal.err;
}

TEST(StreamCli, TcpInputEqualsFileInputAndASilentInputTimesOut) {
  const auto& in = inputs();
  auto reference = run_cli({"stream", "-m", in.bundle.string(), "--input", in.lines.string()});
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const std::string lines = emofuse::read_file(in.lines.string());
  for (const bool silent : {false, true}) {
    emofuse::testutil::CliProcess child(
        {"stream", "-m", in.bundle.string(), "--input", "tcp://127.0.0.1:0", "--listen", "--stall-timeout", "2"});
    ASSERT_TRUE(child.started());
    int port = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (port == 0 && std::chrono::steady_clock::now() < deadline) {
      const auto err = child.err();
      const auto at = err.find("listening on 127.0.0.1:");
      if (at != std::string::npos && err.find('\n', at) != std::string::npos) {
        port = std::stoi(err.substr(at + 23));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    ASSERT_GT(port, 0) << child.err();
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    const std::string sent = silent ? lines.substr(0, lines.size() / 2) : lines;
    for (std::size_t at = 0; at < sent.size();) {
      const ssize_t n = ::write(fd, sent.data() + at, std::min<std::size_t>(sent.size() - at, 8192));
      ASSERT_GT(n, 0);
      at += static_cast<std::size_t>(n);
    }
    if (!silent) ::close(fd);
    ASSERT_TRUE(child.wait_for(120));
    if (silent) {
      ::close(fd);
      EXPECT_EQ(child.wait(), 1);
      EXPECT_NE(child.err().find("input stalled: no line for 2"), std::string::npos) << child.err();
      EXPECT_FALSE(child.out().empty());  // the windows before the stall came out
    } else {
      EXPECT_EQ(child.wait(), 0) << child.err();
      EXPECT_EQ(without_latency(child.out()), without_latency(reference.out));
    }
  }
}

TEST(StreamCli, AModelWithoutAFeaturePipelineIsRefused) {
  const auto& in = inputs();
  emofuse::testutil::TempDir dir;
  const fs::path copy = fs::path(dir.path()) / "model";
  fs::copy(in.bundle, copy, fs::copy_options::recursive);
  fs::remove(copy / "feature_pipeline.yaml");
  auto r = run_cli({"stream", "-m", copy.string(), "--input", in.lines.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no feature_pipeline.yaml"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(StreamCli, OfflineFeaturesRemoveAStalePipeline) {
  const auto& in = inputs();
  emofuse::testutil::TempDir dir;
  const fs::path out = fs::path(dir.path()) / "features";
  fs::copy(in.features, out, fs::copy_options::recursive);
  ASSERT_TRUE(fs::exists(out / "feature_pipeline.yaml"));
  auto r = run_cli({"features", "--dataset", "wesad", "--data", in.raw.string(), "--no-chest", "--subjects", "S2",
                    "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out / "feature_pipeline.yaml"));
}

}  // namespace
