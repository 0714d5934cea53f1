#include "data/meld.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "core/io.h"
#include "core/runtime.h"
#include "text/npy.h"
#include "text/pt.h"

namespace emofuse::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSplitNames[3] = {"train", "dev", "test"};
constexpr int64_t kTrialStride = 1000000;  // trial = partition * stride + dialogue id

std::string line_ref(int64_t line) {
  return "line " + std::to_string(line);
}

int64_t parse_int(const std::string& text, const std::string& file, int64_t line, const std::string& column) {
  const std::string t = trim(text);
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (t.empty() || used != t.size()) {
    throw DataError(file, line_ref(line), "column '" + column + "': expected an integer, got '" + text + "'");
  }
  return v;
}

size_t column_index(const CsvTable& table, const std::string& name, const std::string& file) {
  for (size_t c = 0; c < table.header.size(); ++c) {
    if (trim(table.header[c]) == name) return c;
  }
  throw DataError(file, "line 1", "missing column '" + name + "'; the header has: " + join(table.header));
}

// "Season 1, Episode 2, Scene_ID 3, Utterance_ID 4": a key with its column names, for messages.
std::string key_text(const std::vector<std::string>& names, const std::vector<int64_t>& values) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) {
    out += (k == 0 ? "" : ", ") + names[k] + " " + std::to_string(values[k]);
  }
  return out;
}

// Reads a speaker cell. A plain name (MELD's `Monica`) is kept as written; a Python list literal
// of quoted names (EmoryNLP's `['Monica Geller']`, `['Joey Tribbiani', "Chandler's Dad"]`) reads
// as its names joined by " & " in the order written. Quotes may be ' or "; inside them \\, \'
// and \" are the only escapes. Names are normalised after parsing, so a U+2019 apostrophe
// cannot be mistaken for a closing quote. Throws DataError(file, line) on a malformed literal.
std::string parse_speaker(const std::string& cell, const std::string& file, int64_t line, const std::string& column) {
  const std::string t = trim(cell);
  if (t.empty() || t.front() != '[') return trim(text::normalize_utterance(cell));
  const auto fail = [&](const std::string& why) {
    return DataError(file, line_ref(line),
                     "column '" + column + "': malformed speaker list " + t + ": " + why +
                         "; expected a list of quoted names like ['Monica Geller']");
  };
  const auto skip_space = [&](size_t i) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    return i;
  };
  std::vector<std::string> names;
  size_t i = skip_space(1);
  while (i < t.size() && t[i] != ']') {
    const char quote = t[i];
    if (quote != '\'' && quote != '"') {
      throw fail("expected a quoted name at character " + std::to_string(i + 1));
    }
    std::string name;
    for (++i; i < t.size() && t[i] != quote; ++i) {
      if (t[i] == '\\') {
        if (i + 1 >= t.size() || (t[i + 1] != '\\' && t[i + 1] != '\'' && t[i + 1] != '"')) {
          throw fail("unsupported escape at character " + std::to_string(i + 1));
        }
        ++i;
      }
      name += t[i];
    }
    if (i >= t.size()) throw fail("unterminated quoted name");
    name = trim(text::normalize_utterance(name));
    if (name.empty()) throw fail("empty name");
    names.push_back(std::move(name));
    i = skip_space(i + 1);
    if (i < t.size() && t[i] == ',') {
      i = skip_space(i + 1);
    } else if (i < t.size() && t[i] != ']') {
      throw fail("expected ',' or ']' at character " + std::to_string(i + 1));
    }
  }
  if (i >= t.size()) throw fail("missing ']'");
  if (i + 1 != t.size()) throw fail("text after ']'");
  if (names.empty()) throw fail("no name");
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " & ") + n;
  return out;
}

// One utterance row of a split.
struct Utterance {
  std::string text;
  std::string speaker;
  int64_t label = 0;
  int64_t dialogue = 0;  // trial id within the split (see the file comment of meld.h)
  int64_t utterance = 0;
  std::vector<int64_t> key;  // as written: scope values..., dialogue id, utterance id
  int64_t line = 0;
};

// Columns of an utterance key: dialogue_scope..., dialogue, utterance_id.
std::vector<std::string> key_columns(const ConversationColumns& cols) {
  auto names = cols.dialogue_scope;
  names.push_back(cols.dialogue);
  names.push_back(cols.utterance_id);
  return names;
}

