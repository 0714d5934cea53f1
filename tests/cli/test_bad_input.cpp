// The bad-input corpus: every reader, flag and config of the `emofuse` command line fed a
// malformed input that this file generates (no stored blobs). Each case runs the real binary as
// a child process and asserts
//   - the exit code: 2 for a command line that cannot be parsed, 1 for rejected data or config;
//   - one `emofuse: error: ...` line that names the file (or option) and the field at fault;
//   - that nothing the command would have written is left behind (output file, run folder);
//   - that the command ends well inside its time limit (no hang on absurd values).
// A few positive controls (marked "accepts") prove that the generated base files are valid, so
// that each rejection is caused by the one defect the case introduces.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "data/mat_io.h"
#include "data/synthetic.h"
#include "test_util.h"

namespace fs = std::filesystem;
using emofuse::testutil::ProcessResult;
using emofuse::testutil::read_file;
using emofuse::testutil::run_cli;
using emofuse::testutil::TempDir;
using emofuse::testutil::write_file;

namespace {

// ----------------------------------------------------------------------------- valid base inputs
// Small, valid files of every format; each case copies one into its own folder and breaks it.

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  write_file(path.string(), text);
}

// A DMER folder: 3 subjects x 2 clips x 2 one-second samples, written by the synthetic cohort.
void write_dmer(const fs::path& dir) {
  emofuse::data::SyntheticOptions o;
  o.subjects = 3;
  o.clips = 2;
  o.seconds = 2;
  fs::create_directories(dir);
  emofuse::data::write_synthetic_dmer(emofuse::data::make_synthetic_cohort(o), dir.string());
}

// A DMER subject file with the given variables (row-major [rows, cols] tensors).
void write_dmer_subject(const fs::path& path, const torch::Tensor& feas, const torch::Tensor& vids,
                        const torch::Tensor& dis_label) {
  emofuse::data::write_mat_matrices(path.string(), {{"feas", feas}, {"vids", vids}, {"dis_label", dis_label}});
}

// Valid DMER variables: `rows` samples of `clips` clips, 10 emotions.
struct DmerSubject {
  torch::Tensor feas, vids, dis_label;
};
DmerSubject valid_dmer_subject(int64_t clips = 2, int64_t per_clip = 2) {
  const int64_t rows = clips * per_clip;
  DmerSubject s;
  s.feas = torch::rand({rows, 913}, torch::kFloat64);
  s.vids = torch::arange(1, clips + 1, torch::kFloat64).repeat_interleave(per_clip).unsqueeze(1);
  s.dis_label = torch::softmax(torch::rand({clips, 10}, torch::kFloat64), 1);
  return s;
}

// A generic feature CSV dataset: 3 subjects x 4 trials x 2 rows, classes a/b, one modality.
struct CsvRow {
  std::string subject, trial, label, x0, x1;
};
std::vector<CsvRow> valid_csv_rows() {
  std::vector<CsvRow> rows;
  for (int s = 1; s <= 3; ++s) {
    for (int t = 1; t <= 4; ++t) {
      for (int r = 0; r < 2; ++r) {
        rows.push_back({"P" + std::to_string(s), std::to_string(t), t % 2 ? "a" : "b",
                        std::to_string(0.1 * s + 0.3 * t + r), std::to_string(0.5 * t - 0.2 * s)});
      }
    }
  }
  return rows;
}
const char* kCsvSpec =
    "format: csv\n"
    "path: features.csv\n"
    "subject_column: subject\n"
    "trial_column: trial\n"
    "label_column: label\n"
    "classes: [a, b]\n"
    "modalities:\n"
    "  - {name: x, role: physiological, prefix: \"x_\"}\n";
void write_csv_dataset(const fs::path& dir, const std::vector<CsvRow>& rows, const std::string& spec = kCsvSpec) {
  std::string csv = "subject,trial,label,x_0,x_1\n";
  for (const auto& r : rows) csv += r.subject + "," + r.trial + "," + r.label + "," + r.x0 + "," + r.x1 + "\n";
  write_text(dir / "features.csv", csv);
  write_text(dir / "dataset.yaml", spec);
}

// The WESAD window-feature CSV: a row index, 46 features, subject, label (0/1/2).
const char* kWesadHeader =
    ",net_acc_mean,net_acc_std,net_acc_min,net_acc_max,EDA_phasic_mean,EDA_phasic_std,EDA_phasic_min,"
    "EDA_phasic_max,EDA_smna_mean,EDA_smna_std,EDA_smna_min,EDA_smna_max,EDA_tonic_mean,EDA_tonic_std,"
    "EDA_tonic_min,EDA_tonic_max,BVP_mean,BVP_std,BVP_min,BVP_max,TEMP_mean,TEMP_std,TEMP_min,TEMP_max,"
    "ACC_x_mean,ACC_x_std,ACC_x_min,ACC_x_max,ACC_y_mean,ACC_y_std,ACC_y_min,ACC_y_max,ACC_z_mean,"
    "ACC_z_std,ACC_z_min,ACC_z_max,Resp_mean,Resp_std,Resp_min,Resp_max,0_mean,0_std,0_min,0_max,"
    "BVP_peak_freq,TEMP_slope,subject,label";
