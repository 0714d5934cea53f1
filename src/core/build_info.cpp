#include "core/build_info.h"

namespace emofuse {
namespace {

std::string& recorded_command_line() {
  static std::string line;
  return line;
}

// Quotes `arg` for a POSIX shell when it holds anything but plain characters.
std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                            "-_./=:,+@%") == std::string::npos) {
    return arg;
  }
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

void set_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + shell_quote(argv[i]);
  recorded_command_line() = line;
}

const std::string& command_line() {
  return recorded_command_line();
}

}  // namespace emofuse
