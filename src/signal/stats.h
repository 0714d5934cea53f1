// Descriptive statistics over a sample range [begin, end) of a signal; used by every
// `*_window_features`. Undefined values (empty range, zero variance for skewness) are NaN.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace emofuse::signal {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Arithmetic mean of x[begin, end).
inline double range_mean(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  if (end <= begin) return kNaN;
  double s = 0;
  for (std::size_t i = begin; i < end; ++i) s += x[i];
  return s / static_cast<double>(end - begin);
}

/// Sample standard deviation (ddof = 1) of x[begin, end); 0 for a single value.
inline double range_std(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  if (end <= begin) return kNaN;
  if (end - begin == 1) return 0.0;
  const double m = range_mean(x, begin, end);
  double s = 0;
  for (std::size_t i = begin; i < end; ++i) s += (x[i] - m) * (x[i] - m);
  return std::sqrt(s / static_cast<double>(end - begin - 1));
}

inline double range_min(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  return end <= begin ? kNaN : *std::min_element(x.begin() + begin, x.begin() + end);
}

inline double range_max(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  return end <= begin ? kNaN : *std::max_element(x.begin() + begin, x.begin() + end);
}

/// Least-squares slope of x against time i / sampling_rate (unit per second).
inline double range_slope(const std::vector<double>& x, std::size_t begin, std::size_t end, double sampling_rate) {
  const std::size_t n = end > begin ? end - begin : 0;
  if (n < 2) return kNaN;
  const double tm = (static_cast<double>(n) - 1.0) / 2.0;
  const double xm = range_mean(x, begin, end);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dt = static_cast<double>(i) - tm;
    sxy += dt * (x[begin + i] - xm);
    sxx += dt * dt;
  }
  return sxy / sxx * sampling_rate;
}

/// Population skewness (Fisher-Pearson g1); 0 for a constant range (degenerate distribution).
inline double range_skewness(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  if (end <= begin + 1) return kNaN;
  const double m = range_mean(x, begin, end);
  double m2 = 0, m3 = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double d = x[i] - m;
    m2 += d * d;
    m3 += d * d * d;
  }
  const double n = static_cast<double>(end - begin);
  m2 /= n;
  m3 /= n;
  return m2 > 0 ? m3 / std::pow(m2, 1.5) : 0.0;
}

/// Excess kurtosis (Fisher, population moments); 0 for a constant range.
inline double range_kurtosis(const std::vector<double>& x, std::size_t begin, std::size_t end) {
  if (end <= begin + 1) return kNaN;
  const double m = range_mean(x, begin, end);
  double m2 = 0, m4 = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const double d = x[i] - m;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  const double n = static_cast<double>(end - begin);
  m2 /= n;
  m4 /= n;
  return m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;
}

/// Quantile q in [0, 1] with linear interpolation between order statistics (numpy default).
inline double vector_quantile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t i = static_cast<std::size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

}  // namespace emofuse::signal

namespace emofuse::signal {

/// Centred moving average of `width` samples (shrunk at the edges), via a running sum.
inline std::vector<double> moving_average(const std::vector<double>& x, std::size_t width) {
  const std::size_t n = x.size();
  std::vector<double> cumsum(n + 1, 0.0), out(n);
  for (std::size_t i = 0; i < n; ++i) cumsum[i + 1] = cumsum[i] + x[i];
  const std::size_t left = width / 2, right = width - left;  // [i - left, i + right)
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = i > left ? i - left : 0, b = std::min(n, i + right);
    out[i] = (cumsum[b] - cumsum[a]) / static_cast<double>(b - a);
  }
  return out;
}

/// Times (s) of the peaks whose index lies in [begin, end).
inline std::vector<double> peak_times_in(const std::vector<std::size_t>& peaks, std::size_t begin, std::size_t end,
                                         double sampling_rate) {
  std::vector<double> t;
  for (std::size_t p : peaks) {
    if (p >= begin && p < end) t.push_back(static_cast<double>(p) / sampling_rate);
  }
  return t;
}

}  // namespace emofuse::signal
