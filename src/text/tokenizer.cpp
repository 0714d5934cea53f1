#include "text/tokenizer.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <type_traits>

#include "core/error.h"

namespace emofuse::text {

namespace {

// Appends code point `cp` to `out` as UTF-8.
void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when the bytes are not valid UTF-8
// (overlong forms and surrogates count as invalid).
size_t decode_utf8(const std::string& s, size_t i, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Windows-1252 meaning of the bytes 0x80-0x9F that MELD's transcripts carry as U+0080-U+009F
// (text decoded as Latin-1 somewhere upstream). 0 = no meaning (dropped).
uint32_t cp1252_c1(uint32_t c1) {
  static const uint32_t kTable[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,   // 80-87
                                      0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,        // 88-8F
                                      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,   // 90-97
                                      0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};  // 98-9F
  return kTable[c1 - 0x80];
}

// ASCII replacement of typographic punctuation; empty when the code point is kept as is.
const char* ascii_punctuation(uint32_t cp) {
  switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x2032:
      return "'";
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x2033:
      return "\"";
    case 0x2026:
      return "...";
    case 0x2013:
    case 0x2014:
    case 0x2212:
      return "-";
    case 0x00A0:
      return " ";
    default:
      return nullptr;
  }
}

// SentencePiece lives in a separate module opened with RTLD_LOCAL | RTLD_DEEPBIND; see
// sentencepiece_shim.cpp for why (its bundled protobuf clashes with LibTorch's).
struct SentencePieceApi {
  int (*api_version)();
  void (*free)(void*);
  char* (*train)(const char* const*, size_t, const char* const*, const char* const*, size_t);
  void* (*load)(const char*, char**);
  void (*destroy)(void*);
  char* (*encode)(void*, const char*, size_t, int**, size_t*);
  char* (*decode)(void*, const int*, size_t, char**);
  int (*piece_size)(void*);
  int (*piece_to_id)(void*, const char*);
  int (*pad_id)(void*);
  int (*unk_id)(void*);
};

constexpr const char* kShimName = "libemofuse_sentencepiece.so";

// Candidate paths: $EMOFUSE_SENTENCEPIECE_SHIM, the build tree's copy, next to the running
// executable, then the dynamic loader's search path.
std::vector<std::string> shim_candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("EMOFUSE_SENTENCEPIECE_SHIM"); env && *env) {
    paths.push_back(env);
  }
#ifdef EMOFUSE_SENTENCEPIECE_SHIM
  paths.push_back(EMOFUSE_SENTENCEPIECE_SHIM);
#endif
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) paths.push_back((exe.parent_path() / kShimName).string());
  paths.push_back(kShimName);
  return paths;
}

const SentencePieceApi& sentencepiece_api() {
  static SentencePieceApi api{};
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    void* module = nullptr;
    std::string tried;
    for (const auto& path : shim_candidates()) {
      module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (module) break;
      const char* why = dlerror();
      tried += "\n  " + path + ": " + (why ? why : "not found");
    }
    if (!module) {
      error = "cannot load the SentencePiece module " + std::string(kShimName) +
              " (set EMOFUSE_SENTENCEPIECE_SHIM to its path); tried:" + tried;
      return;
    }
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(module, name));
      if (!fn && error.empty()) error = std::string(kShimName) + ": missing symbol " + name;
    };
    bind(api.api_version, "emofuse_spm_api_version");
    bind(api.free, "emofuse_spm_free");
    bind(api.train, "emofuse_spm_train");
    bind(api.load, "emofuse_spm_load");
    bind(api.destroy, "emofuse_spm_destroy");
    bind(api.encode, "emofuse_spm_encode");
    bind(api.decode, "emofuse_spm_decode");
    bind(api.piece_size, "emofuse_spm_piece_size");
    bind(api.piece_to_id, "emofuse_spm_piece_to_id");
    bind(api.pad_id, "emofuse_spm_pad_id");
    bind(api.unk_id, "emofuse_spm_unk_id");
    if (error.empty() && api.api_version() != 1) error = std::string(kShimName) + ": API version mismatch";
  });
  if (!error.empty()) throw Error(error);
  return api;
}

