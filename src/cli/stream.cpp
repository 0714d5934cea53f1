// `emofuse stream`: a saved model on live samples (one JSON line per hop), and `emofuse replay`,
// which plays a recorded WESAD-layout subject as such samples. Protocol: docs/streaming.md.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/window_predictor.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "signal/live_features.h"
#include "signal/stats.h"
#include "signal/wesad_features.h"

namespace fs = std::filesystem;

namespace emofuse::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ------------------------------------------------------------------------------------ input

// Lines from a file descriptor (a file, stdin or a TCP connection), read with a timeout so that
// the caller can watch for stalls between lines.
class LineInput {
 public:
  enum class Status { kLine, kTimeout, kEnd };

  // `spec`: "-" (stdin), "tcp://HOST:PORT" (connect, or listen for one connection when `listen`)
  // or a file path. Throws Error naming `spec` when it cannot be opened.
  LineInput(const std::string& spec, bool listen) : name_(spec) {
    if (spec == "-") {
      if (listen) throw OptionError("--listen", "needs --input tcp://HOST:PORT");
      fd_ = 0;
      return;
    }
    if (spec.rfind("tcp://", 0) == 0) {
      fd_ = listen ? accept_one(spec) : connect_to(spec);
      owned_ = true;
      return;
    }
    if (listen) throw OptionError("--listen", "needs --input tcp://HOST:PORT");
    fd_ = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw DataError(spec, "", std::string("cannot open: ") + std::strerror(errno));
    owned_ = true;
  }
  ~LineInput() {
    if (owned_ && fd_ >= 0) ::close(fd_);
    if (listener_ >= 0) ::close(listener_);
  }
  LineInput(const LineInput&) = delete;
  LineInput& operator=(const LineInput&) = delete;

  const std::string& name() const { return name_; }

  // The next line (without its end) into `line`, waiting at most `timeout_ms` for more bytes. A
  // line longer than kMaxLine is returned cut, with `too_long` set.
  Status next(std::string& line, int timeout_ms, bool& too_long) {
    for (;;) {
      const auto end = buffer_.find('\n', pos_);
      if (end != std::string::npos || (eof_ && pos_ < buffer_.size()) || buffer_.size() - pos_ > kMaxLine) {
        const std::size_t stop = end != std::string::npos ? end : buffer_.size();
        too_long = stop - pos_ > kMaxLine;
        line.assign(buffer_, pos_, std::min(stop - pos_, kMaxLine));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (too_long && end == std::string::npos) {
          skipping_ = true;  // drop the rest of this line as it arrives
          pos_ = buffer_.size();
        } else {
          pos_ = stop + 1;
        }
        compact();
        return Status::kLine;
      }
      if (eof_) return Status::kEnd;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) throw Error(name_ + ": poll failed: " + std::strerror(errno));
      if (ready == 0) return Status::kTimeout;
      char chunk[65536];
      const ssize_t got = ::read(fd_, chunk, sizeof(chunk));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got < 0) throw Error(name_ + ": read failed: " + std::strerror(errno));
      if (got == 0) {
        eof_ = true;
        continue;
      }
      std::size_t from = 0;
      if (skipping_) {
        const char* nl = static_cast<const char*>(std::memchr(chunk, '\n', static_cast<std::size_t>(got)));
        if (nl == nullptr) continue;
        from = static_cast<std::size_t>(nl - chunk) + 1;
        skipping_ = false;
      }
      buffer_.append(chunk + from, static_cast<std::size_t>(got) - from);
    }
  }

 private:
  static constexpr std::size_t kMaxLine = 1 << 16;

  void compact() {
    if (pos_ > (1u << 20) || pos_ == buffer_.size()) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
  }

  static std::pair<std::string, std::string> host_port(const std::string& spec) {
    const std::string rest = spec.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      throw OptionError("--input", "expected tcp://HOST:PORT, got '" + spec + "'");
    }
    return {rest.substr(0, colon), rest.substr(colon + 1)};
  }

  static addrinfo* resolve(const std::string& spec, bool passive) {
    const auto [host, port] = host_port(spec);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (passive) hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) throw Error(spec + ": cannot resolve: " + ::gai_strerror(rc));
    return found;
  }

  static int connect_to(const std::string& spec) {
    addrinfo* found = resolve(spec, false);
    int fd = -1;
    int error = 0;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
      fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        error = errno;
        ::close(fd);
        fd = -1;
      }
    }
    ::freeaddrinfo(found);
    if (fd < 0) throw Error(spec + ": cannot connect: " + std::strerror(error));
    return fd;
  }

  int accept_one(const std::string& spec) {
    addrinfo* found = resolve(spec, true);
    int error = 0;
    for (addrinfo* a = found; a != nullptr && listener_ < 0; a = a->ai_next) {
      listener_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (listener_ < 0) continue;
      const int yes = 1;
      ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      if (::bind(listener_, a->ai_addr, a->ai_addrlen) != 0 || ::listen(listener_, 1) != 0) {
        error = errno;
        ::close(listener_);
        listener_ = -1;
      }
    }
    ::freeaddrinfo(found);
    if (listener_ < 0) throw Error(spec + ": cannot listen: " + std::strerror(error));
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    const int port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                                 : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::cerr << "emofuse stream: listening on " << host_port(spec).first << ":" << port << "\n" << std::flush;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) throw Error(spec + ": accept failed: " + std::strerror(errno));
    return fd;
  }

  std::string name_;
  int fd_ = -1;
  int listener_ = -1;
  bool owned_ = false;
  bool eof_ = false;
  bool skipping_ = false;
  std::string buffer_;
  std::size_t pos_ = 0;
};

