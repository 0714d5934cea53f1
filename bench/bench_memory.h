// Resident memory of the running benchmark process (Linux), shared by the benchmark programs.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace emofuse::bench {

/// Resident set now, in MB (10^6 bytes), from /proc/self/statm.
inline double resident_mb() {
  long pages = 0, resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / 1e6;
}

/// The process's peak resident set, in MB (10^6 bytes).
inline double peak_resident_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) * 1024.0 / 1e6;  // ru_maxrss is in KiB on Linux
}

}  // namespace emofuse::bench