// Takes ownership of a message returned by the module.
std::string take_message(const SentencePieceApi& api, char* message) {
  std::string out = message ? message : "";
  api.free(message);
  return out;
}

}  // namespace

void TokenizerOptions::validate(const std::string& prefix) const {
  require_option(vocab_size >= 8, prefix + "vocab_size", "must be >= 8, got " + std::to_string(vocab_size));
  require_option(model_type == "unigram" || model_type == "bpe", prefix + "tokenizer_model_type",
                 "must be 'unigram' or 'bpe', got '" + model_type + "'");
  require_option(character_coverage > 0.0 && character_coverage <= 1.0, prefix + "character_coverage",
                 "must be in (0, 1]");
}

std::string normalize_utterance(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    uint32_t cp = 0;
    size_t len = decode_utf8(raw, i, cp);
    if (len == 0) {  // a stray byte: read it as Windows-1252 (0x92 -> U+2019), else Latin-1
      const auto b = static_cast<unsigned char>(raw[i]);
      cp = (b >= 0x80 && b <= 0x9F) ? cp1252_c1(b) : b;
      len = 1;
    } else if (cp >= 0x80 && cp <= 0x9F) {  // C1 control = mis-decoded Windows-1252 byte
      cp = cp1252_c1(cp);
    }
    i += len;
    if (cp == 0) continue;
    if (cp == '\r' || cp == '\n' || cp == '\t') cp = ' ';
    if (cp < 0x20 || cp == 0x7F) continue;  // other control characters
    if (const char* ascii = ascii_punctuation(cp)) {
      out += ascii;
    } else {
      append_utf8(cp, out);
    }
  }
  // Collapse runs of spaces and trim.
  std::string collapsed;
  collapsed.reserve(out.size());
  for (char c : out) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}

struct Tokenizer::Impl {
  void* handle = nullptr;
  ~Impl() {
    if (handle) sentencepiece_api().destroy(handle);
  }
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::train(const std::vector<std::string>& sentences, const std::string& directory,
                           const TokenizerOptions& options) {
  options.validate();
  size_t non_empty = 0;
  for (const auto& s : sentences) non_empty += !s.empty();
  if (non_empty == 0) throw Error("tokenizer: no non-empty training sentences");
  const auto& api = sentencepiece_api();
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw Error(directory + ": cannot create tokenizer folder: " + ec.message());
  const std::string prefix = (std::filesystem::path(directory) / "tokenizer").string();

  const std::vector<std::pair<std::string, std::string>> args = {
      {"model_prefix", prefix},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"model_type", options.model_type},
      {"character_coverage", std::to_string(options.character_coverage)},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"user_defined_symbols", kSepPiece},
      {"hard_vocab_limit", "false"},  // a small corpus gives fewer pieces instead of failing
      {"num_threads", "1"},
      {"minloglevel", "2"},
  };
  std::vector<const char*> keys, values, texts;
  for (const auto& [k, v] : args) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  for (const auto& s : sentences) texts.push_back(s.c_str());
  const std::string message =
      take_message(api, api.train(texts.data(), texts.size(), keys.data(), values.data(), keys.size()));
  if (!message.empty()) throw Error(directory + ": SentencePiece training failed: " + message);
  return load(prefix + ".model");
}

Tokenizer Tokenizer::load(const std::string& model_path) {
  if (!std::filesystem::exists(model_path)) {
    throw Error(model_path + ": tokenizer model not found");
  }
  const auto& api = sentencepiece_api();
  Tokenizer tokenizer;
  char* message = nullptr;
  tokenizer.impl_->handle = api.load(model_path.c_str(), &message);
  if (!tokenizer.impl_->handle) {
    throw Error(model_path + ": cannot load tokenizer: " + take_message(api, message));
  }
  void* h = tokenizer.impl_->handle;
  if (api.pad_id(h) != kPadId || api.unk_id(h) != kUnkId || api.piece_to_id(h, kSepPiece) != kSepId) {
    throw Error(model_path + ": not an emofuse tokenizer (expected <pad>=0, <unk>=1, <sep>=2)");
  }
  tokenizer.model_path_ = model_path;
  return tokenizer;
}

