#include "data/mat_io.h"

#include <matio.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "core/error.h"

namespace emofuse::data {
namespace {

struct MatCloser {
  void operator()(mat_t* m) const {
    if (m) Mat_Close(m);
  }
};
struct VarFreer {
  void operator()(matvar_t* v) const {
    if (v) Mat_VarFree(v);
  }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

std::string field_of(const std::string& name) {
  return "field '" + name + "'";
}

// ---------------------------------------------------------------------------------------------
// Level 5 structure checks. A level 5 file is a 128-byte header (text, subsystem offset, version
// 0x0100, endian indicator "IM") followed by data elements, each an 8-byte tag (uint32 type,
// uint32 byte count) and its data. A variable is a miMATRIX element, or a miCOMPRESSED element
// holding a zlib stream that inflates to one. Inside a miMATRIX: array flags, dimensions, name,
// then for numeric classes the real part (and the imaginary part of complex arrays), each a
// sub-element padded to 8 bytes. A sub-element of at most 4 bytes may use the "small data
// element" tag: byte count in the upper 16 bits of the type word, data in the tag's last 4 bytes.

constexpr uint32_t kMiInt8 = 1, kMiInt32 = 5, kMiUint32 = 6, kMiMatrix = 14, kMiCompressed = 15;
constexpr int kMxFirstNumeric = 6, kMxLastNumeric = 15;  // mxDOUBLE_CLASS .. mxUINT64_CLASS
constexpr uint32_t kComplexFlag = 0x0800;
constexpr std::size_t kHeaderBytes = 128;
// Inflated bytes enough for the flags, the dimensions and the name of any sensible variable.
constexpr std::size_t kNamePrefixBytes = 4096;

uint32_t load_u32(const unsigned char* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

// Bytes per value of a data element type; 0 for types that cannot hold matrix data.
std::size_t element_type_size(uint32_t type) {
  switch (type) {
    case 1:
    case 2:
    case 16:
      return 1;  // miINT8, miUINT8, miUTF8
    case 3:
    case 4:
    case 17:
      return 2;  // miINT16, miUINT16, miUTF16
    case 5:
    case 6:
    case 7:
    case 18:
      return 4;  // miINT32, miUINT32, miSINGLE, miUTF32
    case 9:
    case 12:
    case 13:
      return 8;  // miDOUBLE, miINT64, miUINT64
    default:
      return 0;
  }
}

// One sub-element of a byte range: its type, byte count, where its data starts and where the
// next sub-element starts. `ok` is false when the tag or the data runs past the range.
struct SubElement {
  bool ok = false;
  uint32_t type = 0;
  uint64_t bytes = 0;
  std::size_t data = 0, next = 0;
};

SubElement sub_element(const unsigned char* p, std::size_t size, std::size_t at, bool swap) {
  SubElement e;
  if (at + 8 > size) return e;
  const uint32_t word = load_u32(p + at, swap);
  if (word >> 16) {  // small data element
    e.type = word & 0xFFFF;
    e.bytes = word >> 16;
    e.data = at + 4;
    e.next = at + 8;
    e.ok = e.bytes <= 4;
    return e;
  }
  e.type = word;
  e.bytes = load_u32(p + at + 4, swap);
  e.data = at + 8;
  const uint64_t padded = (e.bytes + 7) / 8 * 8;
  e.ok = e.data + e.bytes <= size;
  e.next = static_cast<std::size_t>(std::min<uint64_t>(e.data + padded, size));
  return e;
}

// What the head of a miMATRIX holds (after its tag): flags, dimensions, name.
struct MatrixHead {
  bool ok = false;  // false when the bytes end before the name
  int class_type = 0;
  bool complex = false;
  std::vector<uint64_t> dims;
  std::string name;
  std::size_t after_name = 0;
};

MatrixHead matrix_head(const unsigned char* p, std::size_t size, bool swap) {
  MatrixHead h;
  const auto flags = sub_element(p, size, 0, swap);
  if (!flags.ok || flags.type != kMiUint32 || flags.bytes < 4) return h;
  const uint32_t f = load_u32(p + flags.data, swap);
  h.class_type = static_cast<int>(f & 0xFF);
  h.complex = (f & kComplexFlag) != 0;
  const auto dims = sub_element(p, size, flags.next, swap);
  if (!dims.ok || dims.type != kMiInt32 || dims.bytes % 4 != 0) return h;
  for (uint64_t k = 0; k < dims.bytes / 4; ++k) {
    const int32_t d = static_cast<int32_t>(load_u32(p + dims.data + 4 * k, swap));
    if (d < 0) return h;
    h.dims.push_back(static_cast<uint64_t>(d));
  }
  const auto name = sub_element(p, size, dims.next, swap);
  if (!name.ok || name.type != kMiInt8) return h;
  h.name.assign(reinterpret_cast<const char*>(p + name.data), static_cast<std::size_t>(name.bytes));
  h.after_name = name.next;
  h.ok = true;
  return h;
}

// Inflates the zlib stream `in`, stopping once more than `limit` bytes came out. `complete` is
// true when the stream ended properly (Z_STREAM_END) within the input.
struct Inflated {
  std::string bytes;
  bool complete = false;
};

Inflated inflate_bytes(const std::string& in, std::size_t limit) {
  Inflated out;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::vector<char> chunk(1 << 16);
  while (out.bytes.size() <= limit) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.bytes.append(chunk.data(), chunk.size() - z.avail_out);
    if (rc == Z_STREAM_END) {
      out.complete = true;
      break;
    }
    if (rc != Z_OK) break;  // corrupt data, or Z_BUF_ERROR: the input ended early
  }
  inflateEnd(&z);
  return out;
}

// One variable of a level 5 file, as found by scan_mat5.
struct MatElement {
  std::string name;                // empty when its head could not be read
  uint64_t offset = 0, bytes = 0;  // the element: tag + data
  bool compressed = false;
};

struct MatScan {
  bool level5 = false;  // false: a version 4 or 7.3 (HDF5) file, not walked
  bool swap = false;
  std::vector<MatElement> elements;
};

std::string read_at(std::ifstream& in, uint64_t offset, uint64_t count) {
  std::string bytes(static_cast<std::size_t>(count), '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

const unsigned char* bytes_of(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The name of a variable from the first bytes of its element data (for a compressed element,
// what inflates from them); empty when they do not reach the name.
std::string name_from_prefix(const std::string& prefix, bool compressed, bool swap) {
  if (!compressed) return matrix_head(bytes_of(prefix), prefix.size(), swap).name;
  const auto inflated = inflate_bytes(prefix, kNamePrefixBytes);
  if (inflated.bytes.size() < 8) return "";
  return matrix_head(bytes_of(inflated.bytes) + 8, inflated.bytes.size() - 8, swap).name;
}

std::string variable_label(const MatElement& e, std::size_t index) {
  return e.name.empty() ? "variable " + std::to_string(index + 1) : field_of(e.name);
}

// Walks the top-level elements of `path`. Throws DataError naming the variable that the end of
// the file cuts (or the incomplete tag after the last one).
MatScan scan_mat5(const std::string& path) {
  MatScan scan;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  const uint64_t size = std::filesystem::file_size(path);
  const std::string header = read_at(in, 0, kHeaderBytes);
  if (size == 0) throw DataError(path, "", "empty file (0 bytes)");
  if (header.size() < kHeaderBytes) {
    if (header.rfind("MATLAB", 0) == 0) {
      throw DataError(path, "", "truncated: " + std::to_string(size) + " bytes, shorter than the 128-byte header");
    }
    return scan;  // perhaps a small version 4 file
  }
  if (header[126] == 'I' && header[127] == 'M') {
    scan.swap = false;
  } else if (header[126] == 'M' && header[127] == 'I') {
    scan.swap = true;
  } else {
    return scan;  // no level 5 header: a version 4 file (or not a .mat file; matio decides)
  }
  uint16_t version;
  std::memcpy(&version, header.data() + 124, 2);
  if (scan.swap) version = __builtin_bswap16(version);
  if (version != 0x0100) return scan;  // 0x0200: version 7.3, an HDF5 file
  scan.level5 = true;

  uint64_t at = kHeaderBytes;
  while (at < size) {
    const std::string tag = read_at(in, at, 8);
    if (tag.size() < 8) {
      const std::string after =
          scan.elements.empty() ? "the header" : variable_label(scan.elements.back(), scan.elements.size() - 1);
      throw DataError(
          path, "",
          "truncated: " + std::to_string(size - at) + " byte(s) after " + after + " are an incomplete element tag");
    }
    MatElement e;
    const uint32_t type = load_u32(bytes_of(tag), scan.swap);
    e.offset = at;
    e.bytes = 8 + static_cast<uint64_t>(load_u32(bytes_of(tag) + 4, scan.swap));
    e.compressed = type == kMiCompressed;
    if (type != kMiMatrix && type != kMiCompressed) {
      throw DataError(path, "byte " + std::to_string(at),
                      "corrupt: expected a matrix or compressed element, got element type " + std::to_string(type));
    }
    const uint64_t available = std::min<uint64_t>(e.bytes, size - at) - 8;
    e.name =
        name_from_prefix(read_at(in, at + 8, std::min<uint64_t>(available, kNamePrefixBytes)), e.compressed, scan.swap);
    if (at + e.bytes > size) {
      throw DataError(path, variable_label(e, scan.elements.size()),
                      "truncated: the variable needs " + std::to_string(e.bytes) + " bytes, the file ends " +
                          std::to_string(at + e.bytes - size) + " byte(s) short of its end");
    }
    scan.elements.push_back(std::move(e));
    at += scan.elements.back().bytes;
  }
  return scan;
}

// Version 4 files: each matrix is a 20-byte header (int32 type MOPT, rows, cols, imagf, name
// length), the name, then rows x cols values (twice for complex). M is the byte order (0 little,
// 1 big endian), O is 0, P the precision (0 double, 1 single, 2 int32, 3 int16, 4 uint16,
// 5 uint8), T the matrix type (0 full, 1 text, 2 sparse). Returns the variables, or nothing when
// the first header is not a version 4 header (matio then decides what the file is). Throws
// DataError naming the variable that the end of the file cuts.
std::optional<std::vector<std::string>> scan_mat4(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const uint64_t size = std::filesystem::file_size(path);
  std::vector<std::string> names;
  uint64_t at = 0;
  bool swap = false;
  while (at < size) {
    const std::string head = read_at(in, at, 20);
    const std::string label = "variable " + std::to_string(names.size() + 1);
    if (head.size() < 20) {
      if (names.empty()) return std::nullopt;
      throw DataError(path, "",
                      "truncated: " + std::to_string(size - at) + " byte(s) after field '" + names.back() +
                          "' are an incomplete matrix header");
    }
    uint32_t word[5];
    auto read_words = [&](bool sw) {
      for (int k = 0; k < 5; ++k) word[k] = load_u32(bytes_of(head) + 4 * k, sw);
    };
    auto valid = [&] {
      const uint32_t type = word[0];
      return type < 2000 && (type / 100) % 10 == 0 && (type / 10) % 10 <= 5 && type % 10 <= 2 && word[3] <= 1 &&
             word[4] >= 1 && word[4] <= 4096;
    };
    read_words(swap);
    if (names.empty() && !valid()) {
      swap = true;  // a big-endian file read on this little-endian machine
      read_words(swap);
    }
    if (!valid()) {
      if (names.empty()) return std::nullopt;
      throw DataError(path, "byte " + std::to_string(at),
                      "corrupt: not a version 4 matrix header after field '" + names.back() + "'");
    }
    static constexpr uint64_t kWidth[6] = {8, 4, 4, 2, 2, 1};
    // 128-bit: rows x cols x 2 x 8 can pass 2^64 in a corrupt header.
    const unsigned __int128 values = static_cast<unsigned __int128>(word[1]) * word[2] * (word[3] ? 2 : 1);
    const unsigned __int128 needed = 20 + word[4] + values * kWidth[(word[0] / 10) % 10];
    if (needed > size - at) {
      std::string name = read_at(in, at + 20, std::min<uint64_t>(word[4], size - at - 20));
      name = name.substr(0, name.find('\0'));
      const std::string what = needed > UINT64_MAX
                                   ? "corrupt: the matrix header declares more than 2^64 bytes"
                                   : "truncated: the variable needs " + std::to_string(static_cast<uint64_t>(needed)) +
                                         " bytes, the file ends " +
                                         std::to_string(static_cast<uint64_t>(needed) - (size - at)) +
                                         " byte(s) short of its end";
      throw DataError(path, name.empty() ? label : field_of(name), what);
    }
    const uint64_t bytes = static_cast<uint64_t>(needed);
    std::string name = read_at(in, at + 20, word[4]);
    name = name.substr(0, name.find('\0'));
    names.push_back(name);
    at += bytes;
  }
  if (names.empty()) return std::nullopt;
  return names;
}

// Checks that variable `e` is complete: a compressed one inflates to exactly the matrix it
// declares, and a numeric matrix's data elements hold exactly prod(dims) values each. Returns
// the matrix's head (class, dimensions) so that the caller can refuse what it cannot read before
// matio reads it.
MatrixHead check_element(const std::string& path, const MatElement& e, bool swap) {
  std::ifstream in(path, std::ios::binary);
  std::string data = read_at(in, e.offset + 8, e.bytes - 8);
  const std::string field = field_of(e.name);
  if (data.size() != e.bytes - 8) throw DataError(path, field, "truncated: the file ends inside the variable");
  if (e.compressed) {
    const auto head = inflate_bytes(data, 8);
    if (head.bytes.size() < 8) throw DataError(path, field, "corrupt: the compressed data does not inflate");
    const uint32_t type = load_u32(bytes_of(head.bytes), swap);
    const uint64_t declared = load_u32(bytes_of(head.bytes) + 4, swap);
    if (type != kMiMatrix) throw DataError(path, field, "corrupt: the compressed data is not a matrix element");
    auto full = inflate_bytes(data, 8 + declared);
    if (!full.complete || full.bytes.size() != 8 + declared) {
      throw DataError(path, field,
                      "truncated or corrupt: the compressed data inflates to " + std::to_string(full.bytes.size()) +
                          " bytes" + (full.complete ? "" : " before it breaks off") + ", the variable declares " +
                          std::to_string(8 + declared));
    }
    data = full.bytes.substr(8);
  }
  const auto* p = bytes_of(data);
  const auto head = matrix_head(p, data.size(), swap);
  if (!head.ok) throw DataError(path, field, "corrupt: unreadable array flags, dimensions or name");
  if (head.class_type < kMxFirstNumeric || head.class_type > kMxLastNumeric) return head;  // refused by the caller
  unsigned __int128 count = 1;
  for (auto d : head.dims) {
    count *= d;
    if (count > UINT64_MAX) throw DataError(path, field, "corrupt: the dimensions multiply past 2^64 values");
  }
  std::size_t at = head.after_name;
  for (const char* part :
       head.complex ? std::vector<const char*>{"real", "imaginary"} : std::vector<const char*>{"real"}) {
    const auto values = sub_element(p, data.size(), at, swap);
    const std::size_t width = element_type_size(values.type);
    if (!values.ok)
      throw DataError(path, field, std::string("truncated: the ") + part + " part runs past the variable");
    if (width == 0) {
      throw DataError(path, field,
                      std::string("corrupt: the ") + part + " part has element type " + std::to_string(values.type));
    }
    if (static_cast<unsigned __int128>(values.bytes) != count * width) {
      std::string shape;
      for (auto d : head.dims) shape += (shape.empty() ? "" : " x ") + std::to_string(d);
      throw DataError(path, field,
                      "truncated or corrupt: the " + std::string(part) + " part holds " +
                          std::to_string(values.bytes / width) + " values, a " + shape + " matrix needs " +
                          std::to_string(static_cast<uint64_t>(count)));
    }
    at = values.next;
  }
  return head;
}

void require_regular_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw DataError(path, "", "file not found");
  if (!std::filesystem::is_regular_file(status)) {
    throw DataError(path, "", "not a regular file (expected a MATLAB .mat file, found a folder or special file)");
  }
}

MatFile open_for_reading(const std::string& path) {
  require_regular_file(path);
  MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw DataError(path, "", "not a readable MATLAB .mat file (unknown header or version)");
  return mat;
}

// Variable names through matio, for files that scan_mat5 does not walk.
std::vector<std::string> names_from_matio(const std::string& path) {
  auto mat = open_for_reading(path);
  std::vector<std::string> names;
  while (true) {
    MatVar var(Mat_VarReadNextInfo(mat.get()));
    if (!var) break;
    names.push_back(var->name ? var->name : "");
  }
  return names;
}

std::vector<std::string> element_names(const MatScan& scan) {
  std::vector<std::string> names;
  for (const auto& e : scan.elements) names.push_back(e.name);
  return names;
}

template <typename T>
torch::Tensor column_major_to_tensor(const void* data, int64_t rows, int64_t cols) {
  const T* p = static_cast<const T*>(data);
  auto out = torch::empty({rows, cols}, torch::kFloat64);
  auto acc = out.accessor<double, 2>();
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < rows; ++i) acc[i][j] = static_cast<double>(p[i + j * rows]);
  }
  return out;
}

// True when `path` carries the HDF5 signature where a MATLAB 7.3 file has it: after its
// 512-byte user block (HDF5 also allows 0, 1024, 2048, ... bytes).
bool has_hdf5_signature(const std::string& path) {
  static const std::string kSignature("\x89HDF\r\n\x1a\n", 8);
  std::ifstream in(path, std::ios::binary);
  const uint64_t size = std::filesystem::file_size(path);
  for (uint64_t at = 0; at + kSignature.size() <= size; at = at == 0 ? 512 : 2 * at) {
    if (read_at(in, at, kSignature.size()) == kSignature) return true;
  }
  return false;
}

// Variable names of any .mat file, after the structure checks of its version (level 5 walk,
// version 4 walk; 7.3 files are HDF5, checked by the HDF5 library under matio). A file that is
// none of these is refused here: matio would try it as version 4 and allocate whatever sizes its
// first bytes spell (a 28-byte file made it allocate 1.8 GB).
std::vector<std::string> checked_names(const std::string& path, const MatScan& scan) {
  if (scan.level5) return element_names(scan);
  if (auto v4 = scan_mat4(path)) return *v4;
  if (!has_hdf5_signature(path)) {
    throw DataError(path, "",
                    "not a MATLAB .mat file (no level 5 header, version 4 matrix header or 7.3 HDF5 signature)");
  }
  return names_from_matio(path);
}

}  // namespace

std::vector<std::string> mat_variable_names(const std::string& path) {
  require_regular_file(path);
  return checked_names(path, scan_mat5(path));
}

bool mat_has_variable(const std::string& path, const std::string& name) {
  const auto names = mat_variable_names(path);
  return std::find(names.begin(), names.end(), name) != names.end();
}

torch::Tensor read_mat_matrix(const std::string& path, const std::string& name) {
  require_regular_file(path);
  const std::string field = field_of(name);
  const auto scan = scan_mat5(path);
  const auto names = checked_names(path, scan);
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    std::string held;
    for (const auto& n : names) held += (held.empty() ? "'" : ", '") + n + "'";
    throw DataError(path, field, "variable missing; the file holds " + (held.empty() ? "no variables" : held));
  }
  if (scan.level5) {
    // Refuse what this reader does not read before matio reads it.
    const auto head = check_element(path, scan.elements[found - names.begin()], scan.swap);
    if (head.class_type < kMxFirstNumeric || head.class_type > kMxLastNumeric) {
      throw DataError(path, field, "not a numeric matrix (MATLAB class " + std::to_string(head.class_type) + ")");
    }
    if (head.complex) throw DataError(path, field, "complex matrices are not supported");
    if (head.dims.size() != 2) {
      throw DataError(path, field, "expected a 2-D matrix, got rank " + std::to_string(head.dims.size()));
    }
  }

