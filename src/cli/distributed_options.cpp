#include "cli/distributed_options.h"

#include <iostream>

namespace emofuse::cli {

void add_distributed_options(CLI::App* command, DistributedArgs& args) {
  const std::string group = "Distributed (torchrun's variables; a flag overrides its variable)";
  command->add_option("--world-size", args.world_size, "Processes in the run (WORLD_SIZE; default 1)")->group(group);
  command->add_option("--rank", args.rank, "This process, 0..world-size-1; 0 writes the run folder (RANK)")
      ->group(group);
  command->add_option("--local-rank", args.local_rank, "This process among those on its machine (LOCAL_RANK)")
      ->group(group);
  command->add_option("--master-addr", args.master_addr, "Rank 0's address (MASTER_ADDR; default 127.0.0.1)")
      ->group(group);
  command->add_option("--master-port", args.master_port, "Rank 0's rendezvous port (MASTER_PORT; default 29500)")
      ->group(group);
  command
      ->add_option("--dist-timeout", args.timeout_seconds,
                   "Seconds to wait for the other ranks at rendezvous, and the silence after which a rank "
                   "counts as dead (EMOFUSE_DIST_TIMEOUT; default 120)")
      ->group(group);
}

std::unique_ptr<dist::Distributed> join_distributed_run(const DistributedArgs& args) {
  auto options = dist::DistributedOptions::from_environment();
  if (args.world_size) options.world_size = *args.world_size;
  if (args.rank) options.rank = *args.rank;
  if (args.local_rank) options.local_rank = *args.local_rank;
  if (args.master_addr) options.master_addr = *args.master_addr;
  if (args.master_port) options.master_port = *args.master_port;
  if (args.timeout_seconds) options.timeout_seconds = *args.timeout_seconds;
  options.validate();
  if (!options.enabled()) return nullptr;
  std::cerr << "emofuse: rank " << options.rank << " of " << options.world_size << ", waiting for the others at "
            << options.master_addr << ":" << options.master_port << "\n";
  auto distributed = std::make_unique<dist::Distributed>(options);
  std::cerr << "emofuse: rank " << options.rank << ": all " << options.world_size << " ranks arrived\n";
  return distributed;
}

void run_as_rank(dist::Distributed* distributed, const std::function<void()>& body) {
  if (!distributed) return body();
  try {
    body();
  } catch (const std::exception& e) {
    distributed->abort(e.what());
    throw;
  }
  distributed->finish();
}

bool is_main_rank(const dist::Distributed* distributed) {
  return !distributed || distributed->is_main();
}

void check_run_folders_first(dist::Distributed* distributed, const std::string& step,
                             const std::function<void()>& check) {
  const std::string key = step + "/run_folders_checked";
  if (is_main_rank(distributed)) {
    check();
    if (distributed) distributed->publish(key, "1");
  } else {
    distributed->receive(key);
  }
}

void report_rank_done(const dist::Distributed& distributed, const std::string& where) {
  std::cerr << "emofuse: rank " << distributed.rank() << ": done; rank 0 wrote " << where << "\n";
}

}  // namespace emofuse::cli
