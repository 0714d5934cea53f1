// dist::Distributed in one process: the ranks are threads, each with its own connections, on
// 127.0.0.1. The multi-process behaviour (a killed rank, a whole run) is in
// tests/train/test_distributed_run.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "core/error.h"
#include "dist/distributed.h"
#include "dist/free_port.h"
#include "test_util.h"

using ::testing::HasSubstr;
using namespace emofuse;

namespace {

using testutil::free_tcp_port;

dist::DistributedOptions options_for(int rank, int world_size, int port, double timeout_seconds = 20) {
  dist::DistributedOptions o;
  o.world_size = world_size;
  o.rank = rank;
  o.master_port = port;
  o.timeout_seconds = timeout_seconds;
  return o;
}

// Runs body(rank's Distributed) on `world_size` threads and returns what each returned.
template <typename Body>
auto on_ranks(int world_size, Body body, double timeout_seconds = 20) {
  const int port = free_tcp_port();
  using Result = decltype(body(std::declval<dist::Distributed&>()));
  std::vector<std::future<Result>> futures;
  for (int r = 0; r < world_size; ++r) {
    futures.push_back(std::async(std::launch::async, [=] {
      dist::Distributed d(options_for(r, world_size, port, timeout_seconds));
      return body(d);
    }));
  }
  std::vector<Result> results;
  for (auto& f : futures) results.push_back(f.get());
  return results;
}

struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) { ::setenv(n.c_str(), value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

}  // namespace

TEST(DistributedOptions, ReadsTorchrunVariables) {
  ScopedEnv w("WORLD_SIZE", "4"), r("RANK", "3"), l("LOCAL_RANK", "1"), a("MASTER_ADDR", "10.0.0.7"),
      p("MASTER_PORT", "29999"), t("EMOFUSE_DIST_TIMEOUT", "7.5");
  const auto o = dist::DistributedOptions::from_environment();
  EXPECT_EQ(o.world_size, 4);
  EXPECT_EQ(o.rank, 3);
  EXPECT_EQ(o.local_rank, 1);
  EXPECT_EQ(o.master_addr, "10.0.0.7");
  EXPECT_EQ(o.master_port, 29999);
  EXPECT_DOUBLE_EQ(o.timeout_seconds, 7.5);
  EXPECT_TRUE(o.enabled());
  EXPECT_NO_THROW(o.validate());
}

TEST(DistributedOptions, DefaultsAreOneProcess) {
  const auto o = dist::DistributedOptions::from_environment();
  EXPECT_EQ(o.world_size, 1);
  EXPECT_FALSE(o.enabled());
}

TEST(DistributedOptions, BadValuesNameTheVariable) {
  {
    ScopedEnv w("WORLD_SIZE", "two");
    EXPECT_THAT(testutil::error_message<OptionError>([] { dist::DistributedOptions::from_environment(); }),
                HasSubstr("environment WORLD_SIZE': 'two' is not an integer"));
  }
  {
    ScopedEnv p("MASTER_PORT", "80x");
    EXPECT_THAT(testutil::error_message<OptionError>([] { dist::DistributedOptions::from_environment(); }),
                HasSubstr("MASTER_PORT"));
  }
  auto o = options_for(2, 2, 29500);
  EXPECT_THAT(testutil::error_message<OptionError>([&] { o.validate(); }),
              HasSubstr("rank (RANK)': must be in 0..1 for world size 2, got 2"));
  o = options_for(0, 0, 29500);
  EXPECT_THAT(testutil::error_message<OptionError>([&] { o.validate(); }), HasSubstr("must be at least 1"));
  o = options_for(0, 2, 70000);
  EXPECT_THAT(testutil::error_message<OptionError>([&] { o.validate(); }), HasSubstr("must be in 1..65535"));
  o = options_for(0, 2, 29500, 0);
  EXPECT_THAT(testutil::error_message<OptionError>([&] { o.validate(); }), HasSubstr("positive number of seconds"));
}

TEST(Distributed, RanksExchangeValuesThroughTheStore) {
  const auto received = on_ranks(3, [](dist::Distributed& d) {
    d.publish("greeting/" + std::to_string(d.rank()), std::string("from ") + std::to_string(d.rank()) + '\0' + "x");
    std::string all;
    for (int r = 0; r < d.world_size(); ++r) all += d.receive("greeting/" + std::to_string(r)) + ";";
    EXPECT_EQ(d.next_sequence(), 1);
    EXPECT_EQ(d.next_sequence(), 2);
    d.finish();
    return all;
  });
  const std::string expected = std::string("from 0") + '\0' + "x;from 1" + '\0' + "x;from 2" + '\0' + "x;";
  for (const auto& r : received) EXPECT_EQ(r, expected);
}

TEST(Distributed, AllReduceMeanAveragesOverRanks) {
  const auto reduced = on_ranks(2, [](dist::Distributed& d) {
    std::vector<torch::Tensor> tensors{torch::full({2, 3}, double(d.rank() + 1), torch::kFloat64),
                                       torch::arange(4, torch::kFloat32) * float(d.rank())};
    d.all_reduce_mean(tensors);
    d.finish();
    return tensors;
  });
  for (const auto& t : reduced) {
    EXPECT_TRUE(torch::equal(t[0], torch::full({2, 3}, 1.5, torch::kFloat64)));
    EXPECT_TRUE(torch::allclose(t[1], torch::arange(4, torch::kFloat32) * 0.5f));
    EXPECT_EQ(t[0].dtype(), torch::kFloat64);
  }
}

TEST(Distributed, AFailedRankStopsTheOthersWaitingWithItsReason) {
  const auto start = std::chrono::steady_clock::now();
  const auto messages = on_ranks(2, [](dist::Distributed& d) -> std::string {
    if (d.rank() == 1) {
      d.abort("fold 2: weights.pt: cannot write");
      return "";
    }
    return testutil::error_message<Error>([&] { d.receive("never/published"); });
  });
  EXPECT_THAT(messages[0], HasSubstr("distributed run stopped: rank 1 failed: fold 2: weights.pt: cannot write"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(Distributed, RendezvousWithAMissingRankFailsInBoundedTime) {
  const auto start = std::chrono::steady_clock::now();
  const auto message =
      testutil::error_message<Error>([] { dist::Distributed d(options_for(0, 2, free_tcp_port(), 1.5)); });
  EXPECT_THAT(message, HasSubstr("only 1 of 2 ranks arrived within 1 s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Distributed, ANonZeroRankWithoutRankZeroFailsInBoundedTime) {
  // The client retries until rank 0 listens (ranks start in any order), then gives up.
  const auto start = std::chrono::steady_clock::now();
  const auto message =
      testutil::error_message<Error>([] { dist::Distributed d(options_for(1, 2, free_tcp_port(), 3)); });
  EXPECT_THAT(message, HasSubstr("rank 1 cannot reach rank 0's store at 127.0.0.1:"));
  EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << "it did not wait for rank 0";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Distributed, RanksMayStartInAnyOrder) {
  const int port = free_tcp_port();
  auto late_main = std::async(std::launch::async, [port] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    dist::Distributed d(options_for(0, 2, port));
    d.finish();
    return d.rank();
  });
  dist::Distributed early(options_for(1, 2, port));
  early.finish();
  EXPECT_EQ(late_main.get(), 0);
}
