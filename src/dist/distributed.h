// Several emofuse processes working on one run, on one machine or many, through LibTorch's
// torch.distributed C++ core (c10d): a TCPStore served by rank 0 carries everything the ranks
// exchange (the run folder's state, finished folds, the final result, heartbeats), and a Gloo
// process group, created on first use, all-reduces tensors.
//
// Rendezvous follows torchrun's conventions, so a Slurm or torchrun user already knows them:
//   WORLD_SIZE   number of processes (1: no rendezvous, nothing here is used)
//   RANK         this process, 0 .. WORLD_SIZE-1; rank 0 serves the store and writes the run folder
//   LOCAL_RANK   this process among those on its machine (recorded, not needed by emofuse)
//   MASTER_ADDR  rank 0's address (default 127.0.0.1)
//   MASTER_PORT  the store's TCP port on rank 0 (default 29500)
// The same values can be given as flags (see cli/); a flag wins over the environment.
//
// Nothing waits without a bound. Every rank sends a heartbeat every second from its own thread
// and connection; rank 0 watches every other rank, the others watch rank 0. A rank that is silent
// for longer than `timeout_seconds` (killed, crashed, hung, its machine gone), or that reports a
// failure, makes every waiting call on every rank throw `Error` naming the rank and the reason.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

namespace c10d {
class ProcessGroupGloo;
}  // namespace c10d

namespace emofuse::dist {

/// Where this process sits among the others and how it finds them.
struct DistributedOptions {
  int world_size = 1;
  int rank = 0;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// How long rendezvous may take and how long a rank may be silent before the run fails.
  double timeout_seconds = 120;

  /// More than one process: the run is distributed.
  bool enabled() const { return world_size > 1; }

  /// WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT from the environment (absent ones
  /// keep their defaults); EMOFUSE_DIST_TIMEOUT (seconds) sets timeout_seconds. Throws
  /// OptionError naming the variable when one is not a valid value.
  static DistributedOptions from_environment();

  /// Throws OptionError naming the field when the values cannot work together (a rank outside
  /// 0 .. world_size-1, a port outside 1 .. 65535, a non-positive timeout).
  void validate() const;
};

/// One process's membership of a distributed run. Construction is the rendezvous: rank 0 starts
/// the store, every rank connects and announces itself, and the constructor returns when all
/// `world_size` ranks have arrived (or throws after `timeout_seconds`, naming who is missing).
///
/// Keys are plain strings; values are byte strings. The store keeps everything in rank 0's
/// memory until rank 0 exits, so large values (fold folders with model bundles) should be
/// removed with `remove` once read.
class Distributed {
 public:
  explicit Distributed(const DistributedOptions& options);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool is_main() const { return options_.rank == 0; }
  /// More than one rank (a Distributed of world size 1 is allowed and shares nothing).
  bool enabled() const { return options_.world_size > 1; }
  const DistributedOptions& options() const { return options_; }

  /// Throws Error when another rank has failed or gone silent (see the file comment); cheap, for
  /// calling between epochs and folds.
  void check_peers() const;

  /// Stores `value` under `key` for the other ranks.
  void publish(const std::string& key, const std::string& value);
  /// Whether `key` has been published (does not wait).
  bool has(const std::string& key);
  /// Waits for `key` and returns its value; throws Error when a rank fails or goes silent first.
  std::string receive(const std::string& key);
  /// Removes `key` from the store (frees rank 0's memory).
  void remove(const std::string& key);

  /// Tells every rank that this one failed with `reason` (their waits throw "rank R failed:
  /// reason"). Never throws: called while an error is already on its way out.
  void abort(const std::string& reason) noexcept;

  /// A number that grows by one on each call, the same sequence on every rank as long as every
  /// rank makes the same calls: a namespace for the keys of one experiment among several (ablate).
  int next_sequence() { return ++sequence_; }

  /// The end of a successful run: every rank announces it is done, and rank 0 waits (bounded as
  /// always) until all have, so that no rank loses the store while it still reads from it.
  void finish();

  /// A Gloo process group over all ranks (created on first call; collective: every rank must call
  /// it). For all-reduce of gradients and the like.
  c10d::ProcessGroupGloo& group();

  /// Sums `tensors` over all ranks in place and divides by world_size (the mean), in one
  /// collective call over Gloo; throws Error naming the cause when it fails or times out.
  void all_reduce_mean(std::vector<torch::Tensor>& tensors);

 private:
  template <typename Operation>
  auto on_store(const char* what, Operation&& operation);
  void heartbeat_loop();
  void set_failure(const std::string& reason);
  std::string failure() const;
  std::chrono::milliseconds timeout() const;

  struct Connections;  // the c10d objects (distributed.cpp), kept out of this header

  DistributedOptions options_;
  std::unique_ptr<Connections> connections_;
  int sequence_ = 0;
  bool finished_ = false;

  std::thread heartbeat_;
  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stop_ = false;
  std::string failure_;  // set by the heartbeat thread (or abort), read by every wait
};

}  // namespace emofuse::dist
