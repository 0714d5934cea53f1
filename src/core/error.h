// Errors that reach the user. Data problems name the file, the line or field, and what was
// expected; `main` prints what() and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace emofuse {

/// Base class of every error emofuse raises on purpose (bad input, bad option, I/O failure).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Bad data in a file: message reads "<file>: <where>: <what>" (where = "line 17", "field 'feas'").
class DataError : public Error {
 public:
  DataError(const std::string& file, const std::string& where, const std::string& what)
      : Error(file + (where.empty() ? "" : ": " + where) + ": " + what) {}
};

/// An invalid option value: message reads "option '<name>': <what>".
class OptionError : public Error {
 public:
  OptionError(const std::string& option, const std::string& what) : Error("option '" + option + "': " + what) {}
};

/// A computation stopped on the host's request (check_interrupt in core/runtime.h: Ctrl-C in
/// Python). Not a failure of the input: what it wrote stays as an interrupted run leaves it.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

/// Throws OptionError(option, what) unless `condition` holds. For validating options up front.
inline void require_option(bool condition, const std::string& option, const std::string& what) {
  if (!condition) throw OptionError(option, what);
}

}  // namespace emofuse