// ------------------------------------------------------------------------------------ stream

struct StreamArgs {
  std::string model, input = "-", out, on_malformed = "skip";
  bool listen = false;
  double max_gap = 0.5, max_lag = 10, stall_timeout = 10;
  int threads = 1;
};

void run_stream(const StreamArgs& a) {
  set_thread_count(a.threads);
  cli::WindowPredictor predictor(a.model);
  signal::LiveTolerances tolerances;
  tolerances.max_gap_s = a.max_gap;
  tolerances.max_lag_s = a.max_lag;
  signal::LiveFeatureExtractor extractor(predictor.pipeline(), tolerances);
  const auto& streams = predictor.pipeline().streams;

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out_file(nullptr, &std::fclose);
  if (!a.out.empty()) {
    out_file.reset(std::fopen(a.out.c_str(), "w"));
    if (!out_file) throw Error(a.out + ": cannot open for writing: " + std::strerror(errno));
    out = out_file.get();
  }
  LineInput input(a.input, a.listen);
  std::cerr << "emofuse stream: " << predictor.model_name() << " on " << streams.size() << " streams, window "
            << predictor.pipeline().window_s << " s every " << predictor.pipeline().hop_s << " s, from " << input.name()
            << "\n";

  const auto started = Clock::now();
  std::vector<Clock::time_point> last_sample(streams.size(), started);
  std::vector<bool> marked(streams.size(), false);
  Clock::time_point last_line = started, line_read = started;
  std::int64_t line_number = 0, malformed = 0, valid = 0, invalid = 0;
  std::vector<double> latencies_ms;
  constexpr std::size_t kLatencySamples = 1 << 20;  // keep memory bounded on long runs

  auto emit = [&] {
    auto windows = extractor.take_windows();
    for (const auto& name : extractor.take_stall_notices()) {
      std::cerr << "emofuse stream: " << name << " is more than " << a.max_lag
                << " s behind the other streams: its windows are reported invalid until it catches up\n";
    }
    if (windows.empty()) return;
    std::vector<const std::vector<double>*> rows;
    for (const auto& w : windows) {
      if (w.valid) rows.push_back(&w.features);
    }
    torch::Tensor predictions;
    if (!rows.empty()) predictions = predictor.predict(rows).to(torch::kDouble).contiguous();
    std::int64_t r = 0;
    std::string text;
    for (const auto& w : windows) {
      nlohmann::ordered_json j;
      j["end_s"] = w.end_s;
      j["valid"] = w.valid;
      if (w.valid) {
        const double* p = predictions.data_ptr<double>() + r * predictions.size(1);
        nlohmann::ordered_json distribution;
        std::size_t top = 0;
        for (std::size_t c = 0; c < predictor.class_names().size(); ++c) {
          distribution[predictor.class_names()[c]] = p[c];
          if (p[c] > p[top]) top = c;
        }
        j["distribution"] = distribution;
        j["top"] = predictor.class_names()[top];
        ++r;
        ++valid;
      } else {
        j["reason"] = w.reason;
        ++invalid;
      }
      const double latency = seconds_since(line_read) * 1e3;
      j["latency_ms"] = std::round(latency * 1e3) / 1e3;
      if (latencies_ms.size() < kLatencySamples) latencies_ms.push_back(latency);
      text += j.dump() + "\n";
    }
    std::fputs(text.c_str(), out);
    std::fflush(out);
  };

  for (;;) {
    std::string line;
    bool too_long = false;
    const auto status = input.next(line, 100, too_long);
    if (status == LineInput::Status::kEnd) break;
    if (status == LineInput::Status::kLine) {
      ++line_number;
      line_read = last_line = Clock::now();
      if (line.empty() || line[0] == '#') continue;
      signal::LiveSample parsed;
      if (too_long) {
        parsed.error = "longer than 65536 characters";
      } else {
        parsed = signal::parse_live_sample(line, extractor.pipeline());
      }
      if (!parsed.error.empty()) {
        ++malformed;
        if (a.on_malformed == "fail")
          throw DataError(input.name(), "line " + std::to_string(line_number), parsed.error);
        if (malformed <= 20) {
          std::cerr << "emofuse stream: " << input.name() << ": line " << line_number << ": " << parsed.error
                    << " (skipped" << (malformed == 20 ? "; further malformed lines are counted, not shown" : "")
                    << ")\n";
        }
        continue;
      }
      const auto s = static_cast<std::size_t>(parsed.stream);
      last_sample[s] = line_read;
      marked[s] = false;
      extractor.push(s, parsed.timestamp, parsed.values);
    }
    // Stalls, by the wall clock: one stream silent while others go on, or the whole input.
    for (std::size_t s = 0; s < streams.size(); ++s) {
      if (!marked[s] && seconds_since(last_sample[s]) > a.stall_timeout &&
          seconds_since(last_line) <= a.stall_timeout) {
        marked[s] = true;
        std::cerr << "emofuse stream: " << streams[s].name << " stalled: no sample for " << a.stall_timeout
                  << " s; its windows are reported invalid until it resumes\n";
        extractor.mark_stalled(s);
      }
    }
    emit();
    if (seconds_since(last_line) > a.stall_timeout) {
      extractor.finish();
      emit();
      throw Error(input.name() + ": input stalled: no line for " + std::to_string(a.stall_timeout) +
                  " s (--stall-timeout)");
    }
  }
  extractor.finish();
  emit();
  char latency[96];
  std::snprintf(latency, sizeof(latency), "latency p50 %.3f ms, p99 %.3f ms",
                signal::vector_quantile(latencies_ms, 0.5), signal::vector_quantile(latencies_ms, 0.99));
  std::cerr << "emofuse stream: " << line_number << " lines, " << valid + invalid << " windows (" << valid << " valid, "
            << invalid << " invalid), " << malformed << " malformed line(s) skipped; " << latency << "\n";
}