std::vector<Utterance> read_split(const std::string& path, const MeldOptions& options) {
  if (!fs::exists(path)) throw DataError(path, "", "file not found");
  const CsvTable table = read_csv(path);
  const auto& cols = options.columns;
  const size_t c_text = column_index(table, cols.utterance, path);
  const size_t c_speaker = column_index(table, cols.speaker, path);
  const size_t c_emotion = column_index(table, cols.emotion, path);
  const size_t c_dialogue = column_index(table, cols.dialogue, path);
  const size_t c_utterance = column_index(table, cols.utterance_id, path);
  std::vector<size_t> c_scope;
  for (const auto& name : cols.dialogue_scope) c_scope.push_back(column_index(table, name, path));
  const auto key_names = key_columns(cols);
  // Line of each key's first row (duplicates are errors) and, with a scope, the index of each
  // (scope..., dialogue) tuple in order of first appearance.
  std::map<std::vector<int64_t>, int64_t> line_of_key;
  std::map<std::vector<int64_t>, int64_t> dialogue_index;
  std::unordered_map<std::string, int64_t> class_of;
  for (size_t k = 0; k < options.class_names.size(); ++k) {
    class_of[to_lower(options.class_names[k])] = static_cast<int64_t>(k);
  }
  std::vector<Utterance> out;
  out.reserve(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const int64_t line = table.lines[r];
    Utterance u;
    u.line = line;
    u.text = text::normalize_utterance(row[c_text]);
    u.speaker = parse_speaker(row[c_speaker], path, line, cols.speaker);
    const std::string emotion = to_lower(trim(row[c_emotion]));
    auto it = class_of.find(emotion);
    if (it == class_of.end()) {
      throw DataError(path, line_ref(line),
                      "column '" + cols.emotion + "': unknown emotion '" + row[c_emotion] +
                          "'; expected one of: " + join(options.class_names));
    }
    u.label = it->second;
    for (size_t k = 0; k < c_scope.size(); ++k) {
      u.key.push_back(parse_int(row[c_scope[k]], path, line, cols.dialogue_scope[k]));
    }
    u.key.push_back(parse_int(row[c_dialogue], path, line, cols.dialogue));
    u.utterance = parse_int(row[c_utterance], path, line, cols.utterance_id);
    if (c_scope.empty()) {
      u.dialogue = u.key.back();
      if (u.dialogue < 0 || u.dialogue >= kTrialStride) {
        throw DataError(
            path, line_ref(line),
            "column '" + cols.dialogue + "': expected 0 <= id < 1000000, got " + std::to_string(u.dialogue));
      }
    } else {
      const auto next = static_cast<int64_t>(dialogue_index.size());
      u.dialogue = dialogue_index.emplace(u.key, next).first->second;
      if (u.dialogue >= kTrialStride) {
        throw DataError(path, line_ref(line), "more than 1000000 dialogues in one split");
      }
    }
    u.key.push_back(u.utterance);
    const auto [first, inserted] = line_of_key.emplace(u.key, line);
    if (!inserted) {
      std::string hint;
      if (c_scope.empty()) {
        hint = " (if " + cols.dialogue +
               " restarts within other columns, e.g. EmoryNLP's Season and Episode, name them "
               "in columns.dialogue_scope)";
      }
      throw DataError(path, line_ref(line),
                      "duplicate utterance key (" + key_text(key_names, u.key) + "), already on line " +
                          std::to_string(first->second) + hint);
    }
    out.push_back(std::move(u));
  }
  if (out.empty()) throw DataError(path, "", "no data rows");
  return out;
}

