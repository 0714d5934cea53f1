// A C-ABI wrapper around libsentencepiece, built as its own loadable module
// (libemofuse_sentencepiece.so) and opened by tokenizer.cpp with dlopen(RTLD_LOCAL |
// RTLD_DEEPBIND).
//
// Why: Debian's libsentencepiece.so.0 carries its own copy of protobuf-lite (3.14) and exports
// its symbols. Linked into the same process as LibTorch (which needs the system
// libprotobuf.so.32, 3.21), one copy's symbols interpose the other's: the process crashes during
// libprotobuf's static initialisation, or SentencePiece fails with "CHECK failed:
// scc->visit_status". Loaded locally with deep binding, SentencePiece resolves protobuf to its own
// copy and stays invisible to LibTorch. Only C types cross this boundary.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  VectorIterator(const char* const* sentences, size_t count) : sentences_(sentences), count_(count) { skip_empty(); }
  bool done() const override { return index_ >= count_; }
  void Next() override {
    ++index_;
    skip_empty();
  }
  const std::string& value() const override {
    current_ = sentences_[index_];
    return current_;
  }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void skip_empty() {
    while (index_ < count_ && sentences_[index_][0] == '\0') ++index_;
  }
  const char* const* sentences_;
  size_t count_;
  size_t index_ = 0;
  mutable std::string current_;
};

}  // namespace

#define EMOFUSE_SPM_API extern "C" __attribute__((visibility("default")))

/// Version of this C API; tokenizer.cpp refuses a module with another one.
EMOFUSE_SPM_API int emofuse_spm_api_version() {
  return 1;
}

/// Frees a string or id array returned by this module.
EMOFUSE_SPM_API void emofuse_spm_free(void* pointer) {
  std::free(pointer);
}

/// Trains a model from `count` NUL-terminated sentences with SentencePieceTrainer::Train(kwargs).
/// Returns NULL on success, else an error message to free with emofuse_spm_free.
EMOFUSE_SPM_API char* emofuse_spm_train(const char* const* sentences, size_t count, const char* const* keys,
                                        const char* const* values, size_t num_args) {
  try {
    std::unordered_map<std::string, std::string> kwargs;
    for (size_t i = 0; i < num_args; ++i) kwargs[keys[i]] = values[i];
    VectorIterator iterator(sentences, count);
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &iterator);
    return status.ok() ? nullptr : copy_string(status.ToString());
  } catch (const std::exception& e) {
    return copy_string(e.what());
  }
}

/// Loads a model; returns a handle, or NULL with *error set.
EMOFUSE_SPM_API void* emofuse_spm_load(const char* path, char** error) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->Load(path);
  if (!status.ok()) {
    *error = copy_string(status.ToString());
    delete processor;
    return nullptr;
  }
  *error = nullptr;
  return processor;
}

EMOFUSE_SPM_API void emofuse_spm_destroy(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

/// Encodes `text` (length bytes); *ids is malloc'd (free with emofuse_spm_free).
EMOFUSE_SPM_API char* emofuse_spm_encode(void* handle, const char* text, size_t length, int** ids, size_t* count) {
  std::vector<int> out;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(std::string(text, length), &out);
  *ids = nullptr;
  *count = 0;
  if (!status.ok()) return copy_string(status.ToString());
  *ids = static_cast<int*>(std::malloc(std::max<size_t>(1, out.size()) * sizeof(int)));
  std::memcpy(*ids, out.data(), out.size() * sizeof(int));
  *count = out.size();
  return nullptr;
}

/// Decodes ids; *text is malloc'd.
EMOFUSE_SPM_API char* emofuse_spm_decode(void* handle, const int* ids, size_t count, char** text) {
  std::string out;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Decode(std::vector<int>(ids, ids + count), &out);
  *text = nullptr;
  if (!status.ok()) return copy_string(status.ToString());
  *text = copy_string(out);
  return nullptr;
}

EMOFUSE_SPM_API int emofuse_spm_piece_size(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

EMOFUSE_SPM_API int emofuse_spm_piece_to_id(void* handle, const char* piece) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->PieceToId(piece);
}

EMOFUSE_SPM_API int emofuse_spm_pad_id(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->pad_id();
}

EMOFUSE_SPM_API int emofuse_spm_unk_id(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->unk_id();
}
