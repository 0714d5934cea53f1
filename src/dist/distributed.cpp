#include "dist/distributed.h"

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // Debian's libtorch is built with Gloo; its header guards on this macro
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/error.h"

namespace emofuse::dist {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kHeartbeatInterval = std::chrono::milliseconds(500);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

const std::string kAbortKey = "emofuse/abort";
std::string heartbeat_key(int rank) {
  return "emofuse/heartbeat/" + std::to_string(rank);
}
std::string finished_key(int rank) {
  return "emofuse/finished/" + std::to_string(rank);
}
std::string arrived_key() {
  return "emofuse/arrived";
}

// An integer environment variable, or `fallback` when unset; OptionError names the variable.
int int_from_environment(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || errno != 0 || value < INT32_MIN || value > INT32_MAX) {
    throw OptionError(std::string("environment ") + name, std::string("'") + text + "' is not an integer");
  }
  return static_cast<int>(value);
}

std::string as_string(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}
std::vector<uint8_t> as_bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// A client (or, for rank 0's first, server) connection to the store.
c10::intrusive_ptr<c10d::TCPStore> connect_store(const DistributedOptions& o, bool server) {
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(o.master_port);
  store_options.isServer = server;
  store_options.waitWorkers = false;  // arrival is counted below, with a message naming who is missing
  store_options.timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds * 1000));
  try {
    return c10::make_intrusive<c10d::TCPStore>(o.master_addr, store_options);
  } catch (const std::exception& e) {
    const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
    throw Error(server ? "rank 0 cannot serve the rendezvous store on " + where +
                             " (is MASTER_PORT in use by another run?): " + e.what()
                       : "rank " + std::to_string(o.rank) + " cannot reach rank 0's store at " + where + " within " +
                             std::to_string(int(o.timeout_seconds)) + " s: " + e.what());
  }
}

}  // namespace

struct Distributed::Connections {
  c10::intrusive_ptr<c10d::TCPStore> store;  // the main thread's connection (rank 0: also the server)
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DistributedOptions DistributedOptions::from_environment() {
  DistributedOptions o;
  o.world_size = int_from_environment("WORLD_SIZE", o.world_size);
  o.rank = int_from_environment("RANK", o.rank);
  o.local_rank = int_from_environment("LOCAL_RANK", o.local_rank);
  o.master_port = int_from_environment("MASTER_PORT", o.master_port);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) o.master_addr = addr;
  if (const char* t = std::getenv("EMOFUSE_DIST_TIMEOUT"); t && *t) {
    char* end = nullptr;
    o.timeout_seconds = std::strtod(t, &end);
    if (*end != '\0') throw OptionError("environment EMOFUSE_DIST_TIMEOUT", std::string("'") + t + "' is not a number");
  }
  return o;
}

void DistributedOptions::validate() const {
  require_option(world_size >= 1, "world-size (WORLD_SIZE)", "must be at least 1, got " + std::to_string(world_size));
  require_option(rank >= 0 && rank < world_size, "rank (RANK)",
                 "must be in 0.." + std::to_string(world_size - 1) + " for world size " + std::to_string(world_size) +
                     ", got " + std::to_string(rank));
  require_option(local_rank >= 0, "local-rank (LOCAL_RANK)", "must be at least 0");
  require_option(master_port >= 1 && master_port <= 65535, "master-port (MASTER_PORT)",
                 "must be in 1..65535, got " + std::to_string(master_port));
  require_option(!master_addr.empty(), "master-addr (MASTER_ADDR)", "must not be empty");
  require_option(std::isfinite(timeout_seconds) && timeout_seconds > 0, "dist-timeout (EMOFUSE_DIST_TIMEOUT)",
                 "must be a positive number of seconds");
}

Distributed::Distributed(const DistributedOptions& options)
    : options_(options), connections_(std::make_unique<Connections>()) {
  options_.validate();
  connections_->store = connect_store(options_, is_main());
  auto& store = *connections_->store;
  // Every rank announces itself; all wait (bounded) until world_size have.
  store.add(arrived_key(), 1);
  if (is_main()) store.set("emofuse/world_size", as_bytes(std::to_string(world_size())));
  const auto deadline = Clock::now() + timeout();
  while (true) {
    const int64_t arrived = store.add(arrived_key(), 0);
    if (arrived == world_size()) break;
    if (arrived > world_size()) {
      throw Error("rendezvous at " + options_.master_addr + ":" + std::to_string(options_.master_port) + ": " +
                  std::to_string(arrived) + " processes arrived for world size " + std::to_string(world_size()) +
                  " (two runs on one MASTER_PORT, or ranks started with different WORLD_SIZE)");
    }
    if (Clock::now() > deadline) {
      throw Error("rendezvous at " + options_.master_addr + ":" + std::to_string(options_.master_port) + ": only " +
                  std::to_string(arrived) + " of " + std::to_string(world_size()) + " ranks arrived within " +
                  std::to_string(int(options_.timeout_seconds)) + " s");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string agreed = as_string(store.get("emofuse/world_size"));
  if (agreed != std::to_string(world_size())) {
    throw Error("rank " + std::to_string(rank()) + " was started with world size " + std::to_string(world_size()) +
                " but rank 0 with " + agreed);
  }
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

Distributed::~Distributed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_signal_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

std::chrono::milliseconds Distributed::timeout() const {
  return std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000));
}

void Distributed::set_failure(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failure_.empty()) failure_ = reason;
}