std::vector<std::vector<std::string>> valid_wesad_rows() {
  std::vector<std::vector<std::string>> rows;
  int index = 0;
  for (int subject : {2, 3, 4}) {
    for (int label = 0; label < 3; ++label) {
      for (int r = 0; r < 2; ++r) {
        std::vector<std::string> row = {std::to_string(index++)};
        for (int f = 0; f < 46; ++f) row.push_back(std::to_string(0.01 * (f + 1) * (label + 1) + 0.1 * r + subject));
        row.push_back(std::to_string(subject));
        row.push_back(std::to_string(label));
        rows.push_back(row);
      }
    }
  }
  return rows;
}
void write_wesad(const fs::path& file, const std::vector<std::vector<std::string>>& rows,
                 const std::string& header = kWesadHeader) {
  std::string text = header + "\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + row[i];
    text += "\n";
  }
  write_text(file, text);
}

// The DEAP feature folder: 3 subjects x 4 videos; 160 EEG features per trial.
struct DeapRows {
  std::vector<std::string> eeg, subject_video, labels;
};
DeapRows valid_deap_rows() {
  DeapRows d;
  for (int s = 1; s <= 3; ++s) {
    for (int v = 1; v <= 4; ++v) {
      std::string line;
      for (int f = 0; f < 160; ++f) line += (f ? "\t" : "") + std::to_string(4.0 + 0.01 * f + 0.1 * v + 0.2 * s);
      d.eeg.push_back(line);
      d.subject_video.push_back(std::to_string(s) + "\t" + std::to_string(v));
      d.labels.push_back(std::string(v % 2 ? "1" : "2") + "\t" + (v <= 2 ? "1" : "2"));
    }
  }
  return d;
}
void write_deap(const fs::path& dir, const DeapRows& d) {
  auto join = [](const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\r\n";
    return text;
  };
  write_text(dir / "EEG_feature.txt", join(d.eeg));
  write_text(dir / "subject_video.txt", join(d.subject_video));
  write_text(dir / "valence_arousal_label.txt", join(d.labels));
}

// An LDL benchmark .mat: 12 samples x 5 features, 3 labels.
void write_ldl(const fs::path& file, torch::Tensor features, torch::Tensor labels,
               const std::string& labels_name = "labels") {
  fs::create_directories(file.parent_path());
  emofuse::data::write_mat_matrices(file.string(), {{"features", features}, {labels_name, labels}});
}
torch::Tensor valid_ldl_features() {
  return torch::rand({12, 5}, torch::kFloat64);
}
torch::Tensor valid_ldl_labels() {
  return torch::softmax(torch::rand({12, 3}, torch::kFloat64), 1);
}

// A MELD-style corpus (three splits).
const char* kMeldHeader =
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\r\n";
std::string meld_split(const std::string& emotion_of_first = "joy") {
  std::string s = kMeldHeader;
  const char* emotions[] = {"neutral", "joy", "surprise", "anger", "sadness", "disgust", "fear"};
  for (int i = 0; i < 7; ++i) {
    s += std::to_string(i + 1) + ",Utterance number " + std::to_string(i) + " here,Monica," +
         (i == 0 ? emotion_of_first : emotions[i]) + ",neutral," + std::to_string(i / 3) + "," + std::to_string(i % 3) +
         ",1,1,a,b\r\n";
  }
  return s;
}
void write_meld(const fs::path& dir, const std::string& first_train_emotion = "joy") {
  write_text(dir / "train_sent_emo.csv", meld_split(first_train_emotion));
  write_text(dir / "dev_sent_emo.csv", meld_split());
  write_text(dir / "test_sent_emo.csv", meld_split());
}

// A minimal NumPy .npy (format 1.0, little-endian float32, C order) of shape [rows, cols].
std::string npy_bytes(int rows, int cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes += std::string(static_cast<std::size_t>(rows) * cols * 4, '\0');
  return bytes;
}

