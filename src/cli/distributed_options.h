// The distributed-run flags of `train` (--world-size, --rank, --local-rank, --master-addr,
// --master-port, --dist-timeout): torchrun's environment variables, which a flag overrides. See
// dist/distributed.h for what the ranks do and docs/distributed.md for launching them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "dist/distributed.h"

namespace emofuse::cli {

/// The flags as given (absent ones fall back to the environment, then to the defaults).
struct DistributedArgs {
  std::optional<int> world_size, rank, local_rank, master_port;
  std::optional<std::string> master_addr;
  std::optional<double> timeout_seconds;
};

/// Adds the flags to `command`, bound to `args`.
void add_distributed_options(CLI::App* command, DistributedArgs& args);

/// Joins the distributed run the flags and environment describe: null when the world size is 1
/// (a single process, nothing to join), else the rendezvous done (see dist::Distributed). Throws
/// OptionError on invalid values and Error when the rendezvous fails.
std::unique_ptr<dist::Distributed> join_distributed_run(const DistributedArgs& args);

/// Runs `body`; when it throws on a rank of a distributed run, tells the other ranks why (so
/// their waits fail with this rank's reason at once) before the error goes on to `main`. On
/// success, waits (bounded) until every rank is done.
void run_as_rank(dist::Distributed* distributed, const std::function<void()>& body);

/// Whether this process reports and writes the results: the only process, or rank 0.
bool is_main_rank(const dist::Distributed* distributed);

/// Rank 0's check (and --overwrite clear) of the run folders comes before any rank writes
/// beneath them (a shared file system): `check` runs on rank 0 or the only process, and the other
/// ranks wait until it has. `step` names the check among the run's store keys.
void check_run_folders_first(dist::Distributed* distributed, const std::string& step,
                             const std::function<void()>& check);

/// The last line of a rank other than 0: "emofuse: rank R: done; rank 0 wrote <where>".
void report_rank_done(const dist::Distributed& distributed, const std::string& where);

}  // namespace emofuse::cli