std::string Distributed::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

void Distributed::check_peers() const {
  const auto reason = failure();
  if (!reason.empty()) throw Error("distributed run stopped: " + reason);
}

// The heartbeat thread has its own connection (a TCPStore client is not safe to share between
// threads). Each beat adds one to this rank's counter and reads the counters it watches: rank 0
// watches every rank that has not finished, the others watch rank 0. A counter that has not moved
// for `timeout_seconds` marks its rank as gone; an abort message or a lost connection to rank 0
// is a failure too.
void Distributed::heartbeat_loop() {
  c10::intrusive_ptr<c10d::TCPStore> store;
  try {
    store = connect_store(options_, false);
  } catch (const std::exception& e) {
    set_failure(e.what());
    return;
  }
  std::vector<int64_t> last(world_size(), -1);
  std::vector<Clock::time_point> moved(world_size(), Clock::now());
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      store->add(heartbeat_key(rank()), 1);
      if (store->check({kAbortKey})) set_failure(as_string(store->get(kAbortKey)));
      for (int r = 0; r < world_size(); ++r) {
        if (r == rank() || (!is_main() && r != 0)) continue;
        if (store->check({finished_key(r)})) continue;
        const int64_t beats = store->add(heartbeat_key(r), 0);
        if (beats != last[r]) {
          last[r] = beats;
          moved[r] = Clock::now();
        } else if (Clock::now() - moved[r] > timeout()) {
          set_failure("rank " + std::to_string(r) + " sent no heartbeat for " +
                      std::to_string(int(options_.timeout_seconds)) + " s (killed, crashed, hung or unreachable)");
        }
      }
    } catch (const std::exception& e) {
      set_failure("lost the connection to rank 0's store at " + options_.master_addr + ":" +
                  std::to_string(options_.master_port) + " (rank 0 stopped?): " + e.what());
    }
    lock.lock();
    stop_signal_.wait_for(lock, kHeartbeatInterval, [this] { return stop_; });
  }
}

// Runs one store operation of the main thread; a failure (rank 0's store gone) becomes an Error
// that gives the heartbeat's diagnosis when it has one.
template <typename Operation>
auto Distributed::on_store(const char* what, Operation&& operation) {
  try {
    return operation(*connections_->store);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    check_peers();
    throw Error(std::string("distributed run stopped: ") + what + " on rank 0's store at " + options_.master_addr +
                ":" + std::to_string(options_.master_port) + " failed (rank 0 stopped?): " + e.what());
  }
}

void Distributed::publish(const std::string& key, const std::string& value) {
  check_peers();
  on_store("publishing", [&](c10d::Store& store) { store.set(key, as_bytes(value)); });
}

bool Distributed::has(const std::string& key) {
  return on_store("checking", [&](c10d::Store& store) { return store.check({key}); });
}

std::string Distributed::receive(const std::string& key) {
  while (!has(key)) {
    check_peers();
    std::this_thread::sleep_for(kPollInterval);
  }
  return on_store("reading", [&](c10d::Store& store) { return as_string(store.get(key)); });
}

void Distributed::remove(const std::string& key) {
  on_store("removing", [&](c10d::Store& store) { return store.deleteKey(key); });
}

void Distributed::abort(const std::string& reason) noexcept {
  try {
    const std::string message = "rank " + std::to_string(rank()) + " failed: " + reason;
    set_failure(message);
    connections_->store->compareSet(kAbortKey, {}, as_bytes(message));  // the first failure wins
  } catch (...) {
    // The store is gone too (rank 0 stopped): the other ranks notice that by themselves.
  }
}

void Distributed::finish() {
  if (finished_) return;
  finished_ = true;
  publish(finished_key(rank()), "1");
  if (!is_main()) return;
  for (int r = 1; r < world_size(); ++r) receive(finished_key(r));
}

c10d::ProcessGroupGloo& Distributed::group() {
  if (!connections_->group) {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout());
    // Gloo's own connections: over GLOO_SOCKET_IFNAME when set (as in PyTorch), over loopback when
    // rank 0 is on this machine's loopback, else over the address this host's name resolves to.
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    const bool loopback = options_.master_addr == "localhost" || options_.master_addr.rfind("127.", 0) == 0;
    gloo_options->devices.push_back(
        interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
        : loopback              ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                : c10d::ProcessGroupGloo::createDefaultDevice());
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("emofuse/gloo", connections_->store);
    try {
      connections_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank(), world_size(), gloo_options);
    } catch (const std::exception& e) {
      check_peers();
      throw Error(std::string("Gloo process group: ") + e.what());
    }
  }
  return *connections_->group;
}

void Distributed::all_reduce_mean(std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  try {
    // One flat buffer, one collective: per-tensor calls would pay Gloo's latency each time.
    std::vector<torch::Tensor> flat{torch::cat([&] {
      std::vector<torch::Tensor> views;
      for (auto& t : tensors) views.push_back(t.reshape({-1}));
      return views;
    }())};
    group().allreduce(flat)->wait();
    flat[0].div_(world_size());
    int64_t offset = 0;
    for (auto& t : tensors) {
      t.copy_(flat[0].narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    check_peers();
    throw Error(std::string("all-reduce over Gloo: ") + e.what());
  }
}

}  // namespace emofuse::dist