// A WAV file header that promises more audio than the file holds.
std::string truncated_wav_bytes() {
  auto u32 = [](uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  auto u16 = [](uint16_t v) { return std::string{char(v), char(v >> 8)}; };
  std::string b = "RIFF" + u32(36 + 32000) + "WAVEfmt " + u32(16) + u16(1) + u16(1) + u32(16000) + u32(32000) + u16(2) +
                  u16(16) + "data" + u32(32000);
  return b + std::string(10, '\x01');  // 10 of the promised 32000 bytes
}

void truncate_file(const fs::path& file, std::uintmax_t cut) {
  fs::resize_file(file, fs::file_size(file) - cut);
}

void replace_in_file(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = read_file(file.string());
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "'" << from << "' not in " << file;
  text.replace(at, from.size(), to);
  write_file(file.string(), text);
}

// ----------------------------------------------------------------------------- the cases

// A folder shared by all cases of one test process: the valid inputs a case needs but does not
// break (a trained model bundle), made once.
struct SharedInputs {
  TempDir dir;
  fs::path bundle;  // a fold's model bundle (mlp_early on the CSV dataset)
  fs::path run;     // the run folder that holds it
};

SharedInputs& shared() {
  static SharedInputs* inputs = [] {
    auto* s = new SharedInputs;
    const fs::path base(s->dir.path());
    write_csv_dataset(base / "csv", valid_csv_rows());
    s->run = base / "run";
    const auto r = run_cli({"train", "--data", (base / "csv").string(), "--run-dir", s->run.string(), "--threads", "1",
                            "--quiet", "--set", "training.epochs=1", "--set", "protocol.max_folds=1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const auto& fold : fs::directory_iterator(s->run / "folds")) s->bundle = fold.path() / "model";
    return s;
  }();
  return *inputs;
}

void copy_bundle(const fs::path& to) {
  fs::copy(shared().bundle, to, fs::copy_options::recursive);
}

struct BadInputCase {
  std::string name;
  /// Writes the case's inputs into `dir` and returns the command line (without the program).
  std::function<std::vector<std::string>(const fs::path& dir)> prepare;
  int exit_code = 1;
  /// Substrings the error output must hold; "{dir}" stands for the case folder.
  std::vector<std::string> message;
  /// Paths (relative to the case folder) that must not exist afterwards.
  std::vector<std::string> absent = {"out"};
  /// Substrings the error output must not hold (misleading wording).
  std::vector<std::string> not_in_message = {};
};

std::vector<std::string> train_on(const fs::path& data, const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"train",     "--data", data.string(), "--run-dir", (dir / "out").string(),
                                   "--threads", "1",      "--quiet",     "--set",     "training.epochs=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> info_on(const fs::path& data, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"info", "--data", data.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> eval_of(const fs::path& model, const fs::path& dir) {
  write_csv_dataset(dir / "csv", valid_csv_rows());
  return {"eval", "-m",    model.string(),        "--data", (dir / "csv").string(), "--threads",
          "1",    "--out", (dir / "out").string()};
}
std::string ldl_path(const fs::path& dir) {
  return (dir / "set.mat").string();
}
std::vector<std::string> ldl_bench(const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"ldl-bench", "--data", ldl_path(dir),         "--folds", "2", "--threads",
                                   "1",         "--out",  (dir / "out").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> meld_info(const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"info",
                                   "--data",
                                   (dir / "meld").string(),
                                   "--format",
                                   "meld",
                                   "--set",
                                   "data.vocab_size=30",
                                   "--set",
                                   "data.tokenizer_dir=" + (dir / "tok").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}
std::vector<std::string> with_config(const fs::path& dir, const std::string& yaml,
                                     std::vector<std::string> extra = {}) {
  write_csv_dataset(dir / "csv", valid_csv_rows());
  write_text(dir / "config.yaml", yaml);
  auto args = train_on(dir / "csv", dir, {"-c", (dir / "config.yaml").string()});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// `features --dataset csv` on 30 s of a 64 Hz EDA recording (one annotated interval), with a
// NaN at sample `nan_at` (none when negative).
std::vector<std::string> raw_recording_features(const fs::path& dir, int nan_at, std::vector<std::string> extra = {}) {
  std::string csv = "time,eda\n";
  for (int i = 0; i < 64 * 30; ++i) {
    csv += std::to_string(i / 64.0) + "," + (i == nan_at ? std::string("nan") : std::to_string(1.0 + 0.01 * (i % 50))) +
           "\n";
  }
  write_text(dir / "rec.csv", csv);
  write_text(dir / "ann.csv", "start,end,label\n0,30,rest\n");
  std::vector<std::string> args = {"features",
                                   "--dataset",
                                   "csv",
                                   "--data",
                                   (dir / "rec.csv").string(),
                                   "--annotations",
                                   (dir / "ann.csv").string(),
                                   "--out",
                                   (dir / "out").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<BadInputCase> all_cases() {
  std::vector<BadInputCase> c;
  using Args = std::vector<std::string>;
  using P = const fs::path&;

  // ---- the command line itself: exit 2
  c.push_back({"NoSubcommand", [](P) { return Args{}; }, 2, {"subcommand"}});
  c.push_back({"UnknownSubcommand", [](P) { return Args{"frobnicate"}; }, 2, {"frobnicate"}});
  c.push_back({"UnknownFlag",
               [](P d) {
                 return Args{"synth", "--out", (d / "out").string(), "--bogus"};
               },
               2,
               {"--bogus", "emofuse synth --help"}});
  c.push_back({"MissingRequiredOption", [](P) { return Args{"synth"}; }, 2, {"--out"}});
  c.push_back({"NonNumericValue",
               [](P d) {
                 return Args{"synth", "--out", (d / "out").string(), "--subjects", "many"};
               },
               2,
               {"--subjects"}});
  c.push_back({"ThreadsNotANumber",
               [](P d) {
                 return train_on(d / "none", d, {"--threads", "abc"});
               },
               2,
               {"--threads"}});
  c.push_back({"ThreadsAbsurd",
               [](P d) {
                 return train_on(d / "none", d, {"--threads", "100000"});
               },
               2,
               {"--threads", "100000"}});
  c.push_back({"ThreadsNegative",
               [](P d) {
                 return Args{"ldl-bench", "--data", "x.mat", "--threads", "-1"};
               },
               2,
               {"--threads"}});
  c.push_back({"EvalWithoutModel", [](P d) { return Args{"eval", "--data", d.string()}; }, 2, {"--model"}});
  c.push_back({"FeaturesUnknownDataset",
               [](P d) { return Args{"features", "--dataset", "bogus", "--data", "x", "--out", (d / "out").string()}; },
               2,
               {"--dataset", "bogus"}});
  c.push_back(
      {"PredictDataAndText",
       [](P d) { return Args{"predict", "-m", "m", "--data", "x", "--text", "t.txt", "-o", (d / "out").string()}; },
       2,
       {"--data", "--text"}});

  // ---- option values and configs: exit 1, the option named
  c.push_back({"ConfigThreadsAbsurd",
               [](P d) {
                 auto args = with_config(d, "threads: 100000\n");
                 const auto flag = std::find(args.begin(), args.end(), "--threads");
                 args.erase(flag, flag + 2);  // the config's value, not the command line's
                 return args;
               },
               1,
               {"threads", "between 0"},
               {"out"},
               {"309"}});
  c.push_back({"ConfigMissing",
               [](P d) {
                 return train_on(d / "none", d, {"-c", (d / "nope.yaml").string()});
               },
               1,
               {"nope.yaml"}});
  c.push_back({"ConfigYamlSyntax",
               [](P d) { return with_config(d, "training:\n  epochs: [1, 2\n"); },
               1,
               {"config.yaml", "line"}});
  c.push_back({"ConfigUnknownKey", [](P d) { return with_config(d, "trainng:\n  epochs: 1\n"); }, 1, {"trainng"}});
  c.push_back({"ConfigUnknownModel",
               [](P d) { return with_config(d, "model:\n  name: gpt\n"); },
               1,
               {"model.name", "gpt", "helo"}});
  c.push_back({"ConfigWrongType",
               [](P d) { return with_config(d, "training:\n  batch_size: many\n"); },
               1,
               {"training.batch_size"}});
  c.push_back({"SetNegativeEpochs",
               [](P d) {
                 return with_config(d, "{}\n", {"--set", "training.epochs=-3"});
               },
               1,
               {"training.epochs"}});
  c.push_back({"SetWithoutEquals",
               [](P d) {
                 return with_config(d, "{}\n", {"--set", "training.epochs"});
               },
               1,
               {"--set", "key.path=value"}});
  c.push_back({"ModelOptionMisspelt",
               [](P d) { return with_config(d, "model:\n  name: helo\n  options:\n    d_modle: 64\n"); },
               1,
               {"d_modle"}});
  c.push_back({"ModelTooBigForMemory",
               [](P d) { return with_config(d, "model:\n  name: mlp_early\n  options:\n    hidden: 4000000000\n"); },
               1,
               {"model.options", "hidden"}});
  c.push_back({"UnknownDataFormat",
               [](P d) {
                 return train_on(d, d, {"--format", "hdf9"});
               },
               1,
               {"data.format", "hdf9", "meld"}});
  c.push_back({"SynthZeroSubjects",
               [](P d) {
                 return Args{"synth", "--out", (d / "out").string(), "--subjects", "0"};
               },
               1,
               {"subjects"}});
  c.push_back({"FeaturesZeroWindow",
               [](P d) {
                 return Args{"features", "--dataset",         "wesad", "--data", d.string(), "--window", "0",
                             "--out",    (d / "out").string()};
               },
               1,
               {"--window"}});
  c.push_back({"FeaturesStepBelowOneSample",
               [](P d) {
                 return Args{"features", "--dataset",         "wesad", "--data", d.string(), "--step", "1e-9",
                             "--out",    (d / "out").string()};
               },
               1,
               {"step", "sample"}});
  c.push_back({"DataPathMissing", [](P d) { return train_on(d / "nowhere", d); }, 1, {"nowhere", "not found"}});

  // ---- DMER .mat folders
  c.push_back({"DmerAccepts",
               [](P d) {
                 write_dmer(d / "dmer");
                 return info_on(d / "dmer");
               },
               0,
               {}});
  c.push_back({"DmerTruncatedLast8Bytes",
               [](P d) {
                 write_dmer(d / "dmer");
                 truncate_file(d / "dmer" / "S02.mat", 8);
                 return train_on(d / "dmer", d);
               },
               1,
               {"S02.mat"}});
  c.push_back({"DmerTruncatedLast100Bytes",
               [](P d) {
                 write_dmer(d / "dmer");
                 truncate_file(d / "dmer" / "S03.mat", 100);
                 return info_on(d / "dmer");
               },
               1,
               {"S03.mat"}});
  c.push_back({"DmerCutInHalf",
               [](P d) {
                 write_dmer(d / "dmer");
                 fs::resize_file(d / "dmer" / "S01.mat", fs::file_size(d / "dmer" / "S01.mat") / 2);
                 return info_on(d / "dmer");
               },
               1,
               {"S01.mat"}});
  c.push_back({"DmerEmptyFile",
               [](P d) {
                 write_dmer(d / "dmer");
                 write_text(d / "dmer" / "S02.mat", "");
                 return info_on(d / "dmer");
               },
               1,
               {"S02.mat"}});
  c.push_back({"DmerGarbageBytes",
               [](P d) {
                 write_dmer(d / "dmer");
                 write_text(d / "dmer" / "S02.mat", std::string(300, '\x7f'));
                 return info_on(d / "dmer");
               },
               1,
               {"S02.mat"}});
  c.push_back({"DmerDirectoryNamedMat",
               [](P d) {
                 write_dmer(d / "dmer");
                 fs::remove(d / "dmer" / "S03.mat");
                 fs::create_directories(d / "dmer" / "S03.mat");
                 return info_on(d / "dmer");
               },
               1,
               {"S03.mat"}});
  c.push_back({"DmerZeroRows",
               [](P d) {
                 write_dmer(d / "dmer");
                 write_dmer_subject(d / "dmer" / "S02.mat", torch::zeros({0, 913}, torch::kFloat64),
                                    torch::zeros({0, 1}, torch::kFloat64), torch::full({2, 10}, 0.1, torch::kFloat64));
                 return info_on(d / "dmer");
               },
               1,
               {"S02.mat"}});
  auto dmer_case = [&](const std::string& name, std::function<void(DmerSubject&)> breaker,
                       std::vector<std::string> message) {
    c.push_back({name,
                 [breaker](P d) {
                   write_dmer(d / "dmer");
                   auto s = valid_dmer_subject();
                   breaker(s);
                   write_dmer_subject(d / "dmer" / "S02.mat", s.feas, s.vids, s.dis_label);
                   return train_on(d / "dmer", d);
                 },
                 1, message});
  };
  dmer_case("DmerFeasWrongWidth", [](DmerSubject& s) { s.feas = s.feas.slice(1, 0, 900); }, {"S02.mat", "feas"});
  dmer_case("DmerFeasNaN", [](DmerSubject& s) { s.feas[1][7] = std::nan(""); }, {"S02.mat", "feas"});
  dmer_case("DmerVidsFractional", [](DmerSubject& s) { s.vids[0][0] = 1.5; }, {"S02.mat", "vids"});
  dmer_case("DmerVidsOutOfRange", [](DmerSubject& s) { s.vids[3][0] = 9; }, {"S02.mat", "vids"});
  dmer_case("DmerOneEmotion",
            [](DmerSubject& s) {
              s.dis_label = torch::ones({2, 1}, torch::kFloat64);
            },
            {"S02.mat", "dis_label"});
  dmer_case("DmerNegativeRating", [](DmerSubject& s) { s.dis_label[0][3] = -0.2; }, {"S02.mat", "dis_label"});
  c.push_back({"DmerEmptyFolder",
               [](P d) {
                 fs::create_directories(d / "dmer");
                 return train_on(d / "dmer", d, {"--format", "dmer"});
               },
               1,
               {"dmer", "no .mat"}});

  // ---- generic feature CSV + dataset.yaml
  c.push_back({"CsvAccepts",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 return info_on(d / "csv");
               },
               0,
               {}});
  auto csv_case = [&](const std::string& name, std::function<void(std::vector<CsvRow>&)> breaker,
                      std::vector<std::string> message, std::vector<std::string> not_in = {}) {
    c.push_back({name,
                 [breaker](P d) {
                   auto rows = valid_csv_rows();
                   breaker(rows);
                   write_csv_dataset(d / "csv", rows);
                   return train_on(d / "csv", d);
                 },
                 1,
                 message,
                 {"out"},
                 not_in});
  };
  csv_case("CsvNonNumeric", [](auto& r) { r[4].x1 = "abc"; }, {"features.csv", "line 6", "x_1"});
  csv_case("CsvNaN", [](auto& r) { r[2].x0 = "nan"; }, {"features.csv", "line 4", "x_0"});
  csv_case("CsvOverflowsFloat", [](auto& r) { r[2].x0 = "1e300"; }, {"features.csv", "line 4", "x_0"}, {"NaN or Inf"});
  csv_case("CsvUnknownLabel", [](auto& r) { r[3].label = "c"; }, {"features.csv", "line 5", "label"});
  csv_case("CsvFractionalTrial", [](auto& r) { r[0].trial = "1.5"; }, {"features.csv", "line 2", "trial"});
  csv_case("CsvMissingSubject", [](auto& r) { r[5].subject = ""; }, {"features.csv", "line 7", "subject"});
  c.push_back({"CsvShortRow",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 replace_in_file(d / "csv" / "features.csv", "P1,1,a,", "P1,1,");
                 return train_on(d / "csv", d);
               },
               1,
               {"features.csv", "line 2", "columns"}});
  c.push_back({"CsvHeaderOnly",
               [](P d) {
                 write_csv_dataset(d / "csv", {});
                 return train_on(d / "csv", d);
               },
               1,
               {"features.csv", "no data rows"}});
  c.push_back({"CsvMissingFile",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 fs::remove(d / "csv" / "features.csv");
                 return train_on(d / "csv", d);
               },
               1,
               {"features.csv"}});
  c.push_back({"CsvSpecUnknownKey",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows(), std::string(kCsvSpec) + "colour: blue\n");
                 return train_on(d / "csv", d);
               },
               1,
               {"colour"}});
  c.push_back({"CsvSpecModalityWithoutColumns",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows(),
                                   std::string(kCsvSpec) + "  - {name: y, role: behavioural, prefix: \"y_\"}\n");
                 return train_on(d / "csv", d);
               },
               1,
               {"features.csv", "y_"}});
  c.push_back({"CsvSpecBadRole",
               [](P d) {
                 auto spec = std::string(kCsvSpec);
                 write_csv_dataset(d / "csv", valid_csv_rows(),
                                   spec.replace(spec.find("physiological"), 13, "psychic"));
                 return train_on(d / "csv", d);
               },
               1,
               {"psychic"}});
  c.push_back({"CsvDistributionNotSummingToOne",
               [](P d) {
                 write_text(d / "csv" / "features.csv", "subject,p_a,p_b,x_0\nA,0.5,0.6,1\nB,0.5,0.5,2\nC,0.2,0.8,3\n");
                 write_text(d / "csv" / "dataset.yaml",
                            "format: csv\npath: features.csv\nsubject_column: subject\n"
                            "distribution_columns: [p_a, p_b]\nclasses: [a, b]\n"
                            "modalities:\n  - {name: x, role: physiological, prefix: \"x_\"}\n");
                 return train_on(d / "csv", d);
               },
               1,
               {"features.csv", "row", "sum"}});
  c.push_back({"CsvOneClassDistribution",
               [](P d) {
                 write_text(d / "csv" / "features.csv", "subject,p_a,x_0\nA,1,1\nB,1,2\nC,1,3\n");
                 write_text(d / "csv" / "dataset.yaml",
                            "format: csv\npath: features.csv\nsubject_column: subject\n"
                            "distribution_columns: [p_a]\nclasses: [a]\n"
                            "modalities:\n  - {name: x, role: physiological, prefix: \"x_\"}\n");
                 return train_on(d / "csv", d);
               },
               1,
               {"class"}});

  // ---- WESAD window features
  c.push_back({"WesadAccepts",
               [](P d) {
                 write_wesad(d / "wesad.csv", valid_wesad_rows());
                 return info_on(d / "wesad.csv", {"--format", "wesad_features"});
               },
               0,
               {}});
  auto wesad_case = [&](const std::string& name, std::function<void(std::vector<std::vector<std::string>>&)> breaker,
                        std::vector<std::string> message) {
    c.push_back({name,
                 [breaker](P d) {
                   auto rows = valid_wesad_rows();
                   breaker(rows);
                   write_wesad(d / "wesad.csv", rows);
                   return train_on(d / "wesad.csv", d, {"--format", "wesad_features"});
                 },
                 1, message});
  };
  wesad_case("WesadLabelOutOfRange", [](auto& r) { r[5][48] = "3"; }, {"wesad.csv", "line 7", "label"});
  wesad_case("WesadLabelFractional", [](auto& r) { r[5][48] = "1.5"; }, {"wesad.csv", "line 7", "label"});
  wesad_case("WesadSubjectFractional", [](auto& r) { r[2][47] = "2.5"; }, {"wesad.csv", "line 4", "subject"});
  wesad_case("WesadFeatureNotNumber", [](auto& r) { r[1][6] = "x"; }, {"wesad.csv", "line 3", "EDA_phasic_std"});
  c.push_back({"WesadMissingColumn",
               [](P d) {
                 auto rows = valid_wesad_rows();
                 for (auto& row : rows) row.pop_back();
                 std::string header = kWesadHeader;
                 write_wesad(d / "wesad.csv", rows, header.substr(0, header.rfind(',')));
                 return train_on(d / "wesad.csv", d, {"--format", "wesad_features"});
               },
               1,
               {"wesad.csv", "label"}});

  // ---- DEAP EEG features
  c.push_back({"DeapAccepts",
               [](P d) {
                 write_deap(d / "deap", valid_deap_rows());
                 return info_on(d / "deap");
               },
               0,
               {}});
  auto deap_case = [&](const std::string& name, std::function<void(DeapRows&)> breaker,
                       std::vector<std::string> message) {
    c.push_back({name,
                 [breaker](P d) {
                   auto rows = valid_deap_rows();
                   breaker(rows);
                   write_deap(d / "deap", rows);
                   return train_on(d / "deap", d);
                 },
                 1, message});
  };
  deap_case("DeapSubjectZero", [](DeapRows& r) { r.subject_video[4] = "0\t1"; }, {"subject_video.txt", "line 5"});
  deap_case("DeapSubject99", [](DeapRows& r) { r.subject_video[4] = "99\t1"; }, {"subject_video.txt", "line 5"});
  deap_case("DeapSubjectNegative", [](DeapRows& r) { r.subject_video[4] = "-5\t1"; }, {"subject_video.txt", "line 5"});
  deap_case("DeapSubjectFractional", [](DeapRows& r) { r.subject_video[2] = "1.5\t3"; },
            {"subject_video.txt", "line 3"});
  deap_case("DeapLabelThree", [](DeapRows& r) { r.labels[6] = "3\t1"; }, {"valence_arousal_label.txt", "line 7"});
  deap_case("DeapRowCountMismatch", [](DeapRows& r) { r.labels.pop_back(); }, {"valence_arousal_label.txt"});
  deap_case("DeapEegShortRow", [](DeapRows& r) { r.eeg[3] = r.eeg[3].substr(0, r.eeg[3].rfind('\t')); },
            {"EEG_feature.txt", "line 4"});
  deap_case("DeapEegNaN", [](DeapRows& r) { r.eeg[1] = "nan" + r.eeg[1].substr(r.eeg[1].find('\t')); },
            {"EEG_feature.txt", "line 2"});

  // ---- LDL benchmark .mat
  c.push_back({"LdlAccepts",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), valid_ldl_labels());
                 return info_on(ldl_path(d));
               },
               0,
               {}});
  c.push_back({"LdlTruncated",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), valid_ldl_labels());
                 truncate_file(ldl_path(d), 8);
                 return ldl_bench(d);
               },
               1,
               {"set.mat"}});
  c.push_back({"LdlLabelsMissing",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), valid_ldl_labels(), "distributions");
                 return ldl_bench(d);
               },
               1,
               {"set.mat", "labels", "distributions"},
               {"out"},
               {"truncated"}});
  c.push_back({"LdlOneLabel",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), torch::ones({12, 1}, torch::kFloat64));
                 return ldl_bench(d);
               },
               1,
               {"set.mat", "labels"}});
  c.push_back({"LdlRowsNotSummingToOne",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), valid_ldl_labels() * 1.3);
                 return ldl_bench(d);
               },
               1,
               {"set.mat", "labels", "row"}});
  c.push_back({"LdlRowsNotSummingToOneRenormalised",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features(), valid_ldl_labels() * 1.3);
                 return info_on(ldl_path(d), {"--set", "data.renormalise=true"});
               },
               0,
               {}});
  c.push_back({"LdlFeatureRowsMismatch",
               [](P d) {
                 write_ldl(ldl_path(d), valid_ldl_features().slice(0, 0, 10), valid_ldl_labels());
                 return ldl_bench(d);
               },
               1,
               {"set.mat", "labels"}});

  // ---- MELD / EmoryNLP CSV, .npy / .pt features, WAV
  c.push_back({"MeldAccepts",
               [](P d) {
                 write_meld(d / "meld");
                 return meld_info(d);
               },
               0,
               {}});
  c.push_back({"MeldUnknownEmotion",
               [](P d) {
                 write_meld(d / "meld", "ecstasy");
                 return meld_info(d);
               },
               1,
               {"train_sent_emo.csv", "ecstasy"}});
  c.push_back({"MeldMissingColumn",
               [](P d) {
                 write_meld(d / "meld");
                 replace_in_file(d / "meld" / "dev_sent_emo.csv", "Emotion,", "Feeling,");
                 return meld_info(d);
               },
               1,
               {"dev_sent_emo.csv", "Emotion"}});
  c.push_back({"MeldUtteranceIdNotNumber",
               [](P d) {
                 write_meld(d / "meld");
                 replace_in_file(d / "meld" / "test_sent_emo.csv", ",neutral,0,1,1,1,a,b", ",neutral,0,x,1,1,a,b");
                 return meld_info(d);
               },
               1,
               {"test_sent_emo.csv", "Utterance_ID"}});
  c.push_back({"NpyTruncated",
               [](P d) {
                 write_meld(d / "meld");
                 for (const char* split : {"train", "dev", "test"}) {
                   std::string bytes = npy_bytes(7, 4);
                   if (std::string(split) == "dev") bytes.resize(bytes.size() - 5);
                   write_text(d / "feats" / (std::string(split) + ".npy"), bytes);
                 }
                 return meld_info(d, {"--set", "data.text_features=" + (d / "feats").string()});
               },
               1,
               {"dev.npy"}});
  c.push_back({"NpyWrongRows",
               [](P d) {
                 write_meld(d / "meld");
                 for (const char* split : {"train", "dev", "test"}) {
                   write_text(d / "feats" / (std::string(split) + ".npy"),
                              npy_bytes(std::string(split) == "test" ? 6 : 7, 4));
                 }
                 return meld_info(d, {"--set", "data.text_features=" + (d / "feats").string()});
               },
               1,
               {"test.npy"}});
  c.push_back({"PtGarbage",
               [](P d) {
                 write_meld(d / "meld");
                 for (const char* split : {"train", "dev", "test"}) {
                   write_text(d / "feats" / (std::string(split) + ".pt"), "PK\x03\x04 not a zip archive at all");
                 }
                 return meld_info(d, {"--set", "data.audio_features=" + (d / "feats").string()});
               },
               1,
               {".pt"}});
  c.push_back({"WavTruncated",
               [](P d) {
                 write_meld(d / "meld");
                 write_text(d / "audio" / "train" / "dia0_utt0.wav", truncated_wav_bytes());
                 return meld_info(d, {"--set", "data.audio_dir=" + (d / "audio").string()});
               },
               1,
               {"dia0_utt0.wav"}});

  // ---- model bundles (eval / predict)
  c.push_back({"BundleAccepts", [](P d) { return eval_of(shared().bundle, d); }, 0, {}, {}});
  c.push_back({"BundleMissing", [](P d) { return eval_of(d / "no_model", d); }, 1, {"no_model"}});
  c.push_back({"BundleWithoutModelYaml",
               [](P d) {
                 copy_bundle(d / "model");
                 fs::remove(d / "model" / "model.yaml");
                 return eval_of(d / "model", d);
               },
               1,
               {"model.yaml"}});
  c.push_back({"BundleModelYamlGarbage",
               [](P d) {
                 copy_bundle(d / "model");
                 write_text(d / "model" / "model.yaml", "model_name: [unclosed\n");
                 return eval_of(d / "model", d);
               },
               1,
               {"model.yaml"}});
  c.push_back({"BundleWeightsTruncated",
               [](P d) {
                 copy_bundle(d / "model");
                 truncate_file(d / "model" / "weights.pt", 64);
                 return eval_of(d / "model", d);
               },
               1,
               {"weights.pt"}});
  c.push_back({"BundleWeightsOneByteChanged",
               [](P d) {
                 copy_bundle(d / "model");
                 auto bytes = read_file((d / "model" / "weights.pt").string());
                 bytes[bytes.size() / 2] ^= 0x20;  // same size: only the digest tells
                 write_file((d / "model" / "weights.pt").string(), bytes);
                 return eval_of(d / "model", d);
               },
               1,
               {"weights.pt", "digest", "model.yaml records"}});
  c.push_back({"BundleWithoutDigestsAccepts",  // written before model.yaml listed its files
               [](P d) {
                 copy_bundle(d / "model");
                 auto yaml = read_file((d / "model" / "model.yaml").string());
                 const auto files = yaml.find("\nfiles:");
                 EXPECT_NE(files, std::string::npos);
                 write_file((d / "model" / "model.yaml").string(), yaml.substr(0, files + 1));
                 return eval_of(d / "model", d);
               },
               0,
               {},
               {}});
  c.push_back({"BundleStandardizerMissing",
               [](P d) {
                 copy_bundle(d / "model");
                 fs::remove(d / "model" / "standardizer.pt");
                 return eval_of(d / "model", d);
               },
               1,
               {"standardizer.pt"}});
  c.push_back(
      {"BundleOnOtherData",
       [](P d) {
         write_deap(d / "deap", valid_deap_rows());
         return Args{
             "eval", "-m", shared().bundle.string(), "--data", (d / "deap").string(), "--out", (d / "out").string()};
       },
       1,
       {"x"}});
  c.push_back({"PredictTextWithFeatureModel",
               [](P d) {
                 write_text(d / "lines.txt", "hello\n");
                 return Args{
                     "predict",           "-m", shared().bundle.string(), "--text", (d / "lines.txt").string(), "-o",
                     (d / "out").string()};
               },
               1,
               {"model.yaml"}});

  // ---- run folders
  c.push_back({"TrainIntoExistingRunWithoutResume",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 fs::create_directories(d / "out");
                 write_text(d / "out" / "metrics.json", "{}\n");
                 return train_on(d / "csv", d);
               },
               1,
               {"out", "--resume", "--overwrite"},
               {}});
  c.push_back({"ResumeForeignFolder",
               [](P d) {
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 fs::create_directories(d / "out" / "folds");
                 write_text(d / "out" / "notes.txt", "not a run\n");
                 return train_on(d / "csv", d, {"--resume"});
               },
               1,
               {"out"},
               {}});
  c.push_back({"ResumeWithAnotherSeed",
               [](P d) {
                 fs::copy(shared().run, d / "out", fs::copy_options::recursive);
                 write_csv_dataset(d / "csv", valid_csv_rows());
                 return train_on(d / "csv", d, {"--resume", "--set", "seed=5", "--set", "protocol.max_folds=1"});
               },
               1,
               {"seed"},
               {}});
  c.push_back({"ResumeOnOtherData",
               [](P d) {
                 fs::copy(shared().run, d / "out", fs::copy_options::recursive);
                 auto rows = valid_csv_rows();
                 rows[0].x0 = "7.5";
                 write_csv_dataset(d / "csv", rows);
                 return train_on(d / "csv", d, {"--resume", "--set", "protocol.max_folds=1"});
               },
               1,
               {"data"},
               {}});

  // ---- raw recordings (`features --dataset csv`)
  c.push_back({"RawRecordingNaN",
               [](P d) { return raw_recording_features(d, 700); },
               1,
               {"rec.csv", "eda"},
               {"out"},
               {"no labelled window"}});
  c.push_back({"RawRecordingStepBelowOneSample",
               [](P d) {
                 return raw_recording_features(d, -1, {"--step", "1e-9"});
               },
               1,
               {"step_s", "sample", "64"}});
  return c;
}

