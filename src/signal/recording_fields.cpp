#include "signal/recording_fields.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/io.h"

namespace emofuse::signal {

std::string line_ref(std::size_t line) {
  return "line " + std::to_string(line);
}

bool is_blank(const std::string& line) {
  return trim(line).empty();
}

double parse_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column) {
  const std::string f = trim(field);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(f.c_str(), &end);
  if (f.empty() || end != f.c_str() + f.size() || errno == ERANGE) {
    throw DataError(file, line_ref(line) + ", field " + std::to_string(column), "expected a number, got '" + f + "'");
  }
  return v;
}

double parse_finite_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                          const std::string& context) {
  const double v = parse_field(field, file, line, column);
  if (!std::isfinite(v)) {
    throw DataError(file, line_ref(line) + ", field " + std::to_string(column) + " (" + context + ")",
                    "'" + trim(field) + "' is not a finite number; recordings must not contain NaN or Inf");
  }
  return v;
}

double parse_sample_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                          const std::string& signal, std::size_t sample) {
  const double v = parse_field(field, file, line, column);
  if (std::isfinite(v)) return v;
  return parse_finite_field(field, file, line, column, "signal " + signal + ", sample index " + std::to_string(sample));
}

}  // namespace emofuse::signal