// Precomputed features of one split: `<dir>/<split>.npy` or `<dir>/<split>.pt` (rows in CSV
// order) or `<dir>/<split>.csv` keyed by Dialogue_ID, Utterance_ID. Returns [n, F] row-major.
std::vector<float> read_precomputed(const std::string& dir, const std::string& split,
                                    const std::vector<Utterance>& rows, const std::string& csv_path,
                                    const std::vector<std::string>& key_names, int64_t& width) {
  const fs::path npy = fs::path(dir) / (split + ".npy");
  const fs::path pt = fs::path(dir) / (split + ".pt");
  const fs::path csv = fs::path(dir) / (split + ".csv");
  const int64_t n = static_cast<int64_t>(rows.size());
  std::vector<std::string> present;
  for (const auto* p : {&npy, &pt, &csv}) {
    if (fs::exists(*p)) present.push_back(p->filename().string());
  }
  if (present.size() > 1) {
    throw DataError(dir, split, "found " + join(present) + "; keep one feature file per split");
  }
  std::vector<float> out;
  int64_t f = 0;
  if (fs::exists(pt)) {
    const auto t = text::read_pt_matrix(pt.string());  // [N_split, F] float32
    if (t.size(0) != n) {
      throw DataError(pt.string(), "field 'shape'",
                      "expected [" + std::to_string(n) + ", F] (one row per row of " + csv_path + "), got [" +
                          std::to_string(t.size(0)) + ", " + std::to_string(t.size(1)) + "]");
    }
    f = t.size(1);
    out.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  } else if (fs::exists(npy)) {
    auto array = text::read_npy(npy.string());
    if (array.shape.size() != 2 || array.shape[0] != n) {
      std::string got;
      for (auto s : array.shape) got += (got.empty() ? "" : ", ") + std::to_string(s);
      throw DataError(
          npy.string(), "field 'shape'",
          "expected [" + std::to_string(n) + ", F] (one row per row of " + csv_path + "), got [" + got + "]");
    }
    f = array.shape[1];
    out.assign(array.data.begin(), array.data.end());
  } else if (fs::exists(csv)) {
    // Key columns by position: the split's key columns (Dialogue_ID, Utterance_ID for MELD).
    const CsvTable table = read_csv(csv.string());
    const std::string file = csv.string();
    const size_t nk = key_names.size();
    if (table.header.size() < nk + 1) {
      throw DataError(file, "line 1", "expected " + join(key_names) + " and feature columns");
    }
    f = static_cast<int64_t>(table.header.size() - nk);
    std::map<std::vector<int64_t>, size_t> row_of;
    for (size_t r = 0; r < table.rows.size(); ++r) {
      std::vector<int64_t> key;
      for (size_t k = 0; k < nk; ++k) {
        key.push_back(parse_int(table.rows[r][k], file, table.lines[r], table.header[k]));
      }
      const auto [first, inserted] = row_of.emplace(key, r);
      if (!inserted) {
        std::string values;
        for (auto v : key) values += (values.empty() ? "" : ", ") + std::to_string(v);
        throw DataError(file, line_ref(table.lines[r]),
                        "duplicate key " + values + ", already on line " + std::to_string(table.lines[first->second]));
      }
    }
    out.resize(static_cast<size_t>(n * f));
    for (int64_t i = 0; i < n; ++i) {
      auto it = row_of.find(rows[i].key);
      if (it == row_of.end()) {
        const std::string key =
            nk == 2 ? "dialogue " + std::to_string(rows[i].key[0]) + ", utterance " + std::to_string(rows[i].key[1])
                    : key_text(key_names, rows[i].key);
        throw DataError(file, "",
                        "no row for " + key + " (" + csv_path + " line " + std::to_string(rows[i].line) + ")");
      }
      const auto& row = table.rows[it->second];
      for (int64_t k = 0; k < f; ++k) {
        const double v = parse_number(row[nk + k], file, table.lines[it->second], table.header[nk + k]);
        out[i * f + k] = static_cast<float>(v);
      }
    }
  } else {
    throw DataError(dir, "",
                    "expected " + npy.filename().string() + ", " + pt.filename().string() + " or " +
                        csv.filename().string() + " for the " + split + " split");
  }
  if (width >= 0 && f != width) {
    throw DataError(dir, split, "has " + std::to_string(f) + " features, other splits have " + std::to_string(width));
  }
  width = f;
  return out;
}

}  // namespace

const std::vector<std::string>& meld_emotions() {
  static const std::vector<std::string> names = {"neutral", "joy", "surprise", "anger", "sadness", "disgust", "fear"};
  return names;
}

