#include "python/long_call.h"

#include <cctype>
#include <iostream>
#include <string>

#include "core/runtime.h"

namespace emofuse::python {
namespace {

// A stream buffer that hands every complete line to logging.getLogger("emofuse"), taking the
// GIL for each line (the library writes from the calling thread only).
class LoggingLines : public std::streambuf {
 public:
  ~LoggingLines() override { emit_rest(); }

  void emit_rest() {
    if (!line_.empty()) emit();
  }

 protected:
  // A terminal progress bar (the trainer's, when stderr is a terminal) redraws one line with '\r'
  // and clears it with ESC [ K: a carriage return drops the partial line, escape sequences are
  // skipped, so that only finished lines become log records.
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const char ch = static_cast<char>(c);
    if (in_escape_) {
      in_escape_ = !(std::isalpha(static_cast<unsigned char>(ch)) != 0);
    } else if (ch == '\033') {
      in_escape_ = true;
    } else if (ch == '\r') {
      line_.clear();
    } else if (ch == '\n') {
      emit();
    } else {
      line_.push_back(ch);
    }
    return c;
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) overflow(static_cast<unsigned char>(s[i]));
    return n;
  }

 private:
  void emit() {
    std::string line;
    line.swap(line_);
    if (line.empty()) return;
    py::gil_scoped_acquire gil;
    try {
      const bool warning = line.find("warning") != std::string::npos;
      auto logger = py::module_::import("logging").attr("getLogger")("emofuse");
      logger.attr(warning ? "warning" : "info")(line);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("emofuse log line");
    }
  }

  std::string line_;
  bool in_escape_ = false;
};

}  // namespace

LongCall::LongCall() : log_lines_(std::make_unique<LoggingLines>()) {
  previous_cerr_ = std::cerr.rdbuf(log_lines_.get());
  set_interrupt_check([] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw PythonInterrupt(py::error_already_set());  // after Ctrl-C
  });
  released_.emplace();
}

LongCall::~LongCall() {
  released_.reset();  // the GIL again
  set_interrupt_check({});
  std::cerr.flush();
  static_cast<LoggingLines*>(log_lines_.get())->emit_rest();
  std::cerr.rdbuf(previous_cerr_);
}

}  // namespace emofuse::python
