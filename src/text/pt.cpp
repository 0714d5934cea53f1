#include "text/pt.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"

// What torch.save(tensor, path) writes (PyTorch >= 1.6; torch::pickle_save in C++ writes the same):
// a zip archive of uncompressed ("stored") records under one folder name <p>:
//   <p>/data.pkl      a pickle (protocol 2) of the call that rebuilds the tensor:
//                     torch._utils._rebuild_tensor_v2(storage, offset, sizes, strides,
//                                                     requires_grad, backward_hooks[, metadata])
//                     where `storage` is a persistent id ('storage', torch.<Type>Storage, key,
//                     location, numel) that names the record <p>/data/<key>;
//   <p>/data/<key>    the storage's raw little-endian elements;
//   <p>/version, and from later PyTorch versions <p>/byteorder and <p>/.data/serialization_id.
// This reader parses that layout itself: the zip directory with every offset and size checked
// against the file, the CRC-32 of each record it reads, and a pickle machine that knows only the
// opcodes and the three callables a saved tensor uses. LibTorch's general unpickler is not used:
// it sizes buffers from the length fields of a corrupt file before it checks them (a 747-byte
// file made it allocate 1.9 GB; docs/robustness.md, findings).

namespace emofuse::text {

namespace {

std::string shape_text(const torch::Tensor& t) {
  std::string s;
  for (auto d : t.sizes()) s += (s.empty() ? "" : ", ") + std::to_string(d);
  return "[" + s + "]";
}

// Every error of the container and the pickle starts the same way, so a user sees at once that
// the file is not what torch.save writes.
DataError format_error(const std::string& path, const std::string& where, const std::string& what) {
  return DataError(path, where, "cannot read a tensor saved by torch.save: " + what);
}

// ---------------------------------------------------------------------------------------- zip
uint64_t read_le(const std::vector<char>& bytes, uint64_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

uint32_t crc32_of(const char* data, uint64_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (uint64_t i = 0; i < size; ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct ZipRecord {
  uint64_t local_header = 0, size = 0, stored_size = 0;
  uint32_t crc = 0;
  uint16_t method = 0, flags = 0;
};

class ZipArchive {
 public:
  ZipArchive(const std::string& path, const std::vector<char>& bytes) : path_(path), bytes_(bytes) { read_directory(); }

  const std::map<std::string, ZipRecord>& records() const { return records_; }

  /// The bytes of record `name`, checked: stored uncompressed, inside the file, CRC-32 matching.
  std::pair<const char*, uint64_t> read(const std::string& name) const {
    const auto it = records_.find(name);
    if (it == records_.end()) throw format_error(path_, "record '" + name + "'", "missing from the archive");
    const auto& r = it->second;
    const std::string where = "record '" + name + "'";
    if (r.flags & 1) throw format_error(path_, where, "encrypted");
    if (r.method != 0 || r.stored_size != r.size) {
      throw format_error(
          path_, where,
          "compressed (method " + std::to_string(r.method) + "); torch.save stores its records uncompressed");
    }
    require(r.local_header <= size() && size() - r.local_header >= 30, where, "local header outside the file");
    require(read_le(bytes_, r.local_header, 4) == 0x04034b50, where, "no local header at its offset");
    const uint64_t data =
        r.local_header + 30 + read_le(bytes_, r.local_header + 26, 2) + read_le(bytes_, r.local_header + 28, 2);
    require(data <= size() && size() - data >= r.size, where,
            "its " + std::to_string(r.size) + " bytes run past the end of the file (truncated?)");
    const char* begin = bytes_.data() + data;
    if (crc32_of(begin, r.size) != r.crc) throw format_error(path_, where, "CRC-32 mismatch (the file is damaged)");
    return {begin, r.size};
  }

 private:
  uint64_t size() const { return bytes_.size(); }
  void require(bool ok, const std::string& where, const std::string& what) const {
    if (!ok) throw format_error(path_, where, what);
  }

  void read_directory() {
    // End of central directory: 22 bytes plus a comment of up to 65535, at the end of the file.
    require(size() >= 22, "", "too short for a zip archive (truncated?)");
    std::optional<uint64_t> end;
    const uint64_t lowest = size() > 22 + 65535 ? size() - 22 - 65535 : 0;
    for (uint64_t at = size() - 22 + 1; at-- > lowest;) {
      if (read_le(bytes_, at, 4) == 0x06054b50) {
        end = at;
        break;
      }
    }
    require(end.has_value(), "", "no zip end-of-directory record (truncated, or not a zip archive)");
    uint64_t count = read_le(bytes_, *end + 10, 2);
    uint64_t dir_size = read_le(bytes_, *end + 12, 4);
    uint64_t dir_offset = read_le(bytes_, *end + 16, 4);
    if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {
      // Zip64: a locator (20 bytes) right before the end record points at the zip64 end record.
      require(*end >= 20 && read_le(bytes_, *end - 20, 4) == 0x07064b50, "", "zip64 locator missing");
      const uint64_t z = read_le(bytes_, *end - 20 + 8, 8);
      require(z <= size() && size() - z >= 56 && read_le(bytes_, z, 4) == 0x06064b50, "",
              "zip64 end-of-directory record missing");
      count = read_le(bytes_, z + 32, 8);
      dir_size = read_le(bytes_, z + 40, 8);
      dir_offset = read_le(bytes_, z + 48, 8);
    }
    require(dir_offset <= size() && size() - dir_offset >= dir_size, "",
            "the central directory lies outside the file (truncated?)");
    uint64_t at = dir_offset;
    const uint64_t stop = dir_offset + dir_size;
    for (uint64_t i = 0; i < count; ++i) {
      require(stop - at >= 46 && read_le(bytes_, at, 4) == 0x02014b50, "",
              "central directory entry " + std::to_string(i) + " is malformed");
      ZipRecord r;
      r.flags = static_cast<uint16_t>(read_le(bytes_, at + 8, 2));
      r.method = static_cast<uint16_t>(read_le(bytes_, at + 10, 2));
      r.crc = static_cast<uint32_t>(read_le(bytes_, at + 16, 4));
      r.stored_size = read_le(bytes_, at + 20, 4);
      r.size = read_le(bytes_, at + 24, 4);
      const uint64_t name_length = read_le(bytes_, at + 28, 2), extra_length = read_le(bytes_, at + 30, 2),
                     comment_length = read_le(bytes_, at + 32, 2);
      r.local_header = read_le(bytes_, at + 42, 4);
      require(stop - at - 46 >= name_length + extra_length + comment_length, "",
              "central directory entry " + std::to_string(i) + " runs past the directory");
      const std::string name(bytes_.data() + at + 46, name_length);
      read_zip64_extra(at + 46 + name_length, extra_length, r, name);
      if (!records_.emplace(name, r).second) require(false, "record '" + name + "'", "appears twice");
      at += 46 + name_length + extra_length + comment_length;
    }
  }

  // Sizes and offsets that do not fit in 32 bits are 0xFFFFFFFF in the entry and follow, in this
  // order, in the extra field with id 1.
  void read_zip64_extra(uint64_t at, uint64_t length, ZipRecord& r, const std::string& name) {
    const uint64_t stop = at + length;
    while (stop - at >= 4) {
      const uint64_t id = read_le(bytes_, at, 2), field = read_le(bytes_, at + 2, 2);
      require(stop - at - 4 >= field, "record '" + name + "'", "extra field runs past its entry");
      if (id == 1) {
        uint64_t p = at + 4;
        auto take = [&](uint64_t& value) {
          if (value != 0xFFFFFFFF) return;
          require(at + 4 + field - p >= 8, "record '" + name + "'", "zip64 extra field too short");
          value = read_le(bytes_, p, 8);
          p += 8;
        };
        take(r.size);
        take(r.stored_size);
        take(r.local_header);
      }
      at += 4 + field;
    }
  }

  std::string path_;
  const std::vector<char>& bytes_;
  std::map<std::string, ZipRecord> records_;
};

// ------------------------------------------------------------------------------------- pickle
// The values a saved tensor's pickle builds. Tuples share their items (BINGET may reference one
// value many times), and nesting is bounded, so a crafted pickle can neither blow up memory nor
// recurse deeply.
struct Value;
using ValuePtr = std::shared_ptr<const Value>;
struct Value {
  enum class Kind { kNone, kBool, kInt, kString, kTuple, kGlobal, kDict, kStorage, kTensor };
  Kind kind = Kind::kNone;
  int64_t integer = 0;                                 // kInt, kBool; kTensor: storage offset
  std::string text;                                    // kString; kGlobal: "module.name"; kStorage: record key
  std::vector<ValuePtr> items;                         // kTuple
  int depth = 0;                                       // tuple nesting
  c10::ScalarType dtype = c10::ScalarType::Undefined;  // kStorage
  int64_t numel = 0;                                   // kStorage: elements
  std::vector<int64_t> sizes, strides;                 // kTensor
  ValuePtr storage;                                    // kTensor
};

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kTuple:
      return "tuple";
    case Value::Kind::kGlobal:
      return "class or function";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kStorage:
      return "storage";
    case Value::Kind::kTensor:
      return "tensor";
  }
  return "value";
}

// torch.<Type>Storage -> element type.
std::optional<c10::ScalarType> storage_dtype(const std::string& global) {
  static const std::map<std::string, c10::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  const auto it = types.find(global);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

class TensorPickle {
 public:
  TensorPickle(const std::string& path, const std::string& record, const char* data, uint64_t size)
      : path_(path), where_("record '" + record + "'"), data_(data), size_(size) {}

  /// Runs the pickle to its STOP and returns the tensor it rebuilds (sizes, strides, storage).
  ValuePtr run() {
    while (true) {
      const uint64_t at = pos_;
      const auto op = static_cast<unsigned char>(take(1)[0]);
      switch (op) {
        case 0x80:
          take(1);
          break;  // PROTO n
        case 0x95:
          take(8);
          break;  // FRAME length
        case '(':
          marks_.push_back(stack_.size());
          break;  // MARK
        case ')':
          push(tuple({}));
          break;  // EMPTY_TUPLE
        case 't':
          push(tuple(pop_to_mark()));
          break;  // TUPLE
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
          const size_t n = op - 0x84;
          need(stack_.size() >= n + floor(), at, "tuple of missing items");
          std::vector<ValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(tuple(std::move(items)));
          break;
        }
        case 'N':
          push(scalar(Value::Kind::kNone, 0));
          break;  // NONE
        case 0x88:
          push(scalar(Value::Kind::kBool, 1));
          break;  // NEWTRUE
        case 0x89:
          push(scalar(Value::Kind::kBool, 0));
          break;  // NEWFALSE
        case 'K':
          push(scalar(Value::Kind::kInt, static_cast<unsigned char>(take(1)[0])));
          break;
        case 'M':
          push(scalar(Value::Kind::kInt, static_cast<int64_t>(little(take(2), 2))));
          break;
        case 'J':
          push(scalar(Value::Kind::kInt, static_cast<int32_t>(little(take(4), 4))));
          break;
        case 0x8a: {  // LONG1: n-byte two's complement
          const auto n = static_cast<unsigned char>(take(1)[0]);
          need(n <= 8, at, "integer wider than 64 bits");
          uint64_t v = n == 0 ? 0 : little(take(n), n);
          if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
          push(scalar(Value::Kind::kInt, static_cast<int64_t>(v)));
          break;
        }
        case 'X':
          push(string(take(length(4, at))));
          break;  // BINUNICODE
        case 0x8c:
          push(string(take(length(1, at))));
          break;  // SHORT_BINUNICODE
        case 0x8d:
          push(string(take(length(8, at))));
          break;     // BINUNICODE8
        case 'c': {  // GLOBAL "module\nname\n"
          const auto module = line(at);
          const auto name = line(at);
          push(global(module + "." + name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const auto name = pop(at), module = pop(at);
          need(name->kind == Value::Kind::kString && module->kind == Value::Kind::kString, at,
               "STACK_GLOBAL of a non-string");
          push(global(module->text + "." + name->text));
          break;
        }
        case 'q':
          memo_put(little(take(1), 1), at);
          break;  // BINPUT
        case 'r':
          memo_put(little(take(4), 4), at);
          break;  // LONG_BINPUT
        case 0x94:
          memo_put(memo_.size(), at);
          break;  // MEMOIZE
        case 'h':
          memo_get(little(take(1), 1), at);
          break;  // BINGET
        case 'j':
          memo_get(little(take(4), 4), at);
          break;  // LONG_BINGET
        case '}':
          push(scalar(Value::Kind::kDict, 0));
          break;  // EMPTY_DICT
        case 'Q':
          push(storage(pop(at), at));
          break;     // BINPERSID
        case 'R': {  // REDUCE
          const auto args = pop(at);
          const auto callable = pop(at);
          push(reduce(callable, args, at));
          break;
        }
        case '.': {  // STOP
          need(marks_.empty() && stack_.size() == 1, at,
               "STOP with " + std::to_string(stack_.size()) + " values on the stack");
          const auto result = stack_.back();
          if (result->kind != Value::Kind::kTensor) {
            throw DataError(
                path_, "",
                std::string("expected one tensor (torch.save(tensor, path)), found a ") + kind_name(result->kind));
          }
          return result;
        }
        default:
          // Lists, dicts with items, objects, ...: what torch.save writes for anything but a
          // tensor (e.g. a dict of tensors).
          throw DataError(path_, where_,
                          "expected one tensor (torch.save(tensor, path)); the pickle holds something else "
                          "(opcode 0x" +
                              hex(op) + " at byte " + std::to_string(at) + ")");
      }
    }
  }

 private:
  static constexpr int kMaxDepth = 8;  // a tensor's call nests tuples 2 deep

  [[noreturn]] void fail(uint64_t at, const std::string& what) const {
    throw format_error(path_, where_, what + " (byte " + std::to_string(at) + " of the pickle)");
  }
  void need(bool ok, uint64_t at, const std::string& what) const {
    if (!ok) fail(at, what);
  }
  static std::string hex(unsigned v) {
    const char* digits = "0123456789abcdef";
    return {digits[(v >> 4) & 15], digits[v & 15]};
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }

  std::string_view take(uint64_t n) {
    if (size_ - pos_ < n) fail(pos_, "the pickle ends early (truncated?)");
    std::string_view v(data_ + pos_, n);
    pos_ += n;
    return v;
  }
  static uint64_t little(std::string_view b, int width) {
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  // A length field, checked against what is left of the pickle before anything is allocated.
  uint64_t length(int width, uint64_t at) {
    const uint64_t n = little(take(width), width);
    need(n <= size_ - pos_, at, "a string of " + std::to_string(n) + " bytes is longer than the rest of the pickle");
    return n;
  }
  std::string line(uint64_t at) {
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    need(nl != nullptr, at, "GLOBAL without its newline");
    const auto n = static_cast<uint64_t>(static_cast<const char*>(nl) - (data_ + pos_));
    std::string s(take(n));
    take(1);
    return s;
  }

  static ValuePtr scalar(Value::Kind kind, int64_t v) {
    auto x = std::make_shared<Value>();
    x->kind = kind;
    x->integer = v;
    return x;
  }
  static ValuePtr string(std::string_view s) {
    auto x = std::make_shared<Value>();
    x->kind = Value::Kind::kString;
    x->text = std::string(s);
    return x;
  }
  static ValuePtr global(std::string name) {
    auto x = std::make_shared<Value>();
    x->kind = Value::Kind::kGlobal;
    x->text = std::move(name);
    return x;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) const {
    auto x = std::make_shared<Value>();
    x->kind = Value::Kind::kTuple;
    for (const auto& item : items) x->depth = std::max(x->depth, item->depth + 1);
    need(x->depth <= kMaxDepth, pos_, "tuples nested deeper than a saved tensor's");
    x->items = std::move(items);
    return x;
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop(uint64_t at) {
    need(stack_.size() > floor(), at, "an opcode takes a value from an empty stack");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::vector<ValuePtr> pop_to_mark() {
    need(!marks_.empty(), pos_, "TUPLE without a MARK");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void memo_put(uint64_t key, uint64_t at) {
    need(stack_.size() > floor(), at, "memo of an empty stack");
    memo_[key] = stack_.back();
  }
  void memo_get(uint64_t key, uint64_t at) {
    const auto it = memo_.find(key);
    need(it != memo_.end(), at, "memo entry " + std::to_string(key) + " was never stored");
    push(it->second);
  }

  // ('storage', torch.<Type>Storage, key, location, numel) -> the storage it names.
  ValuePtr storage(const ValuePtr& pid, uint64_t at) const {
    need(pid->kind == Value::Kind::kTuple && pid->items.size() == 5, at,
         "persistent id is not ('storage', type, key, location, numel)");
    const auto& f = pid->items;
    need(f[0]->kind == Value::Kind::kString && f[0]->text == "storage", at, "persistent id is not a storage");
    need(f[1]->kind == Value::Kind::kGlobal, at, "storage type is not a class");
    const auto dtype = storage_dtype(f[1]->text);
    need(dtype.has_value(), at, "unsupported storage type '" + f[1]->text + "'");
    need(f[2]->kind == Value::Kind::kString && f[3]->kind == Value::Kind::kString, at,
         "storage key or location is not a string");
    need(f[4]->kind == Value::Kind::kInt && f[4]->integer >= 0, at, "storage size is not a count");
    auto x = std::make_shared<Value>();
    x->kind = Value::Kind::kStorage;
    x->text = f[2]->text;
    x->dtype = *dtype;
    x->numel = f[4]->integer;
    return x;
  }

  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args, uint64_t at) const {
    need(callable->kind == Value::Kind::kGlobal && args->kind == Value::Kind::kTuple, at,
         "REDUCE of something that is not a call");
    if (callable->text == "collections.OrderedDict") {  // backward_hooks: OrderedDict()
      need(args->items.empty(), at, "OrderedDict with items");
      return scalar(Value::Kind::kDict, 0);
    }
    if (callable->text != "torch._utils._rebuild_tensor_v2") {
      throw DataError(path_, where_,
                      "expected one tensor (torch.save(tensor, path)); the pickle builds a '" + callable->text + "'");
    }
    // (storage, storage_offset, sizes, strides, requires_grad, backward_hooks[, metadata])
    const auto& a = args->items;
    need((a.size() == 6 || a.size() == 7) && a[0]->kind == Value::Kind::kStorage && a[1]->kind == Value::Kind::kInt &&
             a[2]->kind == Value::Kind::kTuple && a[3]->kind == Value::Kind::kTuple &&
             a[2]->items.size() == a[3]->items.size(),
         at, "_rebuild_tensor_v2 arguments are not (storage, offset, sizes, strides, ...)");
    auto x = std::make_shared<Value>();
    x->kind = Value::Kind::kTensor;
    x->storage = a[0];
    x->integer = a[1]->integer;
    for (size_t d = 0; d < a[2]->items.size(); ++d) {
      need(a[2]->items[d]->kind == Value::Kind::kInt && a[3]->items[d]->kind == Value::Kind::kInt, at,
           "tensor sizes and strides must be integers");
      x->sizes.push_back(a[2]->items[d]->integer);
      x->strides.push_back(a[3]->items[d]->integer);
    }
    return x;
  }

  std::string path_, where_;
  const char* data_;
  uint64_t size_, pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
};

// Checks that the tensor's view (offset, sizes, strides) lies inside its storage and copies the
// storage out of the archive.
torch::Tensor materialise(const std::string& path, const ZipArchive& zip, const std::string& folder,
                          const Value& tensor) {
  const auto& storage = *tensor.storage;
  const std::string record = folder + "/data/" + storage.text;
  const auto [data, size] = zip.read(record);
  const auto item = static_cast<uint64_t>(c10::elementSize(storage.dtype));
  const auto numel = static_cast<uint64_t>(storage.numel);
  if (numel > size / item || numel * item != size) {
    throw format_error(path, "record '" + record + "'",
                       std::to_string(size) + " bytes, but the pickle declares " + std::to_string(numel) +
                           " elements of " + std::to_string(item) + " bytes");
  }
  const std::string where = "record '" + folder + "/data.pkl'";
  if (tensor.sizes.size() > 64) throw format_error(path, where, "more than 64 dimensions");
  // The largest element index the view reaches: offset + sum (size_d - 1) stride_d < numel.
  bool empty = false;
  for (size_t d = 0; d < tensor.sizes.size(); ++d) {
    if (tensor.sizes[d] < 0 || tensor.strides[d] < 0) throw format_error(path, where, "negative size or stride");
    empty = empty || tensor.sizes[d] == 0;
  }
  if (tensor.integer < 0 || static_cast<uint64_t>(tensor.integer) > numel) {
    throw format_error(path, where, "storage offset " + std::to_string(tensor.integer) + " outside the storage");
  }
  if (!empty) {
    uint64_t last = static_cast<uint64_t>(tensor.integer);
    for (size_t d = 0; d < tensor.sizes.size(); ++d) {
      uint64_t step = 0;
      if (__builtin_mul_overflow(static_cast<uint64_t>(tensor.sizes[d] - 1), static_cast<uint64_t>(tensor.strides[d]),
                                 &step) ||
          __builtin_add_overflow(last, step, &last)) {
        last = UINT64_MAX;
        break;
      }
    }
    if (last >= numel) {
      throw format_error(
          path, where,
          "the tensor's sizes and strides reach past its storage of " + std::to_string(numel) + " elements");
    }
  }
  auto elements = torch::empty({storage.numel}, torch::TensorOptions().dtype(storage.dtype));
  if (size > 0) std::memcpy(elements.data_ptr(), data, size);
  return elements.as_strided(tensor.sizes, tensor.strides, tensor.integer);
}

}  // namespace

torch::Tensor read_pt_tensor(const std::string& path) {
  if (!std::filesystem::exists(path)) throw DataError(path, "", "file not found");
  if (std::filesystem::is_directory(path)) throw DataError(path, "", "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "", "cannot open file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw DataError(path, "", "empty file");
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "PK\x03\x04", 4) != 0) {
    throw format_error(path, "",
                       "not a zip archive (the format of PyTorch >= 1.6; files written with "
                       "_use_new_zipfile_serialization=False are not read)");
  }
  const ZipArchive zip(path, bytes);
  // The one folder <p> holding <p>/data.pkl.
  std::optional<std::string> folder;
  for (const auto& [name, record] : zip.records()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl") {
      if (folder) throw format_error(path, "", "more than one data.pkl in the archive");
      folder = name.substr(0, slash);
    }
  }
  if (!folder) throw format_error(path, "", "no <name>/data.pkl record in the archive");
  if (zip.records().count(*folder + "/byteorder")) {
    const auto [order, length] = zip.read(*folder + "/byteorder");
    if (std::string(order, length) != "little") {
      throw format_error(
          path, "record '" + *folder + "/byteorder'",
          "'" + std::string(order, std::min<uint64_t>(length, 16)) + "': only little-endian files are read");
    }
  }
  const auto [pickle, pickle_size] = zip.read(*folder + "/data.pkl");
  const auto tensor = TensorPickle(path, *folder + "/data.pkl", pickle, pickle_size).run();
  return materialise(path, zip, *folder, *tensor);
}

torch::Tensor read_pt_matrix(const std::string& path) {
  auto t = read_pt_tensor(path);
  if (t.dim() != 2 || t.size(1) == 0) {
    throw DataError(path, "field 'shape'", "expected a 2-D tensor [N, F] with F >= 1, got " + shape_text(t));
  }
  if (!t.is_floating_point()) {
    throw DataError(path, "field 'dtype'",
                    std::string("expected a floating-point tensor, got ") + c10::toString(t.scalar_type()));
  }
  t = t.to(torch::kCPU, torch::kFloat32).contiguous();
  if (!torch::isfinite(t).all().item<bool>()) {
    const auto row = torch::isfinite(t).all(1).logical_not().nonzero()[0][0].item<int64_t>();
    throw DataError(path, "row " + std::to_string(row), "NaN or Inf value");
  }
  return t;
}

}  // namespace emofuse::text