void MeldOptions::validate(const std::string& prefix) const {
  require_option(!data_dir.empty(), prefix + "data_dir", "must name the folder with the split CSVs");
  for (size_t s = 0; s < split_files.size(); ++s) {
    require_option(!split_files[s].empty(), prefix + "split_files",
                   std::string("the ") + kSplitNames[s] + " file name is empty");
  }
  for (const auto* c :
       {&columns.utterance, &columns.speaker, &columns.emotion, &columns.dialogue, &columns.utterance_id}) {
    require_option(!c->empty(), prefix + "columns", "column names must not be empty");
  }
  const auto keys = key_columns(columns);
  for (size_t k = 0; k < keys.size(); ++k) {
    require_option(!keys[k].empty(), prefix + "columns.dialogue_scope", "column names must not be empty");
    require_option(std::find(keys.begin(), keys.begin() + k, keys[k]) == keys.begin() + k,
                   prefix + "columns.dialogue_scope",
                   "column '" + keys[k] +
                       "' named twice among dialogue_scope, dialogue and "
                       "utterance_id");
  }
  require_option(class_names.size() >= 2, prefix + "class_names", "needs at least 2 classes");
  std::vector<std::string> seen;
  for (const auto& c : class_names) {
    require_option(!c.empty(), prefix + "class_names", "empty class name");
    require_option(std::find(seen.begin(), seen.end(), to_lower(c)) == seen.end(), prefix + "class_names",
                   "duplicate class '" + c + "'");
    seen.push_back(to_lower(c));
  }
  require_option(max_tokens >= 1 && max_tokens <= 4096, prefix + "max_tokens", "must be in [1, 4096]");
  require_option(context_window >= 0, prefix + "context_window", "must be >= 0");
  if (text_features.empty()) {
    require_option(!tokenizer_dir.empty(), prefix + "tokenizer_dir",
                   "must name the folder for tokenizer.model (e.g. the run folder)");
    tokenizer.validate(prefix);
  }
  if (!audio_dir.empty()) {
    require_option(columns.dialogue_scope.empty(), prefix + "audio_dir",
                   "audio files are named dia{D}_utt{U} by one dialogue id; not available with "
                   "columns.dialogue_scope");
    audio.validate(prefix + "audio.");
  }
}

MeldOptions read_meld_options(OptionReader& r, const std::string& path, const std::string& default_tokenizer_dir) {
  MeldOptions o;
  o.data_dir = path.empty() ? (fs::path(emofuse::data_dir()) / "meld").string() : path;
  const auto files = r.get<std::vector<std::string>>("split_files", {o.split_files.begin(), o.split_files.end()});
  require_option(files.size() == 3, r.full("split_files"),
                 "expected 3 file names (train, dev, test), got " + std::to_string(files.size()));
  std::copy(files.begin(), files.end(), o.split_files.begin());
  o.class_names = r.get<std::vector<std::string>>("class_names", o.class_names);
  if (auto node = r.node("columns"); node.IsDefined()) {
    OptionReader c(node, r.full("columns"));
    o.columns.utterance = c.get<std::string>("utterance", o.columns.utterance);
    o.columns.speaker = c.get<std::string>("speaker", o.columns.speaker);
    o.columns.emotion = c.get<std::string>("emotion", o.columns.emotion);
    o.columns.dialogue = c.get<std::string>("dialogue", o.columns.dialogue);
    o.columns.utterance_id = c.get<std::string>("utterance_id", o.columns.utterance_id);
    o.columns.dialogue_scope = c.get<std::vector<std::string>>("dialogue_scope", o.columns.dialogue_scope);
    c.finish();
  }
  o.tokenizer_dir = r.get<std::string>("tokenizer_dir", default_tokenizer_dir);
  o.tokenizer.vocab_size = r.get<int>("vocab_size", o.tokenizer.vocab_size);
  o.tokenizer.model_type = r.get<std::string>("tokenizer_model_type", o.tokenizer.model_type);
  o.tokenizer.character_coverage = r.get<double>("character_coverage", o.tokenizer.character_coverage);
  o.max_tokens = r.get<int>("max_tokens", o.max_tokens);
  o.context_window = r.get<int>("context_window", o.context_window);
  o.audio_dir = r.get<std::string>("audio_dir", o.audio_dir);
  if (auto node = r.node("audio"); node.IsDefined()) {
    OptionReader a(node, r.full("audio"));
    auto& x = o.audio;
    x.frame_ms = a.get<double>("frame_ms", x.frame_ms);
    x.hop_ms = a.get<double>("hop_ms", x.hop_ms);
    x.n_mels = a.get<int>("n_mels", x.n_mels);
    x.n_mfcc = a.get<int>("n_mfcc", x.n_mfcc);
    x.fmin_hz = a.get<double>("fmin_hz", x.fmin_hz);
    x.fmax_hz = a.get<double>("fmax_hz", x.fmax_hz);
    x.pitch_fmin_hz = a.get<double>("pitch_fmin_hz", x.pitch_fmin_hz);
    x.pitch_fmax_hz = a.get<double>("pitch_fmax_hz", x.pitch_fmax_hz);
    x.pitch_window_ms = a.get<double>("pitch_window_ms", x.pitch_window_ms);
    x.yin_threshold = a.get<double>("yin_threshold", x.yin_threshold);
    x.silence_db = a.get<double>("silence_db", x.silence_db);
    a.finish();
  }
  o.text_features = r.get<std::string>("text_features", o.text_features);
  o.audio_features = r.get<std::string>("audio_features", o.audio_features);
  o.validate(r.full(""));
  return o;
}

