#include "signal/spectrum.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"

namespace emofuse::signal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// FFTW's planner is not thread-safe; executing a plan is. Plans are created under this lock.
std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// A real-to-complex plan with its own buffers, destroyed with the object.
class RealFft {
 public:
  explicit RealFft(std::size_t n) : n_(n) {
    in_ = fftw_alloc_real(n);
    out_ = fftw_alloc_complex(n / 2 + 1);
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(n), in_, out_, FFTW_ESTIMATE);
  }
  ~RealFft() {
    {
      std::lock_guard<std::mutex> lock(fftw_planner_mutex());
      fftw_destroy_plan(plan_);
    }
    fftw_free(in_);
    fftw_free(out_);
  }
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;
  double* input() { return in_; }
  const fftw_complex* output() const { return out_; }
  void execute() { fftw_execute(plan_); }

 private:
  std::size_t n_;
  double* in_ = nullptr;
  fftw_complex* out_ = nullptr;
  fftw_plan plan_ = nullptr;
};

}  // namespace

Psd signal_psd_welch(const std::vector<double>& x, double sampling_rate, std::size_t segment_length) {
  require_option(sampling_rate > 0, "sampling_rate", "must be > 0");
  require_option(x.size() >= 2, "x", "needs at least 2 samples, got " + std::to_string(x.size()));
  std::size_t nseg = segment_length == 0 ? std::min<std::size_t>(x.size(), 256) : segment_length;
  nseg = std::max<std::size_t>(2, std::min(nseg, x.size()));
  const std::size_t step = std::max<std::size_t>(1, nseg - nseg / 2);  // 50 % overlap

  // Periodic Hann window (scipy.signal.get_window('hann', n, fftbins=True)).
  std::vector<double> window(nseg);
  double window_power = 0;
  for (std::size_t i = 0; i < nseg; ++i) {
    window[i] = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(nseg));
    window_power += window[i] * window[i];
  }
  const std::size_t nfreq = nseg / 2 + 1;
  Psd psd;
  psd.frequency.resize(nfreq);
  psd.power.assign(nfreq, 0.0);
  for (std::size_t k = 0; k < nfreq; ++k) psd.frequency[k] = k * sampling_rate / nseg;

  RealFft fft(nseg);
  std::size_t segments = 0;
  for (std::size_t start = 0; start + nseg <= x.size(); start += step) {
    double mean = 0;
    for (std::size_t i = 0; i < nseg; ++i) mean += x[start + i];
    mean /= static_cast<double>(nseg);
    double* in = fft.input();
    for (std::size_t i = 0; i < nseg; ++i) in[i] = (x[start + i] - mean) * window[i];
    fft.execute();
    const fftw_complex* out = fft.output();
    for (std::size_t k = 0; k < nfreq; ++k) psd.power[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    ++segments;
  }
  const double scale = 1.0 / (sampling_rate * window_power * static_cast<double>(segments));
  for (std::size_t k = 0; k < nfreq; ++k) {
    const bool unpaired = (k == 0) || (nseg % 2 == 0 && k == nfreq - 1);
    psd.power[k] *= scale * (unpaired ? 1.0 : 2.0);
  }
  return psd;
}

double psd_band_power(const Psd& psd, double low_hz, double high_hz) {
  double power = 0;
  for (std::size_t k = 0; k + 1 < psd.frequency.size(); ++k) {
    const double f0 = psd.frequency[k], f1 = psd.frequency[k + 1];
    // Clip the trapezoid [f0, f1] to [low, high) with linear interpolation of the density.
    const double a = std::max(f0, low_hz), b = std::min(f1, high_hz);
    if (b <= a) continue;
    auto density = [&](double f) { return psd.power[k] + (psd.power[k + 1] - psd.power[k]) * (f - f0) / (f1 - f0); };
    power += 0.5 * (density(a) + density(b)) * (b - a);
  }
  return power;
}

}  // namespace emofuse::signal
