// What a Python user expects while emofuse computes for them (LongCall, one per bound call that
// can take long: train, fit, predict, data loading, the OT solvers):
//   - the GIL is released, so other Python threads keep running;
//   - what the library writes to std::cerr (progress lines, notes, warnings) reaches Python's
//     `logging`, logger "emofuse", one record per line (WARNING for lines that say "warning",
//     INFO otherwise), instead of the process's stderr;
//   - Ctrl-C stops it: the trainer calls check_interrupt() before every batch, which here asks
//     Python whether a signal arrived and raises its KeyboardInterrupt. A run folder is left as
//     an interrupted CLI run leaves it: `resume` continues from the last checkpoint.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <streambuf>
#include <utility>

#include "core/error.h"

namespace emofuse::python {

namespace py = pybind11;

/// What check_interrupt() throws after Ctrl-C: emofuse's Interrupted (so that a run folder is
/// kept for resume) carrying Python's own exception (KeyboardInterrupt, or what a handler the
/// user installed raised), which the module's exception translator gives back to Python.
struct PythonInterrupt : Interrupted {
  explicit PythonInterrupt(py::error_already_set raised) : error(std::move(raised)) {}
  py::error_already_set error;
};

class LongCall {
 public:
  /// Call with the GIL held; it is released until the destructor.
  LongCall();
  ~LongCall();
  LongCall(const LongCall&) = delete;
  LongCall& operator=(const LongCall&) = delete;

 private:
  std::unique_ptr<std::streambuf> log_lines_;
  std::streambuf* previous_cerr_ = nullptr;
  std::optional<py::gil_scoped_release> released_;
};

}  // namespace emofuse::python