MultimodalDataset load_meld(const MeldOptions& options) {
  options.validate();
  // 1. Read and check all three splits before any expensive work.
  std::array<std::vector<Utterance>, 3> splits;
  std::array<std::string, 3> paths;
  for (int s = 0; s < 3; ++s) {
    paths[s] = (fs::path(options.data_dir) / options.split_files[s]).string();
    splits[s] = read_split(paths[s], options);
  }
  int64_t n = 0;
  for (const auto& rows : splits) n += static_cast<int64_t>(rows.size());
  const int64_t num_classes = static_cast<int64_t>(options.class_names.size());

  std::vector<ModalitySpec> specs;
  std::vector<torch::Tensor> features;

  // 2. Text: tokens from a tokenizer trained on the train split only, or precomputed features.
  if (options.text_features.empty()) {
    const std::string model_path = (fs::path(options.tokenizer_dir) / text::Tokenizer::kModelFile).string();
    text::Tokenizer tokenizer;
    if (fs::exists(model_path)) {
      tokenizer = text::Tokenizer::load(model_path);
    } else {
      std::vector<std::string> sentences;
      for (const auto& u : splits[0]) sentences.push_back(u.text);
      tokenizer = text::Tokenizer::train(sentences, options.tokenizer_dir, options.tokenizer);
    }
    std::vector<std::vector<int>> ids;
    std::vector<int64_t> dialogue, position;
    ids.reserve(n);
    for (int s = 0; s < 3; ++s) {
      for (const auto& u : splits[s]) {
        ids.push_back(tokenizer.encode(u.text));
        dialogue.push_back(s * kTrialStride + u.dialogue);
        position.push_back(u.utterance);
      }
    }
    auto rows = text::build_token_rows(ids, dialogue, position, options.context_window, options.max_tokens);
    specs.push_back({"text", ModalityRole::kText, {options.max_tokens}});
    features.push_back(torch::from_blob(rows.data(), {n, options.max_tokens}, torch::kInt64).clone());
  } else {
    int64_t width = -1;
    std::vector<float> all;
    for (int s = 0; s < 3; ++s) {
      auto part = read_precomputed(options.text_features, kSplitNames[s], splits[s], paths[s],
                                   key_columns(options.columns), width);
      all.insert(all.end(), part.begin(), part.end());
    }
    specs.push_back({"text", ModalityRole::kText, {width}});
    features.push_back(torch::from_blob(all.data(), {n, width}, torch::kFloat32).clone());
  }

  // 3. Audio: precomputed features, or statistics computed from dia{D}_utt{U}.wav/.flac.
  if (!options.audio_features.empty()) {
    int64_t width = -1;
    std::vector<float> all;
    for (int s = 0; s < 3; ++s) {
      auto part = read_precomputed(options.audio_features, kSplitNames[s], splits[s], paths[s],
                                   key_columns(options.columns), width);
      all.insert(all.end(), part.begin(), part.end());
    }
    specs.push_back({"audio", ModalityRole::kAudio, {width}});
    features.push_back(torch::from_blob(all.data(), {n, width}, torch::kFloat32).clone());
  } else if (!options.audio_dir.empty()) {
    std::vector<std::string> files(static_cast<size_t>(n));
    int64_t i = 0, found = 0;
    for (int s = 0; s < 3; ++s) {
      for (const auto& u : splits[s]) {
        const auto stem = "dia" + std::to_string(u.dialogue) + "_utt" + std::to_string(u.utterance);
        for (const char* ext : {".wav", ".flac"}) {
          const auto p = fs::path(options.audio_dir) / kSplitNames[s] / (stem + ext);
          if (fs::exists(p)) {
            files[i] = p.string();
            ++found;
            break;
          }
        }
        ++i;
      }
    }
    if (found == 0) {
      throw DataError(options.audio_dir, "", "no dia{D}_utt{U}.wav or .flac under train/, dev/ or test/");
    }
    const int64_t f = static_cast<int64_t>(audio::audio_feature_names(options.audio).size());
    // Last column "audio_present": 1 when the utterance has audio, 0 (and zero features) if not.
    auto audio_tensor = torch::zeros({n, f + 1}, torch::kFloat32);
    auto* out = audio_tensor.data_ptr<float>();
    std::vector<std::string> errors(static_cast<size_t>(n));
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        if (files[r].empty()) continue;
        try {
          const auto v = audio::audio_utterance_features(audio::audio_read(files[r]), options.audio);
          for (int64_t k = 0; k < f; ++k) out[r * (f + 1) + k] = static_cast<float>(v[k]);
          out[r * (f + 1) + f] = 1.0f;
        } catch (const std::exception& e) {
          errors[r] = e.what();
        }
      }
    });
    for (const auto& e : errors) {
      if (!e.empty()) throw Error(e);
    }
    specs.push_back({"audio", ModalityRole::kAudio, {f + 1}});
    features.push_back(audio_tensor);
  }

  // 4. Targets, speakers (subjects), dialogues (trials), partitions.
  auto targets = torch::zeros({n, num_classes}, torch::kFloat32);
  auto labels = torch::empty({n}, torch::kInt64);
  auto subjects = torch::empty({n}, torch::kInt64);
  auto trials = torch::empty({n}, torch::kInt64);
  auto partitions = torch::empty({n}, torch::kInt64);
  std::map<std::string, int64_t> speaker_id;
  std::vector<std::string> speaker_names;
  auto t = targets.accessor<float, 2>();
  int64_t i = 0;
  for (int s = 0; s < 3; ++s) {
    for (const auto& u : splits[s]) {
      auto it = speaker_id.find(u.speaker);
      if (it == speaker_id.end()) {
        it = speaker_id.emplace(u.speaker, static_cast<int64_t>(speaker_names.size())).first;
        speaker_names.push_back(u.speaker);
      }
      t[i][u.label] = 1.0f;
      labels[i] = u.label;
      subjects[i] = it->second;
      trials[i] = s * kTrialStride + u.dialogue;
      partitions[i] = s;
      ++i;
    }
  }
  MultimodalDataset dataset(std::move(specs), std::move(features), targets, subjects, trials, options.class_names,
                            options.data_dir);
  dataset.set_hard_labels(labels);
  dataset.set_partitions(partitions);
  dataset.set_subject_names(std::move(speaker_names));
  return dataset;
}

torch::Tensor tokenize_lines(const std::string& text_file, const std::string& tokenizer_model, int max_tokens,
                             int context_window) {
  require_option(max_tokens >= 1, "max_tokens", "must be >= 1");
  require_option(context_window >= 0, "context_window", "must be >= 0");
  std::ifstream in(text_file, std::ios::binary);
  if (!in) throw DataError(text_file, "", "cannot open file");
  const auto tokenizer = text::Tokenizer::load(tokenizer_model);
  std::vector<std::vector<int>> ids;
  std::string line;
  while (std::getline(in, line)) ids.push_back(tokenizer.encode(text::normalize_utterance(line)));
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<int64_t> dialogue(ids.size(), 0), position(ids.size());
  for (int64_t k = 0; k < n; ++k) position[k] = k;
  auto rows = text::build_token_rows(ids, dialogue, position, context_window, max_tokens);
  return torch::from_blob(rows.data(), {n, static_cast<int64_t>(max_tokens)}, torch::kInt64).clone();
}

}  // namespace emofuse::data
