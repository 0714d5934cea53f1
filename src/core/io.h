// Small file and text utilities: RFC 4180 CSV reading with line numbers, atomic text writes, and
// the string helpers the readers share (trim, lower case, join, lines, unquoted fields).
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

/// The whole content of a file; throws DataError(path, "", "cannot open file") when it cannot be
/// opened and DataError(path, "", "read failed") when reading stops short.
std::string read_file(const std::string& path);

/// `text` without leading and trailing whitespace (std::isspace: space, \t, \n, \v, \f, \r).
std::string trim(const std::string& text);

/// `text` in ASCII lower case (other bytes unchanged).
std::string to_lower(std::string text);

/// The items separated by `separator`: join({"a", "b"}) == "a, b".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// The lines of `text` without their "\n" or "\r\n"; line k (1-based) is element k - 1. A final
/// line end does not start another line; blank lines are kept, so numbering matches the file.
std::vector<std::string> split_lines(const std::string& text);

/// The fields of one line split at every `delimiter`, each trimmed; no quoting (read_csv reads
/// quoted CSV). An empty line is one empty field.
std::vector<std::string> split_fields(const std::string& line, char delimiter);

/// Writes `content` to `path` via a temporary file and a rename: readers never see half a file.
void write_text_atomic(const std::string& path, const std::string& content);

/// Quotes a CSV field when it holds the delimiter, a quote or a line break.
std::string csv_escape(const std::string& field);

/// `text` for an XML or HTML page: &, <, > and " as &amp; &lt; &gt; &quot;.
std::string xml_escape(const std::string& text);

}  // namespace emofuse
