// What a run records about the program that produced it (summary.md, metrics.json): the source
// commit the binary was built from, and the command line it was started with.
#pragma once

#include <string>

namespace emofuse {

/// `git describe --always --dirty` of the source tree at build time, e.g. "fffc561a9b2c-dirty"
/// ("-dirty": built with uncommitted changes); a fixed text when not built from a git checkout.
const char* build_commit();

/// Records the process's command line (main calls it once); read by command_line().
void set_command_line(int argc, char** argv);
/// The recorded command line, arguments with spaces or quotes single-quoted for a POSIX shell;
/// empty when set_command_line was never called (tests, the C++ API).
const std::string& command_line();

}  // namespace emofuse
