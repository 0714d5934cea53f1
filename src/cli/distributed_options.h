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

}  // namespace emofuse::cli
