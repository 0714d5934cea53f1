#include "text/npy.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <regex>
#include <sstream>

#include "core/error.h"

namespace emofuse::text {

int64_t NpyArray::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// Value of key `key` in the header dict, as its raw literal text (quotes kept for strings).
std::string header_value(const std::string& header, const std::string& key, const std::string& path) {
  // 'key': <value> where value is a quoted string, True/False, or a parenthesised tuple.
  const std::regex re("['\"]" + key + "['\"]\\s*:\\s*('[^']*'|\"[^\"]*\"|True|False|\\([^)]*\\))");
  std::smatch m;
  if (!std::regex_search(header, m, re)) {
    throw DataError(path, "header", "missing or unreadable '" + key + "' in " + header);
  }
  return m[1].str();
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  char magic[kMagicLen];
  if (!in.read(magic, kMagicLen) || std::memcmp(magic, kMagic, kMagicLen) != 0) {
    throw DataError(path, "magic", "not a .npy file (expected \\x93NUMPY)");
  }
  unsigned char version[2];
  if (!in.read(reinterpret_cast<char*>(version), 2)) {
    throw DataError(path, "version", "file ends inside the preamble");
  }
  uint32_t header_len = 0;
  if (version[0] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw DataError(path, "header", "truncated");
    header_len = b[0] | (b[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw DataError(path, "header", "truncated");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    throw DataError(path, "version",
                    "unsupported format version " + std::to_string(version[0]) + "." + std::to_string(version[1]) +
                        " (expected 1-3)");
  }
  // Sizes announced by the file are checked against what the file holds before anything is
  // allocated: a corrupt length field must not cost gigabytes.
  const auto here = in.tellg();
  in.seekg(0, std::ios::end);
  const uint64_t left = static_cast<uint64_t>(in.tellg() - here);
  in.seekg(here);
  if (header_len > left) {
    throw DataError(path, "header",
                    "file ends inside the header (" + std::to_string(header_len) + " bytes announced, " +
                        std::to_string(left) + " left)");
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) {
    throw DataError(path, "header", "file ends inside the header (" + std::to_string(header_len) + " bytes announced)");
  }

  NpyArray array;
  std::string descr = header_value(header, "descr", path);
  array.dtype = descr.substr(1, descr.size() - 2);
  size_t item_size = 0;
  if (array.dtype == "<f4" || (array.dtype == "|f4")) {
    item_size = 4;
  } else if (array.dtype == "<f8") {
    item_size = 8;
  } else {
    throw DataError(path, "field 'descr'",
                    "unsupported dtype '" + array.dtype + "'; expected little-endian float32 '<f4' or float64 '<f8'");
  }
  if (header_value(header, "fortran_order", path) != "False") {
    throw DataError(path, "field 'fortran_order'",
                    "Fortran-order arrays are not supported; save with np.ascontiguousarray");
  }
  const std::string shape_text = header_value(header, "shape", path);
  std::string inner = shape_text.substr(1, shape_text.size() - 2);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;  // trailing comma of a 1-tuple
    item = item.substr(first, item.find_last_not_of(" \tL") - first + 1);
    size_t used = 0;
    long long dim = -1;
    try {
      dim = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || dim < 0) {
      throw DataError(path, "field 'shape'", "bad dimension '" + item + "' in " + shape_text);
    }
    array.shape.push_back(dim);
  }

  // Number of values, checked against the bytes left before anything is allocated: a corrupt
  // shape must neither overflow nor cost gigabytes.
  const uint64_t data_left = left - header_len;
  uint64_t count = 1;
  for (const int64_t dim : array.shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dim), &count) ||
        count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / item_size) {
      throw DataError(path, "field 'shape'", shape_text + " holds more values than any file can");
    }
  }
  if (count * item_size > data_left) {
    throw DataError(path, "data",
                    "expected " + std::to_string(count) + " values of " + std::to_string(item_size) +
                        " bytes, file is shorter (" + std::to_string(data_left) + " bytes of data)");
  }
  std::vector<char> raw(static_cast<size_t>(count) * item_size);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size()))) {
    throw DataError(
        path, "data",
        "expected " + std::to_string(count) + " values of " + std::to_string(item_size) + " bytes, file is shorter");
  }
  if (!host_is_little_endian()) throw Error("read_npy: big-endian hosts are not supported");
  array.data.resize(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    if (item_size == 4) {
      float v;
      std::memcpy(&v, raw.data() + i * 4, 4);
      array.data[i] = v;
    } else {
      double v;
      std::memcpy(&v, raw.data() + i * 8, 8);
      array.data[i] = v;
    }
  }
  return array;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<double>& values,
               bool float64) {
  const int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  if (count != static_cast<int64_t>(values.size())) {
    throw Error("write_npy: shape has " + std::to_string(count) + " values, got " + std::to_string(values.size()));
  }
  // Python tuple syntax: "()", "(3,)", "(3, 4)".
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    shape_text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  shape_text += shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + (float64 ? "<f8" : "<f4") +
                       "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const size_t preamble = kMagicLen + 2 + 2;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(path + ": cannot write");
  out.write(kMagic, kMagicLen);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xFF),
                                static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (double v : values) {
    if (float64) {
      out.write(reinterpret_cast<const char*>(&v), 8);
    } else {
      const float f = static_cast<float>(v);
      out.write(reinterpret_cast<const char*>(&f), 4);
    }
  }
  if (!out) throw Error(path + ": write failed");
}

}  // namespace emofuse::text