  auto mat = open_for_reading(path);
  MatVar var(Mat_VarRead(mat.get(), name.c_str()));
  if (!var) throw DataError(path, field, "matio cannot read this variable");
  if (var->rank != 2) throw DataError(path, field, "expected a 2-D matrix, got rank " + std::to_string(var->rank));
  if (var->isComplex) throw DataError(path, field, "complex matrices are not supported");
  if (var->class_type == MAT_C_SPARSE) throw DataError(path, field, "sparse matrices are not supported");
  const int64_t rows = static_cast<int64_t>(var->dims[0]);
  const int64_t cols = static_cast<int64_t>(var->dims[1]);
  if (rows * cols > 0 && var->data == nullptr) throw DataError(path, field, "matio read no data for this variable");
  switch (var->class_type) {
    case MAT_C_DOUBLE:
      return column_major_to_tensor<double>(var->data, rows, cols);
    case MAT_C_SINGLE:
      return column_major_to_tensor<float>(var->data, rows, cols);
    case MAT_C_INT8:
      return column_major_to_tensor<int8_t>(var->data, rows, cols);
    case MAT_C_UINT8:
      return column_major_to_tensor<uint8_t>(var->data, rows, cols);
    case MAT_C_INT16:
      return column_major_to_tensor<int16_t>(var->data, rows, cols);
    case MAT_C_UINT16:
      return column_major_to_tensor<uint16_t>(var->data, rows, cols);
    case MAT_C_INT32:
      return column_major_to_tensor<int32_t>(var->data, rows, cols);
    case MAT_C_UINT32:
      return column_major_to_tensor<uint32_t>(var->data, rows, cols);
    case MAT_C_INT64:
      return column_major_to_tensor<int64_t>(var->data, rows, cols);
    case MAT_C_UINT64:
      return column_major_to_tensor<uint64_t>(var->data, rows, cols);
    default:
      throw DataError(path, field, "not a numeric matrix (class " + std::to_string(var->class_type) + ")");
  }
}

void write_mat_matrices(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& variables,
                        bool compress) {
  const std::string tmp = path + ".partial";
  {
    MatFile mat(Mat_CreateVer(tmp.c_str(), nullptr, MAT_FT_MAT5));
    if (!mat) throw DataError(path, "", "cannot create file");
    for (const auto& [name, tensor] : variables) {
      TORCH_CHECK(tensor.dim() == 2, "write_mat_matrices: '", name, "' must be 2-D");
      // MATLAB is column-major: the transpose's row-major buffer is the column-major original.
      auto col_major = tensor.to(torch::kFloat64).t().contiguous();
      size_t dims[2] = {static_cast<size_t>(tensor.size(0)), static_cast<size_t>(tensor.size(1))};
      MatVar var(Mat_VarCreate(name.c_str(), MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, col_major.data_ptr<double>(),
                               MAT_F_DONT_COPY_DATA));
      const auto compression = compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
      if (!var || Mat_VarWrite(mat.get(), var.get(), compression) != 0) {
        mat.reset();
        std::remove(tmp.c_str());
        throw DataError(path, "field '" + name + "'", "cannot write variable");
      }
    }
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace emofuse::data
