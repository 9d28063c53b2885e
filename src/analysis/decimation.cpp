#include "src/analysis/decimation.hpp"

#include <cmath>

namespace cbgtc::analysis {

LfpSampling lfpSampling(std::int64_t every) {
  LfpSampling s;
  s.every = every < 1 ? 1 : every;
  s.decimation = s.every;
  for (std::int64_t d = 8; d <= s.every; ++d)
    if (s.every % d == 0) {
      s.decimation = d;
      break;
    }
  s.device_every = s.every / s.decimation;
  return s;
}

std::vector<double> decimationFilter(std::int64_t decimation) {
  if (decimation <= 1) return {1.0};
  const std::int64_t taps = 12 * decimation + 1, half = taps / 2;
  const double pi = std::acos(-1.0);
  const double cutoff = 0.5 / static_cast<double>(decimation);  // cycles per input sample
  std::vector<double> h(static_cast<std::size_t>(taps));
  double sum = 0;
  // Each pair of taps j and taps − 1 − j from one evaluation: exactly
  // symmetric, so the filter delays nothing.
  for (std::int64_t j = 0; j <= half; ++j) {
    const double n = static_cast<double>(j - half);
    const double sinc = n == 0 ? 2 * cutoff : std::sin(2 * pi * cutoff * n) / (pi * n);
    const double phase = 2 * pi * static_cast<double>(j) / static_cast<double>(taps - 1);
    const double blackman = 0.42 - 0.5 * std::cos(phase) + 0.08 * std::cos(2 * phase);
    h[static_cast<std::size_t>(j)] = h[static_cast<std::size_t>(taps - 1 - j)] = sinc * blackman;
    sum += j == half ? sinc * blackman : 2 * sinc * blackman;
  }
  for (double& v : h) v /= sum;
  return h;
}

double passbandHz(const LfpSampling& sampling, double fs_hz) {
  return sampling.decimation > 1 ? 0.27 * fs_hz : fs_hz / 2;
}

std::vector<double> decimate(const std::vector<double>& x, std::int64_t decimation) {
  if (decimation <= 1 || x.empty()) return x;
  const std::vector<double> h = decimationFilter(decimation);
  const auto n = static_cast<std::int64_t>(x.size());
  const auto half = static_cast<std::int64_t>(h.size() / 2);
  // Mirror about the end samples (…, x1, x0, x1, …): no step at the ends.
  auto at = [&](std::int64_t i) {
    if (n == 1) return x[0];
    const std::int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return x[static_cast<std::size_t>(i < n ? i : period - i)];
  };
  std::vector<double> y;
  y.reserve(static_cast<std::size_t>((n + decimation - 1) / decimation));
  for (std::int64_t m = 0; m * decimation < n; ++m) {
    const std::int64_t centre = m * decimation;
    double sum = 0;
    for (std::int64_t j = 0; j < static_cast<std::int64_t>(h.size()); ++j)
      sum += h[static_cast<std::size_t>(j)] * at(centre + j - half);
    y.push_back(sum);
  }
  return y;
}

}  // namespace cbgtc::analysis
