#include "core/io.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace emofuse {

int64_t CsvTable::find_column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int64_t>(i);
  }
  return -1;
}

int64_t CsvTable::column(const std::string& name) const {
  auto i = find_column(name);
  if (i < 0) throw DataError(path, "header", "no column '" + name + "'");
  return i;
}

CsvTable read_csv(const std::string& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  size_t pos = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;

  CsvTable table;
  table.path = path;
  int64_t line = 1;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, row_has_content = false;
  int64_t row_start_line = 1;
  auto end_row = [&]() {
    row.push_back(field);
    field.clear();
    bool blank = !row_has_content && row.size() == 1 && row[0].empty();
    if (!blank) {
      if (table.header.empty() && table.rows.empty() && table.lines.empty()) {
        table.header = row;
        table.lines.push_back(row_start_line);  // header line marker, removed below
      } else {
        if (row.size() != table.header.size()) {
          throw DataError(
              path, "line " + std::to_string(row_start_line),
              "expected " + std::to_string(table.header.size()) + " columns, got " + std::to_string(row.size()));
        }
        table.rows.push_back(row);
        table.lines.push_back(row_start_line);
      }
    }
    row.clear();
    row_has_content = false;
  };
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (in_quotes) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field += '"';
          ++pos;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      in_quotes = true;
      row_has_content = true;
    } else if (c == delimiter) {
      row.push_back(field);
      field.clear();
      row_has_content = true;
    } else if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
      continue;  // CRLF: the '\n' ends the row
    } else if (c == '\n') {
      end_row();
      ++line;
      row_start_line = line;
    } else {
      field += c;
      row_has_content = true;
    }
  }
  if (in_quotes)
    throw DataError(path, "line " + std::to_string(row_start_line), "unterminated quoted field (truncated file?)");
  if (row_has_content || !field.empty()) end_row();
  if (table.header.empty()) throw DataError(path, "", "empty file (no header)");
  table.lines.erase(table.lines.begin());
  return table;
}

double parse_number(const std::string& text, const std::string& path, int64_t line, const std::string& column) {
  const char* begin = text.c_str();
  while (*begin == ' ' || *begin == '\t') ++begin;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(begin, &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  const std::string where = "line " + std::to_string(line) + ", column '" + column + "'";
  if (end == begin || (end && *end != '\0'))
    throw DataError(path, where, "expected a finite number, got '" + text + "'");
  // strtod sets ERANGE on overflow (returns +-HUGE_VAL) and on underflow (returns a value at most
  // the smallest normal double): only overflow loses the value.
  if (errno == ERANGE && std::isinf(value)) {
    throw DataError(path, where, "value '" + text + "' does not fit a 64-bit float (|x| <= 1.8e308)");
  }
  if (!std::isfinite(value)) throw DataError(path, where, "expected a finite number, got '" + text + "' (NaN or Inf)");
  return value;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path, "", "cannot open file");
  // Sized once: raw recordings run to hundreds of megabytes.
  const std::streamsize size = in.tellg();
  std::string text(static_cast<std::size_t>(std::max<std::streamsize>(size, 0)), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(text.data(), size)) throw DataError(path, "", "read failed");
  return text;
}

std::string trim(const std::string& text) {
  std::size_t a = 0, b = text.size();
  while (a < b && std::isspace(static_cast<unsigned char>(text[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(text[b - 1]))) --b;
  return text.substr(a, b - a);
}

std::string to_lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : separator) + items[i];
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> split_fields(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    fields.push_back(trim(line.substr(start, end == std::string::npos ? std::string::npos : end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return fields;
}

void write_text_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + path);
    out << content;
    if (!out) throw Error("cannot write " + path + " (disk full?)");
  }
  std::filesystem::rename(tmp, path);
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace emofuse