// ------------------------------------------------------------------------------------ replay

void run_replay(const std::string& root, const std::string& subject, double speed) {
  const auto recording = signal::read_wesad_wrist_recording((fs::path(root) / subject).string(), subject);
  const auto pipeline = signal::wesad_wrist_pipeline(60, 1, 60);
  // Every sample once, in time order (ties in stream order), as one merged sequence.
  std::vector<std::size_t> next(recording.size(), 0);
  auto time_of = [&](std::size_t s) {
    return recording[s].start_s + static_cast<double>(next[s]) / pipeline.streams[s].sampling_rate;
  };
  const auto started = Clock::now();
  double flushed_at = -1;
  std::string text;
  for (;;) {
    std::size_t best = recording.size();
    for (std::size_t s = 0; s < recording.size(); ++s) {
      if (next[s] < recording[s].channels[0].size() && (best == recording.size() || time_of(s) < time_of(best))) {
        best = s;
      }
    }
    if (best == recording.size()) break;
    const double t = time_of(best);
    if (t - flushed_at >= 0.05) {  // write in blocks of 50 ms of signal
      if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
        throw Error("replay: write failed (the reader closed?)");
      }
      std::fflush(stdout);
      text.clear();
      flushed_at = t;
      if (speed > 0) std::this_thread::sleep_until(started + std::chrono::duration<double>(t / speed));
    }
    text += short_double_text(t);
    text += ',';
    text += pipeline.streams[best].name;
    for (const auto& channel : recording[best].channels) {
      text += ',';
      text += short_double_text(channel[next[best]]);
    }
    text += '\n';
    ++next[best];
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void register_stream_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("stream",
                                 "Emotion distributions from live samples: one JSON line per hop (docs/streaming.md)");
  auto a = std::make_shared<StreamArgs>();
  cmd->add_option("--model,-m", a->model, "Model bundle trained on `emofuse features --causal` output")->required();
  cmd->add_option("--input", a->input, "'-' (stdin), a file, or tcp://HOST:PORT (connect; --listen to accept one)")
      ->capture_default_str();
  cmd->add_flag("--listen", a->listen, "tcp: listen on HOST:PORT and read the first connection (port 0: any free)");
  cmd->add_option("--out,-o", a->out, "Write the JSON lines here instead of stdout");
  cmd->add_option("--max-gap", a->max_gap, "Seconds a sample may be off its expected time before a gap is declared")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-lag", a->max_lag, "Seconds a stream may fall behind the others before it counts as stalled")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--stall-timeout", a->stall_timeout,
                  "Wall-clock seconds without a sample: a stream is stalled, the whole input ends with an error")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--on-malformed", a->on_malformed, "skip (report the line number and go on) or fail")
      ->check(CLI::IsMember({"skip", "fail"}))
      ->capture_default_str();
  add_threads_option(cmd, a->threads);
  cmd->callback([a] { run_stream(*a); });
}

void register_replay_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "replay", "Play a WESAD-layout subject's wrist recording as `emofuse stream` input lines on stdout");
  auto root = std::make_shared<std::string>();
  auto subject = std::make_shared<std::string>();
  auto speed = std::make_shared<double>(0.0);
  cmd->add_option("--data", *root, "WESAD-layout root folder (S2/, S3/, ...), e.g. from `emofuse synth --raw`")
      ->required();
  cmd->add_option("--subject", *subject, "Subject folder to play (default: the first)");
  cmd->add_option("--speed", *speed, "Times real time (1 = real time; 0 = as fast as the reader takes it)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([root, subject, speed] {
    const std::string id = subject->empty() ? signal::wesad_subject_folders(*root, {}).front() : *subject;
    run_replay(*root, id, *speed);
  });
}

}  // namespace emofuse::cli