// gtest prints a failing parameter with this (not as raw bytes).
void PrintTo(const BadInputCase& c, std::ostream* os) {
  *os << c.name;
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, ExitCodeMessageAndNothingLeftBehind) {
  const auto& tc = GetParam();
  ASSERT_FALSE(emofuse::testutil::cli_path().empty()) << "built without EMOFUSE_CLI_PATH";
  TempDir work;
  const fs::path dir(work.path());
  torch::manual_seed(1);
  const auto args = tc.prepare(dir);
  const ProcessResult r = run_cli(args, 120);
  std::string command = "emofuse";
  for (const auto& a : args) command += " " + a;
  SCOPED_TRACE(command + "\n--- stderr:\n" + r.err);
  ASSERT_FALSE(r.timed_out) << "did not end within 120 s";
  EXPECT_EQ(r.exit_code, tc.exit_code);
  if (tc.exit_code != 0) {
    // One error line in the documented form, and no crash report.
    EXPECT_NE(r.err.find("emofuse: error: "), std::string::npos);
    for (const char* crash : {"terminate called", "Segmentation", "AddressSanitizer", "runtime error:"}) {
      EXPECT_EQ(r.err.find(crash), std::string::npos) << crash;
    }
    auto substitute = [&](std::string s) {
      const auto at = s.find("{dir}");
      if (at != std::string::npos) s.replace(at, 5, dir.string());
      return s;
    };
    for (const auto& part : tc.message)
      EXPECT_NE(r.err.find(substitute(part)), std::string::npos) << "message lacks '" << part << "'";
    for (const auto& part : tc.not_in_message)
      EXPECT_EQ(r.err.find(part), std::string::npos) << "message holds '" << part << "'";
    for (const auto& path : tc.absent) EXPECT_FALSE(fs::exists(dir / path)) << path << " was left behind";
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<BadInputCase>& info) { return info.param.name; });

TEST(BadInputCorpus, HasAtLeastSixtyRejections) {
  int rejections = 0;
  for (const auto& c : all_cases()) rejections += c.exit_code != 0;
  EXPECT_GE(rejections, 60);
}

}  // namespace
