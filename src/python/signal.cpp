// _emofuse.signal: the signal library (signal/) with NeuroKit2's names and return shapes:
// `<signal>_process(x, sampling_rate)` returns (signals, info), signals a dict of arrays as long
// as the input ("EDA_Clean", "EDA_Tonic", ...), info a dict of event indices ("SCR_Peaks", ...);
// `<signal>_features(x, sampling_rate)` returns the window features of the whole input as a dict
// with the names `emofuse features` writes (docs/signals.md).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "python/bindings.h"
#include "signal/ecg.h"
#include "signal/eda.h"
#include "signal/filter.h"
#include "signal/hrv.h"
#include "signal/ppg.h"
#include "signal/rsp_temp_acc.h"
#include "signal/simulate.h"
#include "signal/spectrum.h"
#include "signal/wesad_features.h"
#include "signal/windows.h"

namespace emofuse::python {
namespace {

using Samples = std::vector<double>;

// A 1-D signal of at least `min_samples` numbers, and a positive sampling rate.
Samples samples_of(const py::handle& x, double sampling_rate, const std::string& name, std::size_t min_samples = 2) {
  require_option(std::isfinite(sampling_rate) && sampling_rate > 0, "sampling_rate",
                 "must be a positive number of Hz, got " + std::to_string(sampling_rate));
  py::array source = py::array::ensure(x);
  if (!source || (source.dtype().kind() != 'f' && source.dtype().kind() != 'i' && source.dtype().kind() != 'u')) {
    throw DataError(name, "", "expected a 1-D array of numbers");
  }
  auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(source);
  if (values.ndim() != 1) {
    throw DataError(name, "", "expected a 1-D array, got " + std::to_string(values.ndim()) + " dimensions");
  }
  if (static_cast<std::size_t>(values.size()) < min_samples) {
    throw DataError(name, "",
                    "needs at least " + std::to_string(min_samples) + " samples, got " + std::to_string(values.size()));
  }
  Samples out(values.data(), values.data() + values.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) {
      throw DataError(name, "sample " + std::to_string(i), "not a finite number (interpolate or cut gaps first)");
    }
  }
  return out;
}

py::array_t<double> array_of(const Samples& v) {
  return py::array_t<double>(v.size(), v.data());
}

py::array_t<int64_t> indices_of(const std::vector<std::size_t>& v) {
  py::array_t<int64_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out.mutable_at(i) = static_cast<int64_t>(v[i]);
  return out;
}

py::dict named(const std::vector<std::string>& names, const std::vector<double>& values) {
  py::dict d;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) d[py::str(names[i])] = values[i];
  return d;
}

// NeuroKit2's return shape: (signals, info), info with the sampling rate added.
using Named = std::initializer_list<std::pair<const char*, py::object>>;
py::tuple process_result(Named signals, Named info, double sampling_rate) {
  py::dict s, i;
  for (const auto& [name, value] : signals) s[name] = value;
  for (const auto& [name, value] : info) i[name] = value;
  i["sampling_rate"] = sampling_rate;
  return py::make_tuple(s, i);
}

py::tuple eda_process(const py::handle& x, double sampling_rate) {
  const auto p = signal::eda_process(samples_of(x, sampling_rate, "eda"), sampling_rate);
  return process_result(
      {{"EDA_Clean", array_of(p.clean)}, {"EDA_Tonic", array_of(p.tonic)}, {"EDA_Phasic", array_of(p.phasic)}},
      {{"SCR_Onsets", indices_of(p.peaks.onsets)},
       {"SCR_Peaks", indices_of(p.peaks.peaks)},
       {"SCR_Amplitude", array_of(p.peaks.amplitudes)},
       {"SCR_RiseTime", array_of(p.peaks.rise_times)}},
      sampling_rate);
}

py::tuple ppg_process(const py::handle& x, double sampling_rate) {
  const auto p = signal::ppg_process(samples_of(x, sampling_rate, "ppg"), sampling_rate);
  return process_result({{"PPG_Clean", array_of(p.clean)}, {"PPG_Rate", array_of(p.rate)}},
                        {{"PPG_Peaks", indices_of(p.peaks)}, {"PPG_Amplitude", array_of(p.amplitudes)}}, sampling_rate);
}

py::tuple ecg_process(const py::handle& x, double sampling_rate) {
  const auto p = signal::ecg_process(samples_of(x, sampling_rate, "ecg"), sampling_rate);
  return process_result({{"ECG_Clean", array_of(p.clean)}, {"ECG_Rate", array_of(p.rate)}},
                        {{"ECG_R_Peaks", indices_of(p.peaks)}}, sampling_rate);
}

py::tuple rsp_process(const py::handle& x, double sampling_rate) {
  const auto p = signal::rsp_process(samples_of(x, sampling_rate, "rsp"), sampling_rate);
  return process_result(
      {{"RSP_Clean", array_of(p.clean)}, {"RSP_Rate", array_of(p.rate)}, {"RSP_Amplitude", array_of(p.amplitude)}},
      {{"RSP_Peaks", indices_of(p.extrema.peaks)}, {"RSP_Troughs", indices_of(p.extrema.troughs)}}, sampling_rate);
}

