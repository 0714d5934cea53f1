// Small file utilities: RFC 4180 CSV reading with line numbers, atomic text writes.
#pragma once

#include <string>
#include <vector>

namespace emofuse {

/// A parsed CSV file: header and rows of fields, with the 1-based line each row starts on.
struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
  /// Index of column `name`; throws DataError(path, "header", "no column 'x'") when absent.
  int64_t column(const std::string& name) const;
  int64_t find_column(const std::string& name) const;  ///< -1 when absent
};

/// Reads a CSV file: quoted fields (with "" escapes, embedded delimiters and newlines), CRLF or
/// LF line ends, an optional UTF-8 byte-order mark. Every row must have as many fields as the
/// header: otherwise DataError "<path>: line 17: expected 6 columns, got 4". Blank lines skipped.
CsvTable read_csv(const std::string& path, char delimiter = ',');

/// Parses `text` as a finite double; throws DataError(path, "line L, column 'name'", ...) when it
/// is not a number, is NaN or Inf, or overflows a double ("1e400"). An underflow ("1e-400") reads
/// as the nearest double, as any decimal does.
double parse_number(const std::string& text, const std::string& path, int64_t line, const std::string& column);

/// The whole content of a file; throws DataError(path, "", "cannot read ...") when it cannot be opened.
std::string read_file(const std::string& path);

/// Writes `content` to `path` via a temporary file and a rename: readers never see half a file.
void write_text_atomic(const std::string& path, const std::string& content);

/// Quotes a CSV field when it holds the delimiter, a quote or a line break.
std::string csv_escape(const std::string& field);

}  // namespace emofuse