std::vector<int> Tokenizer::encode(const std::string& text) const {
  const auto& api = sentencepiece_api();
  int* ids = nullptr;
  size_t count = 0;
  const std::string message = take_message(api, api.encode(impl_->handle, text.data(), text.size(), &ids, &count));
  std::vector<int> out(ids, ids + count);
  api.free(ids);
  if (!message.empty()) throw Error(model_path_ + ": encode failed: " + message);
  return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  const auto& api = sentencepiece_api();
  std::vector<int> kept;
  kept.reserve(ids.size());
  for (int id : ids) {
    if (id == kPadId) continue;
    if (id < 0 || id >= vocab_size()) {
      throw Error(model_path_ + ": decode: id " + std::to_string(id) + " outside [0, " + std::to_string(vocab_size()) +
                  ")");
    }
    kept.push_back(id);
  }
  char* text = nullptr;
  const std::string message = take_message(api, api.decode(impl_->handle, kept.data(), kept.size(), &text));
  if (!message.empty()) throw Error(model_path_ + ": decode failed: " + message);
  return take_message(api, text);
}

int Tokenizer::vocab_size() const {
  return sentencepiece_api().piece_size(impl_->handle);
}

std::vector<int64_t> build_token_rows(const std::vector<std::vector<int>>& utterance_ids,
                                      const std::vector<int64_t>& dialogue, const std::vector<int64_t>& position,
                                      int context, int max_tokens) {
  const size_t n = utterance_ids.size();
  if (dialogue.size() != n || position.size() != n) {
    throw Error("build_token_rows: utterance_ids, dialogue and position differ in length");
  }
  require_option(max_tokens >= 1, "max_tokens", "must be >= 1");
  require_option(context >= 0, "context_window", "must be >= 0");
  // Utterances of each dialogue sorted by position, to find each one's predecessors.
  std::map<int64_t, std::vector<size_t>> by_dialogue;
  for (size_t i = 0; i < n; ++i) by_dialogue[dialogue[i]].push_back(i);
  std::vector<size_t> rank(n, 0);
  for (auto& [d, rows] : by_dialogue) {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return position[a] < position[b]; });
    for (size_t r = 0; r < rows.size(); ++r) rank[rows[r]] = r;
  }

  std::vector<int64_t> out(n * static_cast<size_t>(max_tokens), Tokenizer::kPadId);
  for (size_t i = 0; i < n; ++i) {
    const auto& own = utterance_ids[i];
    const size_t own_len = std::min(own.size(), static_cast<size_t>(max_tokens));
    // Context blocks, nearest first: each is the utterance's ids followed by <sep>.
    std::vector<std::vector<int>> blocks;
    size_t room = static_cast<size_t>(max_tokens) - own_len;
    const auto& rows = by_dialogue[dialogue[i]];
    for (size_t k = 1; k <= static_cast<size_t>(context) && k <= rank[i] && room > 0; ++k) {
      const auto& prev = utterance_ids[rows[rank[i] - k]];
      std::vector<int> block(prev.begin(), prev.end());
      block.push_back(Tokenizer::kSepId);
      if (block.size() > room) block.erase(block.begin(), block.end() - room);  // keep its tail
      room -= block.size();
      blocks.push_back(std::move(block));
    }
    int64_t* row = out.data() + i * static_cast<size_t>(max_tokens);
    size_t t = 0;
    for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
      for (int id : *b) row[t++] = id;
    }
    for (size_t k = 0; k < own_len; ++k) row[t++] = own[k];
  }
  return out;
}

}  // namespace emofuse::text