// The three axes of an acceleration recording given as [N, 3] (or [3, N]) in g.
std::vector<Samples> acc_axes(const py::handle& xyz, double sampling_rate) {
  py::array source = py::array::ensure(xyz);
  auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(source);
  if (!values || values.ndim() != 2 || (values.shape(1) != 3 && values.shape(0) != 3)) {
    throw DataError("acc", "", "expected an array [samples, 3] of x, y, z in g");
  }
  const bool columns = values.shape(1) == 3;
  const py::ssize_t n = columns ? values.shape(0) : values.shape(1);
  std::vector<Samples> axes(3, Samples(static_cast<std::size_t>(n)));
  for (py::ssize_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a) axes[a][i] = columns ? values.at(i, a) : values.at(a, i);
  for (int a = 0; a < 3; ++a) samples_of(array_of(axes[a]), sampling_rate, "acc axis " + std::to_string(a));
  return axes;
}

}  // namespace

void bind_signal(py::module_& root) {
  auto m = root.def_submodule("signal", "Physiological signal processing (signal/), NeuroKit2 names");
  m.def("eda_process", &eda_process, py::arg("eda"), py::arg("sampling_rate"),
        "Clean (3 Hz low-pass), split into tonic and phasic (smoothed median) and find SCRs (Kim 2004).");
  m.def("ppg_process", &ppg_process, py::arg("ppg"), py::arg("sampling_rate"),
        "Clean (0.5-8 Hz band-pass), find systolic peaks (Elgendi 2013), heart rate at every sample.");
  m.def("ecg_process", &ecg_process, py::arg("ecg"), py::arg("sampling_rate"),
        "Clean, find R peaks, heart rate at every sample.");
  m.def("rsp_process", &rsp_process, py::arg("rsp"), py::arg("sampling_rate"),
        "Clean (Khodadad 2018), find breath peaks and troughs, rate and amplitude at every sample.");
  m.def(
      "eda_features",
      [](const py::handle& x, double sampling_rate) {
        const auto p = signal::eda_process(samples_of(x, sampling_rate, "eda"), sampling_rate);
        return named(signal::eda_feature_names(), signal::eda_window_features(p, 0, p.clean.size()));
      },
      py::arg("eda"), py::arg("sampling_rate"), "The 28 EDA window features of the whole input.");
  m.def(
      "ppg_features",
      [](const py::handle& x, double sampling_rate) {
        const auto p = signal::ppg_process(samples_of(x, sampling_rate, "ppg"), sampling_rate);
        const auto n = p.clean.size();
        return named(signal::ppg_feature_names(), signal::ppg_window_features(p, 0, n, 0, n));
      },
      py::arg("ppg"), py::arg("sampling_rate"), "The 27 PPG features (HRV over the whole input).");
  m.def(
      "ecg_features",
      [](const py::handle& x, double sampling_rate) {
        const auto p = signal::ecg_process(samples_of(x, sampling_rate, "ecg"), sampling_rate);
        const auto n = p.clean.size();
        return named(signal::ecg_feature_names(), signal::ecg_window_features(p, 0, n, 0, n));
      },
      py::arg("ecg"), py::arg("sampling_rate"), "The 18 ECG features (HRV over the whole input).");
  m.def(
      "rsp_features",
      [](const py::handle& x, double sampling_rate) {
        const auto p = signal::rsp_process(samples_of(x, sampling_rate, "rsp"), sampling_rate);
        return named(signal::rsp_feature_names(), signal::rsp_window_features(p, 0, p.clean.size()));
      },
      py::arg("rsp"), py::arg("sampling_rate"), "The 8 respiration features of the whole input.");
  m.def(
      "temp_features",
      [](const py::handle& x, double sampling_rate) {
        const auto t = samples_of(x, sampling_rate, "temp");
        return named(signal::temp_feature_names(), signal::temp_window_features(t, sampling_rate, 0, t.size()));
      },
      py::arg("temp"), py::arg("sampling_rate"), "The 6 skin temperature features of the whole input.");
  m.def(
      "acc_features",
      [](const py::handle& xyz, double sampling_rate) {
        const auto axes = acc_axes(xyz, sampling_rate);
        return named(signal::acc_feature_names(),
                     signal::acc_window_features(axes[0], axes[1], axes[2], 0, axes[0].size()));
      },
      py::arg("acc"), py::arg("sampling_rate"), "The 10 acceleration features of [samples, 3] in g.");
  m.def(
      "hrv",
      [](const py::handle& peaks, double sampling_rate) {
        const auto p = samples_of(peaks, sampling_rate, "peaks", 0);
        std::vector<double> times;
        for (std::size_t i = 0; i < p.size(); ++i) {
          if (i > 0 && p[i] <= p[i - 1]) throw DataError("peaks", "element " + std::to_string(i), "not increasing");
          times.push_back(p[i] / sampling_rate);
        }
        return named(signal::hrv_feature_names(""), signal::hrv_feature_values(signal::hrv_indices(times)));
      },
      py::arg("peaks"), py::arg("sampling_rate"),
      "The 14 HRV indices (time domain in ms, LF/HF in ms^2) of beats at sample indices `peaks`.");
  m.def(
      "signal_filter",
      [](const py::handle& x, double sampling_rate, double lowcut, double highcut, int order) {
        require_option(lowcut > 0 || highcut > 0, "lowcut/highcut", "give at least one cut-off frequency");
        require_option(order >= 1 && order <= 16, "order", "must be in [1, 16]");
        require_option(highcut < sampling_rate / 2, "highcut", "must lie below the Nyquist frequency");
        return array_of(
            signal::signal_filter(samples_of(x, sampling_rate, "signal"), sampling_rate, lowcut, highcut, order));
      },
      py::arg("signal"), py::arg("sampling_rate"), py::arg("lowcut") = 0.0, py::arg("highcut") = 0.0,
      py::arg("order") = 4, "Zero-phase Butterworth: low-pass (highcut), high-pass (lowcut) or band-pass.");
  m.def(
      "signal_resample",
      [](const py::handle& x, double sampling_rate, double desired_sampling_rate) {
        require_option(std::isfinite(desired_sampling_rate) && desired_sampling_rate > 0, "desired_sampling_rate",
                       "must be a positive number of Hz");
        return array_of(
            signal::signal_resample(samples_of(x, sampling_rate, "signal"), sampling_rate, desired_sampling_rate));
      },
      py::arg("signal"), py::arg("sampling_rate"), py::arg("desired_sampling_rate"),
      "Resample (anti-aliased when down-sampling, then linear interpolation).");
  m.def(
      "signal_psd",
      [](const py::handle& x, double sampling_rate, std::size_t segment_length) {
        const auto psd =
            signal::signal_psd_welch(samples_of(x, sampling_rate, "signal"), sampling_rate, segment_length);
        return py::make_tuple(array_of(psd.frequency), array_of(psd.power));
      },
      py::arg("signal"), py::arg("sampling_rate"), py::arg("segment_length") = 0,
      "Welch power spectral density: (frequency in Hz, power in unit^2/Hz), scipy.signal.welch's conventions.");
  m.def(
      "ppg_simulate",
      [](double duration, double sampling_rate, double heart_rate, double noise, uint64_t seed) {
        require_option(duration > 0 && std::isfinite(duration), "duration", "must be > 0 seconds");
        require_option(sampling_rate > 0 && std::isfinite(sampling_rate), "sampling_rate", "must be > 0 Hz");
        require_option(heart_rate >= 20 && heart_rate <= 250, "heart_rate", "must be in [20, 250] bpm");
        const auto s = signal::ppg_simulate(duration, sampling_rate, heart_rate, noise, seed);
        return py::make_tuple(array_of(s.signal), array_of(s.peak_times));
      },
      py::arg("duration"), py::arg("sampling_rate"), py::arg("heart_rate") = 70.0, py::arg("noise") = 0.05,
      py::arg("seed") = 0, "A simulated PPG and its true systolic peak times (s).");
  m.def(
      "simulate_wesad",
      [](const std::string& root, int subjects, double condition_seconds, uint64_t seed) {
        require_option(subjects >= 1 && subjects <= 100, "subjects", "must be in [1, 100]");
        require_option(condition_seconds >= 10 && condition_seconds <= 3600, "condition_seconds",
                       "must be in [10, 3600]");
        py::gil_scoped_release release;
        return signal::wesad_write_fixture(root, subjects, condition_seconds, seed);
      },
      py::arg("root"), py::arg("subjects") = 3, py::arg("condition_seconds") = 60.0, py::arg("seed") = 0,
      "Writes simulated raw recordings in the WESAD layout under `root` (what `emofuse demo --raw` "
      "starts from): wrist E4 CSVs, the chest RespiBAN file and the condition times. Returns the subject ids.");
  m.def(
      "extract_wesad_features",
      [](const std::string& root, const std::string& out, double window, double step, bool wrist, bool chest) {
        signal::WesadFeatureOptions o;
        o.window_s = window;
        o.step_s = step;
        o.wrist = wrist;
        o.chest = chest;
        py::gil_scoped_release release;
        const auto table = signal::extract_wesad_features(root, o);
        if (table.size() == 0) throw DataError(root, "", "no labelled window found");
        signal::write_feature_dataset(table, out);
        return table.size();
      },
      py::arg("root"), py::arg("out"), py::arg("window") = 5.0, py::arg("step") = 1.0, py::arg("wrist") = true,
      py::arg("chest") = true,
      "`emofuse features --dataset wesad`: the window features of every labelled condition of a raw WESAD-layout "
      "folder, written to `out` (features.csv + dataset.yaml; emofuse.data.load_features reads it). Returns the "
      "number of windows.");
}

}  // namespace emofuse::python
