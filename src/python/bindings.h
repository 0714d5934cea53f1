// The parts of the `_emofuse` extension module, one function per source file.
#pragma once

#include <pybind11/pybind11.h>

namespace emofuse::python {

namespace py = pybind11;

void bind_errors(py::module_& m);  // module.cpp: emofuse.Error, DataError, OptionError
void bind_signal(py::module_& m);  // signal.cpp: _emofuse.signal
void bind_models(py::module_& m);  // models.cpp: data loading, train, Model (fit, predict, save, load)

}  // namespace emofuse::python
