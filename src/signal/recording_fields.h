// Number fields of raw recording files (E4 CSVs, WESAD quest.csv, generic recording CSVs), with
// errors naming the file, the line and the 1-based field: "ACC.csv: line 17, field 2: expected a
// number, got 'x'". Shared by the readers of wesad_readers.h and csv_recording.h.
#pragma once

#include <cstddef>
#include <string>

namespace emofuse::signal {

/// "line 17".
std::string line_ref(std::size_t line);

/// True when `line` holds nothing but whitespace.
bool is_blank(const std::string& line);

/// `field` (trimmed) as a double; NaN and Inf are read as such. Throws DataError(file, "line L,
/// field C", "expected a number, got '...'") on text that is not a number or overflows a double.
double parse_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column);

/// parse_field, rejecting NaN and Inf where they are (file, line, field and `context`, e.g.
/// "signal eda, sample index 17") instead of surfacing later as windows that all fail.
double parse_finite_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                          const std::string& context);

/// parse_finite_field for sample `sample` of `signal`; the context is built only for the error,
/// as this runs once per value of recordings with millions of samples.
double parse_sample_field(const std::string& field, const std::string& file, std::size_t line, std::size_t column,
                          const std::string& signal, std::size_t sample);

}  // namespace emofuse::signal
